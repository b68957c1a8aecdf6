/**
 * Identifying COFF objects for the backend registry. COFF has no magic
 * number: a bigobj header, or a machine field this package knows, is how an
 * object is recognised; the header is read with the reader's own header reader.
 */
import type { FormatSniffer, ObjectIdentity } from '@jitlink/core';
import { COFF_MACHINES } from './constants.js';
import { hasAnonymousHeader, hasKnownCoffMachine, readCoffHeader } from './read/header.js';

/** The LLVM architecture name of a COFF machine, or "unknown-coff-machine-0x<n>". */
export function coffArchName(machine: number): string {
  return COFF_MACHINES[machine] ?? `unknown-coff-machine-0x${machine.toString(16)}`;
}

export const coffFormatSniffer: FormatSniffer = {
  name: 'coff',
  sniff(bytes, { file }): ObjectIdentity | undefined {
    if (!hasAnonymousHeader(bytes) && !(bytes.length >= 20 && hasKnownCoffMachine(bytes))) return undefined;
    const header = readCoffHeader(bytes, file ?? '<memory>');
    const arch = coffArchName(header.machine);
    return {
      format: 'coff',
      arch,
      bits: arch === 'i386' || arch === 'arm' ? 32 : 64,
      endianness: 'little',
      description: header.bigobj ? 'COFF bigobj object' : 'COFF object',
      bigobj: header.bigobj,
    };
  },
};
