/**
 * Identifying ELF objects for the backend registry: the ELF format sniffer,
 * which reads the header with the reader's own header reader, names the
 * machine and accepts only relocatable objects.
 */
import { JITLinkError, type Endianness, type FormatSniffer, type ObjectIdentity } from '@jitlink/core';
import { ET_REL } from './constants.js';
import { hasElfMagic, readElfHeader, type ElfHeader } from './read/header.js';

/** LLVM architecture names of e_machine values. */
const ELF_MACHINES: Record<number, string> = {
  3: 'i386',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch',
};

/** The LLVM architecture name of an ELF machine ("x86_64", "aarch64_be", "riscv64"...), or "unknown-elf-machine-<n>". */
export function elfArchName(machine: number, bits: 32 | 64, endianness: Endianness): string {
  const arch = ELF_MACHINES[machine];
  if (arch === undefined) return `unknown-elf-machine-${machine}`;
  if (arch === 'riscv' || arch === 'loongarch') return arch + bits;
  if (arch === 'ppc64' && endianness === 'little') return 'ppc64le';
  if (arch === 'aarch64' && endianness === 'big') return 'aarch64_be';
  return arch;
}

const OTHER_TYPES: Record<number, string> = { 2: 'an executable', 3: 'a shared object or PIE', 4: 'a core file' };

/** Rejects an ELF file that is not a relocatable object (ET_REL). */
export function checkElfRelocatable(header: ElfHeader, file: string): void {
  if (header.type === ET_REL) return;
  const kind = OTHER_TYPES[header.type] ?? `ELF type ${header.type}`;
  throw new JITLinkError('UnsupportedFormat', `is ${kind}, not a relocatable object (ET_REL)`, { file, offset: 16 });
}

/** Recognises ELF relocatable objects; registered with the registry by every ELF backend. */
export const elfFormatSniffer: FormatSniffer = {
  name: 'elf',
  sniff(bytes, { file }): ObjectIdentity | undefined {
    if (!hasElfMagic(bytes)) return undefined;
    const name = file ?? '<memory>';
    const { header } = readElfHeader(bytes, name);
    checkElfRelocatable(header, name);
    const { bits, endianness } = header;
    return {
      format: 'elf',
      arch: elfArchName(header.machine, bits, endianness),
      bits,
      endianness,
      description: `ELF${bits} ${endianness}-endian relocatable`,
    };
  },
};
