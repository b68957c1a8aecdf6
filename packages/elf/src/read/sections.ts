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
  const { view, le, is64 } = r;
  const at = header.sectionHeaderOffset + i * (is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE);
  if (is64) {
    // Fields below 2^32 read here; the Reader reads and checks the others (in the same order).
    const address =
      view.getUint32(le ? at + 20 : at + 16, le) === 0
        ? view.getUint32(le ? at + 16 : at + 20, le)
        : r.address(at + 16, 'address of section', undefined, i);
    return {
      index: i,
      name: '',
      type: view.getUint32(at + 4, le),
      flags: view.getUint32(le ? at + 8 : at + 12, le) | 0,
      address,
      offset: word64(r, at + 24, 'offset of section', i),
      size: word64(r, at + 32, 'size of section', i),
      link: view.getUint32(at + 40, le),
      info: view.getUint32(at + 44, le),
      alignment: word64(r, at + 48, 'alignment of section', i),
      entrySize: word64(r, at + 56, 'entry size of section', i),
      headerOffset: at,
    };
  }
  // Errors name the section by number ("size of section #3"), built only when reported.
  return {
    index: i,
    name: '',
    type: r.u32(at + 4),
    flags: r.u32(at + 8) | 0,
    address: r.u32(at + 12),
    offset: r.u32(at + 16),
    size: r.u32(at + 20),
    link: r.u32(at + 24),
    info: r.u32(at + 28),
    alignment: r.u32(at + 32),
    entrySize: r.u32(at + 36),
    headerOffset: at,
  };
}

/** A 64-bit size or offset of section header `i`: Reader.size64, without its call for values below 2^32. */
function word64(r: Reader, at: number, what: string, i: number): number {
  const { view, le } = r;
  return view.getUint32(le ? at + 4 : at, le) === 0
    ? view.getUint32(le ? at : at + 4, le)
    : r.size64(at, what, undefined, i);
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
