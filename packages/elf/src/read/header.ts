/** The ELF header: identification, machine and type, and the bounds of the section header table. */
import type { Endianness, TargetAddress } from '@jitlink/core';
import {
  ELF32_EHDR_SIZE,
  ELF32_SHDR_SIZE,
  ELF64_EHDR_SIZE,
  ELF64_SHDR_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EV_CURRENT,
  SHN_UNDEF,
  SHN_XINDEX,
} from '../constants.js';
import { malformed, Reader } from './fields.js';
import { ElfFileObject } from './elf-file-object.js';
import type { ElfFile } from './file.js';

export interface ElfHeader {
  bits: 32 | 64;
  endianness: Endianness;
  osAbi: number;
  abiVersion: number;
  /** e_type (1 = ET_REL). */
  type: number;
  /** e_machine. */
  machine: number;
  flags: number;
  entry: TargetAddress;
  sectionHeaderOffset: number;
  sectionHeaderEntrySize: number;
  /** Number of section headers, after resolving the e_shnum = 0 escape. */
  sectionCount: number;
  /** Index of the section-name string table, after resolving the SHN_XINDEX escape. */
  sectionNameTableIndex: number;
}

/** The header proper, and what checking the section header table needs. */
export interface ElfHeaderReading {
  /** `sectionCount` and `sectionNameTableIndex` are 0 until the section header table is checked (openElf). */
  header: ElfHeader;
  r: Reader;
  /** e_shnum and e_shstrndx as stored (before their escapes into section 0 are resolved). */
  storedSectionCount: number;
  storedNameTableIndex: number;
}

/** True when `bytes` start with the ELF magic number. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * Reads and checks the ELF header (the first 52 or 64 bytes, nothing past
 * them): the one reader of it, for parsing, for the symbol scan and for
 * identifying an object.
 */
export function readElfHeader(bytes: Uint8Array, fileName: string): ElfHeaderReading {
  const file = fileName;
  if (bytes.length < 16 || !hasElfMagic(bytes)) {
    malformed(file, 'not an ELF file (bad magic or truncated identification)', undefined, 0);
  }
  const cls = bytes[4]!;
  const data = bytes[5]!;
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) malformed(file, `invalid ELF class ${cls}`, undefined, 4);
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB)
    malformed(file, `invalid ELF data encoding ${data}`, undefined, 5);
  if (bytes[6] !== EV_CURRENT)
    malformed(file, `unsupported ELF identification version ${bytes[6]}`, undefined, 6);
  const is64 = cls === ELFCLASS64;
  const ehdrSize = is64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
  if (bytes.length < ehdrSize)
    malformed(file, `truncated ELF header (${bytes.length} bytes, need ${ehdrSize})`, undefined, 0);
  const r = new Reader(file, bytes, is64, data === ELFDATA2LSB);

  const type = r.u16(16);
  const machine = r.u16(18);
  const version = r.u32(20);
  if (version !== EV_CURRENT) malformed(file, `unsupported ELF version ${version}`, undefined, 20);
  const entry = r.address(24, 'entry point', undefined);
  const shoff = r.word(is64 ? 40 : 32, 'section header offset');
  // e_shentsize, e_shnum and e_shstrndx follow e_flags at +10, +12 and +14.
  const flagsAt = is64 ? 48 : 36;
  const header: ElfHeader = {
    bits: is64 ? 64 : 32,
    endianness: r.le ? 'little' : 'big',
    osAbi: bytes[7]!,
    abiVersion: bytes[8]!,
    type,
    machine,
    flags: r.u32(flagsAt),
    entry,
    sectionHeaderOffset: shoff,
    sectionHeaderEntrySize: r.u16(flagsAt + 10),
    sectionCount: 0,
    sectionNameTableIndex: 0,
  };
  return { header, r, storedSectionCount: r.u16(flagsAt + 12), storedNameTableIndex: r.u16(flagsAt + 14) };
}

/**
 * Checks the ELF header and the bounds of the section header table; returns
 * the file with its header and no sections yet.
 */
export function openElf(bytes: Uint8Array, fileName: string): { elf: ElfFile; r: Reader } {
  const file = fileName;
  const { header, r, storedSectionCount, storedNameTableIndex } = readElfHeader(bytes, fileName);
  const is64 = r.is64;
  const shoffAt = is64 ? 40 : 32;
  const flagsAt = is64 ? 48 : 36;
  const shoff = header.sectionHeaderOffset;
  const shentsize = header.sectionHeaderEntrySize;
  let shnum = storedSectionCount;
  let shstrndx = storedNameTableIndex;
  const shdrSize = is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE;
  const elf: ElfFile = new ElfFileObject(fileName, bytes, r.view, header);
  if (shoff === 0) {
    if (shnum !== 0) malformed(file, `${shnum} section headers declared at offset 0`, undefined, shoffAt);
    return { elf, r };
  }
  if (shentsize !== shdrSize) {
    malformed(file, `section header entry size ${shentsize}, expected ${shdrSize}`, undefined, flagsAt + 10);
  }
  if (shoff + shdrSize > bytes.length) {
    malformed(
      file,
      `section header table at 0x${shoff.toString(16)} is past the end of the file`,
      undefined,
      shoffAt,
    );
  }
  // e_shnum = 0 and e_shstrndx = SHN_XINDEX escape into section 0's sh_size and sh_link.
  if (shnum === 0) {
    shnum = r.word(shoff + (is64 ? 32 : 20), 'extended section count');
    if (shnum === 0) malformed(file, 'section header table has no entries', undefined, shoff);
  }
  if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + (is64 ? 40 : 24));
  if (shoff + shnum * shdrSize > bytes.length) {
    malformed(
      file,
      `section header table (${shnum} entries at 0x${shoff.toString(16)}) extends past the end of the file`,
      undefined,
      shoffAt,
    );
  }
  if (shstrndx !== SHN_UNDEF && shstrndx >= shnum) {
    malformed(
      file,
      `section name table index ${shstrndx} is out of range (${shnum} sections)`,
      undefined,
      flagsAt + 14,
    );
  }
  header.sectionCount = shnum;
  header.sectionNameTableIndex = shstrndx;
  return { elf, r };
}
