/** Section headers: reading one from the table, checking its bounds, and its content. */
import type { TargetAddress } from '@jitlink/core';
import { ELF32_SHDR_SIZE, ELF64_SHDR_SIZE, SHT_NOBITS, SHT_NULL } from '../constants.js';
import { malformed, type Reader } from './fields.js';
import type { ElfFile } from './file.js';
import type { ElfHeader } from './header.js';

export interface ElfSectionHeader {
  index: number;
  name: string;
  type: number;
  /**
   * sh_flags: the low 32 bits, which hold every flag defined by the gABI and
   * GNU, as a signed 32-bit integer (so SHF_EXCLUDE, 0x80000000, reads
   * negative: test flags with `&`). A small integer keeps the field unboxed.
   */
  flags: number;
  address: TargetAddress;
  /** File offset of the content. */
  offset: number;
  size: number;
  link: number;
  info: number;
  /** sh_addralign, 0 or a power of two. */
  alignment: number;
  entrySize: number;
  /** File offset of this section's header, for error messages. */
  headerOffset: number;
}

/** Section header `i` (its name left empty), read from the table. */
export function readSectionHeader(r: Reader, header: ElfHeader, i: number): ElfSectionHeader {
  const is64 = r.is64;
  const at = header.sectionHeaderOffset + i * (is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE);
  // Errors name the section by number ("size of section #3"), built only when reported.
  return {
    index: i,
    name: '',
    type: r.u32(at + 4),
    flags: (is64 ? r.u32(r.le ? at + 8 : at + 12) : r.u32(at + 8)) | 0,
    address: r.address(at + (is64 ? 16 : 12), 'address of section', undefined, i),
    offset: r.word(at + (is64 ? 24 : 16), 'offset of section', i),
    size: r.word(at + (is64 ? 32 : 20), 'size of section', i),
    link: r.u32(at + (is64 ? 40 : 24)),
    info: r.u32(at + (is64 ? 44 : 28)),
    alignment: r.word(at + (is64 ? 48 : 32), 'alignment of section', i),
    entrySize: r.word(at + (is64 ? 56 : 36), 'entry size of section', i),
    headerOffset: at,
  };
}

export function isPowerOfTwoSize(v: number): boolean {
  return v > 0 && Number.isInteger(Math.log2(v));
}

export function checkSectionBounds(elf: ElfFile, sec: ElfSectionHeader, name: string): void {
  if (sec.type === SHT_NOBITS || sec.type === SHT_NULL) return;
  if (sec.offset > elf.bytes.length || sec.size > elf.bytes.length - sec.offset) {
    malformed(
      elf.fileName,
      `section content (0x${sec.size.toString(16)} bytes at 0x${sec.offset.toString(16)}) extends past the end of the file ` +
        `(0x${elf.bytes.length.toString(16)} bytes)`,
      name,
      sec.headerOffset,
    );
  }
}

/** The bytes of a section (an empty array for SHT_NOBITS). Bounds were checked by parseElf. */
export function sectionContent(elf: ElfFile, sec: ElfSectionHeader): Uint8Array {
  if (sec.type === SHT_NOBITS || sec.type === SHT_NULL) return elf.bytes.subarray(0, 0);
  return elf.bytes.subarray(sec.offset, sec.offset + sec.size);
}

export function linkedSection(
  elf: ElfFile,
  sec: ElfSectionHeader,
  wantType: number,
  what: string,
): ElfSectionHeader {
  const linked = sec.link > 0 && sec.link < elf.sections.length ? elf.sections[sec.link]! : undefined;
  if (linked === undefined || linked.type !== wantType) {
    malformed(elf.fileName, `sh_link ${sec.link} does not name a ${what}`, sec.name, sec.headerOffset);
  }
  return linked;
}
