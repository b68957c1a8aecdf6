/** Relocation sections (SHT_RELA, SHT_REL) and their entries. */
import { addressFromHalves } from '@jitlink/core';
import {
  ELF32_REL_SIZE,
  ELF32_RELA_SIZE,
  ELF64_REL_SIZE,
  ELF64_RELA_SIZE,
  SHN_UNDEF,
  SHT_RELA,
} from '../constants.js';
import { malformed, TWO_32 } from './fields.js';
import type { ElfFile } from './file.js';
import type { ElfSectionHeader } from './sections.js';
import { symbolCount } from './symbols.js';

export interface ElfRelocationSection {
  section: ElfSectionHeader;
  /** True for SHT_RELA, false for SHT_REL. */
  isRela: boolean;
  /** sh_info: index of the section the relocations apply to. */
  targetIndex: number;
  entrySize: number;
  count: number;
}

/** Receives one decoded relocation entry (reused between calls). */
export interface ElfRawRelocation {
  type: number;
  offset: number;
  symbolIndex: number;
  addend: number;
}

export function readRelocationSection(elf: ElfFile, sec: ElfSectionHeader): ElfRelocationSection {
  const is64 = elf.header.bits === 64;
  const isRela = sec.type === SHT_RELA;
  const entSize = isRela
    ? is64
      ? ELF64_RELA_SIZE
      : ELF32_RELA_SIZE
    : is64
      ? ELF64_REL_SIZE
      : ELF32_REL_SIZE;
  if (sec.entrySize !== entSize) {
    malformed(
      elf.fileName,
      `relocation entry size ${sec.entrySize}, expected ${entSize}`,
      sec.name,
      sec.headerOffset,
    );
  }
  if (sec.size % entSize !== 0) {
    malformed(
      elf.fileName,
      `relocation section size 0x${sec.size.toString(16)} is not a multiple of ${entSize}`,
      sec.name,
      sec.headerOffset,
    );
  }
  if (sec.info === SHN_UNDEF || sec.info >= elf.sections.length) {
    malformed(
      elf.fileName,
      `relocations apply to section index ${sec.info}, which does not exist`,
      sec.name,
      sec.headerOffset,
    );
  }
  if (sec.size > 0 && (elf.symbolTable === undefined || sec.link !== elf.symbolTable.index)) {
    malformed(elf.fileName, `sh_link ${sec.link} does not name the symbol table`, sec.name, sec.headerOffset);
  }
  return { section: sec, isRela, targetIndex: sec.info, entrySize: entSize, count: sec.size / entSize };
}

/**
 * Decodes relocation `index` of `relSec` into `out` (no allocation) and returns
 * the file offset of the entry. The symbol index is checked against the symbol
 * table; the offset is not checked against the target section (the caller knows
 * the section). For SHT_REL, `out.addend` is 0.
 */
export function readRelocation(
  elf: ElfFile,
  relSec: ElfRelocationSection,
  index: number,
  out: ElfRawRelocation,
): number {
  const view = elf.view;
  const le = elf.header.endianness === 'little';
  const at = relSec.section.offset + index * relSec.entrySize;
  if (elf.header.bits === 64) {
    const offLo = view.getUint32(le ? at : at + 4, le);
    const offHi = view.getUint32(le ? at + 4 : at, le);
    // Offsets of 2^53 and above are never inside a section; report them as out of range.
    out.offset = offHi === 0 ? offLo : offHi >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : offHi * TWO_32 + offLo;
    const infoLo = view.getUint32(le ? at + 8 : at + 12, le);
    const infoHi = view.getUint32(le ? at + 12 : at + 8, le);
    out.type = infoLo;
    out.symbolIndex = infoHi;
    if (relSec.isRela) {
      const aLo = view.getUint32(le ? at + 16 : at + 20, le);
      const aHi = view.getUint32(le ? at + 20 : at + 16, le);
      const addend = addressFromHalves(aHi, aLo);
      if (addend === undefined) {
        malformed(
          elf.fileName,
          `relocation addend is outside the exactly representable range`,
          relSec.section.name,
          at + 16,
        );
      }
      out.addend = addend;
    } else out.addend = 0;
  } else {
    out.offset = view.getUint32(at, le);
    const info = view.getUint32(at + 4, le);
    out.type = info & 0xff;
    out.symbolIndex = info >>> 8;
    out.addend = relSec.isRela ? view.getInt32(at + 8, le) : 0;
  }
  if (out.symbolIndex >= symbolCount(elf)) {
    malformed(
      elf.fileName,
      `relocation symbol index ${out.symbolIndex} is out of range (${symbolCount(elf)} symbols)`,
      relSec.section.name,
      at,
    );
  }
  return at;
}

/**
 * The symbol index of relocation `index` of `relSec`, not checked: for
 * estimates made before the entries are read (readRelocation checks it).
 */
export function relocationSymbolIndex(elf: ElfFile, relSec: ElfRelocationSection, index: number): number {
  const le = elf.header.endianness === 'little';
  const at = relSec.section.offset + index * relSec.entrySize;
  if (elf.header.bits === 64) return elf.view.getUint32(le ? at + 12 : at + 8, le);
  return elf.view.getUint32(at + 4, le) >>> 8;
}

/** Relocation entries in columns (see readRelocationEntries): entry k's fields at index k. */
export interface ElfRelocationColumns {
  /** r_offset (2^53 and above read as Number.MAX_SAFE_INTEGER, as readRelocation reads them). */
  readonly offsets: Float64Array;
  readonly types: Uint32Array;
  readonly symbols: Uint32Array;
  /** r_addend for SHT_RELA, 0 for SHT_REL. */
  readonly addends: Float64Array;
}

/** Columns for `count` relocation entries. */
export function newRelocationColumns(count: number): ElfRelocationColumns {
  return {
    offsets: new Float64Array(count),
    types: new Uint32Array(count),
    symbols: new Uint32Array(count),
    addends: new Float64Array(count),
  };
}

/**
 * Reads entries `first` to `first + count - 1` of `relSec` into `into` from
 * index `start` on, with readRelocation's decoding and checks, in one loop (no
 * call and no object per entry). Stops before the first entry readRelocation
 * would reject, and returns how many entries it read: reading that entry with
 * readRelocation reports the fault, in order with the caller's own checks.
 */
export function readRelocationEntries(
  elf: ElfFile,
  relSec: ElfRelocationSection,
  first: number,
  count: number,
  into: ElfRelocationColumns,
  start: number,
): number {
  const view = elf.view;
  const le = elf.header.endianness === 'little';
  const symbolTotal = symbolCount(elf);
  const { offsets, types, symbols, addends } = into;
  const entrySize = relSec.entrySize;
  const isRela = relSec.isRela;
  let at = relSec.section.offset + first * entrySize;
  if (elf.header.bits === 64) {
    for (let k = 0; k < count; k++, at += entrySize) {
      let addend = 0;
      if (isRela) {
        const aLo = view.getUint32(le ? at + 16 : at + 20, le);
        const aHi = view.getUint32(le ? at + 20 : at + 16, le);
        if (aHi === 0) addend = aLo;
        else {
          const wide = addressFromHalves(aHi, aLo);
          if (wide === undefined) return k;
          addend = wide;
        }
      }
      const symbolIndex = view.getUint32(le ? at + 12 : at + 8, le);
      if (symbolIndex >= symbolTotal) return k;
      const offLo = view.getUint32(le ? at : at + 4, le);
      const offHi = view.getUint32(le ? at + 4 : at, le);
      const i = start + k;
      offsets[i] =
        offHi === 0 ? offLo : offHi >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : offHi * TWO_32 + offLo;
      types[i] = view.getUint32(le ? at + 8 : at + 12, le);
      symbols[i] = symbolIndex;
      addends[i] = addend;
    }
  } else {
    for (let k = 0; k < count; k++, at += entrySize) {
      const info = view.getUint32(at + 4, le);
      const symbolIndex = info >>> 8;
      if (symbolIndex >= symbolTotal) return k;
      const i = start + k;
      offsets[i] = view.getUint32(at, le);
      types[i] = info & 0xff;
      symbols[i] = symbolIndex;
      addends[i] = isRela ? view.getInt32(at + 8, le) : 0;
    }
  }
  return count;
}
