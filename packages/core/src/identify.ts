/**
 * Header sniffing: which object format and machine a buffer holds, so that
 * the registry can pick a backend, or say which packages would bring one.
 * Format packages own their headers: they register a FormatSniffer (a
 * backend carries its format's) that reads the header and names the
 * architecture. What is built in here is the fallback for formats whose
 * package is not installed: the magic numbers, and just enough of the header
 * (byte order, machine) to name the packages in a hint.
 */
import { JITLinkError } from './errors.js';
import type { Endianness } from './graph.js';
import type { ObjectFormat } from './triple.js';

/** What an object file is, read from its header: format, architecture, word size and byte order. */
export interface ObjectIdentity {
  format: ObjectFormat;
  /** LLVM-style architecture name ("x86_64", "aarch64", ...) or "unknown-<machine>". */
  arch: string;
  bits: 32 | 64;
  endianness: Endianness;
  /** Human-readable kind, e.g. "ELF64 little-endian relocatable". */
  description: string;
  /** For universal MachO files: the slice chosen, and all slices present. */
  slice?: { offset: number; size: number };
  slices?: { arch: string; offset: number; size: number }[];
  /** COFF only: true for the /bigobj variant of the header. */
  bigobj?: boolean;
}

/**
 * Recognises the objects of one format: reads the header and returns the
 * identity, `undefined` for bytes that are not of its format, or throws a
 * JITLinkError for a header of its format that is malformed or names
 * something that cannot be linked (an executable, say). It may look only at
 * the first 64 bytes (when an object held elsewhere is read in part, only
 * those have been read; the rest are zeros).
 */
export interface FormatSniffer {
  /** Names the sniffer; registering another of the same name replaces it. */
  readonly name: string;
  sniff(bytes: Uint8Array, context: SniffContext): ObjectIdentity | undefined;
}

/** What a format sniffer is told besides the bytes. */
export interface SniffContext {
  /** The object's name, for error messages. */
  file?: string;
  /** For containers of several architectures: the one wanted. */
  arch?: string;
}

// Hint-only: e_machine names for the architectures core's hints name, so that an
// object gets a useful message when @jitlink/elf is not installed. @jitlink/elf
// names every machine (its sniffer replaces this one when a backend is registered).
const ELF_MACHINES: Record<number, string> = {
  62: 'x86_64',
  183: 'aarch64',
};

// Hint-only, like ELF_MACHINES: when @jitlink/macho is not installed, core still
// names a MachO object's CPU (and a universal file's slices) in its advice. With
// a MachO backend registered, its sniffer reads thin and universal headers first.
const MACHO_CPUS: Record<number, string> = {
  0x7: 'i386',
  0x01000007: 'x86_64',
  0xc: 'arm',
  0x0100000c: 'arm64',
  0x0200000c: 'arm64_32',
};

// COFF objects have no magic number: a known machine field is how they are recognised.
const COFF_MACHINES: Record<number, string> = {
  0x14c: 'i386',
  0x8664: 'x86_64',
  0x1c4: 'arm',
  0xaa64: 'aarch64',
  0xa641: 'arm64ec',
};

// {D1BAA1C7-BAEE-4BA9-AF20-FAF66AA4DCB8} as stored in a bigobj header.
const BIGOBJ_CLASS_ID = [0xc7, 0xa1, 0xba, 0xd1, 0xee, 0xba, 0xa9, 0x4b, 0xaf, 0x20, 0xfa, 0xf6, 0x6a, 0xa4, 0xdc, 0xb8];

function fail(file: string | undefined, detail: string, offset = 0): never {
  throw new JITLinkError('UnsupportedFormat', detail, { file, offset });
}

/**
 * The format and architecture of an object: the first of `sniffers` that
 * recognises it (format packages' and third parties'), else the built-in
 * recognition of ELF, MachO (universal too) and COFF (bigobj too) headers.
 */
export function identifyObject(
  bytes: Uint8Array,
  file?: string,
  wantedArch?: string,
  sniffers: readonly FormatSniffer[] = [],
): ObjectIdentity {
  if (bytes.length < 4) fail(file, `file too small to be an object file (${bytes.length} bytes)`);
  for (const sniffer of sniffers) {
    const identity = sniffer.sniff(bytes, { file, arch: wantedArch });
    if (identity !== undefined) return identity;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b0 = bytes[0]!, b1 = bytes[1]!, b2 = bytes[2]!, b3 = bytes[3]!;

  if (b0 === 0x7f && b1 === 0x45 && b2 === 0x4c && b3 === 0x46) return identifyElf(bytes, view, file);
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(0, 8)) === '!<arch>\n') {
    fail(file, 'is a static archive, not an object file: load it as an archive');
  }
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(0, 8)) === '!<thin>\n') {
    fail(file, 'is a thin archive, not an object file');
  }
  if (b0 === 0x42 && b1 === 0x43 && b2 === 0xc0 && b3 === 0xde) fail(file, 'is LLVM bitcode, not an object file');

  const magicLE = view.getUint32(0, true);
  const magicBE = view.getUint32(0, false);
  if (magicLE === 0xfeedfacf || magicLE === 0xfeedface) return identifyMachO(view, file, true);
  if (magicBE === 0xfeedfacf || magicBE === 0xfeedface) return identifyMachO(view, file, false);
  if (magicBE === 0xcafebabe || magicBE === 0xcafebabf) {
    const count = bytes.length >= 8 ? view.getUint32(4, false) : 0;
    // Java class files share the magic; their next field (a version) is >= 45.
    if (count > 0 && count < 45) return identifyUniversal(bytes, view, file, magicBE === 0xcafebabf, wantedArch, sniffers);
  }

  // COFF: bigobj or import header first (0x0000, 0xffff), else a machine field.
  if (bytes.length >= 4 && view.getUint16(0, true) === 0 && view.getUint16(2, true) === 0xffff) {
    if (bytes.length < 32) fail(file, 'truncated COFF header');
    const version = view.getUint16(4, true);
    const machine = view.getUint16(6, true);
    const isBigobj = version >= 2 && BIGOBJ_CLASS_ID.every((v, i) => bytes[12 + i] === v);
    if (!isBigobj) fail(file, 'is a COFF import-library member or an unknown anonymous COFF object');
    return coffIdentity(machine, file, true);
  }
  if (bytes.length >= 20) {
    const machine = view.getUint16(0, true);
    if (COFF_MACHINES[machine] !== undefined) return coffIdentity(machine, file, false);
  }
  fail(file, 'unrecognized object file format (not ELF, MachO or COFF)');
}

/** Class, byte order and machine: enough to name the packages (the rest is @jitlink/elf's). */
function identifyElf(bytes: Uint8Array, view: DataView, file: string | undefined): ObjectIdentity {
  if (bytes.length < 20) fail(file, 'truncated ELF header');
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== 1 && cls !== 2) fail(file, `invalid ELF class ${cls}`, 4);
  if (data !== 1 && data !== 2) fail(file, `invalid ELF data encoding ${data}`, 5);
  const le = data === 1;
  const machine = view.getUint16(18, le);
  const bits = cls === 1 ? 32 : 64;
  const known = ELF_MACHINES[machine];
  const arch = known !== undefined && le ? known : `unknown-elf-machine-${machine}`;
  const endianness = le ? 'little' : 'big';
  return { format: 'elf', arch, bits, endianness, description: `ELF${bits} ${endianness}-endian object` };
}

function identifyMachO(view: DataView, file: string | undefined, le: boolean): ObjectIdentity {
  if (view.byteLength < 28) fail(file, 'truncated MachO header');
  const bits = view.getUint32(0, le) === 0xfeedfacf ? 64 : 32;
  const cpu = view.getUint32(4, le);
  const filetype = view.getUint32(12, le);
  if (filetype !== 1) fail(file, `MachO file type ${filetype} is not MH_OBJECT`, 12);
  const arch = MACHO_CPUS[cpu] ?? `unknown-macho-cpu-0x${cpu.toString(16)}`;
  const endianness = le ? 'little' : 'big';
  return { format: 'macho', arch, bits, endianness, description: `MachO${bits} ${endianness}-endian object` };
}

function identifyUniversal(
  bytes: Uint8Array,
  view: DataView,
  file: string | undefined,
  is64: boolean,
  wantedArch: string | undefined,
  sniffers: readonly FormatSniffer[],
): ObjectIdentity {
  const count = view.getUint32(4, false);
  const entrySize = is64 ? 32 : 20;
  if (8 + count * entrySize > bytes.length) fail(file, 'truncated universal MachO header', 4);
  const slices: { arch: string; offset: number; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * entrySize;
    const cpu = view.getUint32(at, false);
    const offset = is64 ? Number(view.getBigUint64(at + 8, false)) : view.getUint32(at + 8, false);
    const size = is64 ? Number(view.getBigUint64(at + 16, false)) : view.getUint32(at + 12, false);
    if (offset + size > bytes.length) fail(file, `universal MachO slice ${i} extends past the end of the file`, at);
    slices.push({ arch: MACHO_CPUS[cpu] ?? `unknown-macho-cpu-0x${cpu.toString(16)}`, offset, size });
  }
  const normalized = wantedArch === 'aarch64' ? 'arm64' : wantedArch;
  const chosen = normalized ? slices.find((s) => s.arch === normalized) : slices.length === 1 ? slices[0] : undefined;
  if (!chosen) {
    const have = slices.map((s) => s.arch).join(', ');
    fail(file, wantedArch ? `universal MachO has no ${wantedArch} slice (has ${have})` : `universal MachO holds several architectures (${have}): choose one`);
  }
  const inner = identifyObject(bytes.subarray(chosen.offset, chosen.offset + chosen.size), file, undefined, sniffers);
  if (inner.format !== 'macho') fail(file, `universal MachO slice for ${chosen.arch} is not a MachO object`, chosen.offset);
  return { ...inner, slice: { offset: chosen.offset, size: chosen.size }, slices };
}

function coffIdentity(machine: number, file: string | undefined, bigobj: boolean): ObjectIdentity {
  const arch = COFF_MACHINES[machine] ?? `unknown-coff-machine-0x${machine.toString(16)}`;
  const bits = arch === 'i386' || arch === 'arm' ? 32 : 64;
  return {
    format: 'coff',
    arch,
    bits,
    endianness: 'little',
    description: bigobj ? 'COFF bigobj object' : 'COFF object',
    bigobj,
  };
}
