/** The symbol table (SHT_SYMTAB) and its extended-index companion (SHT_SYMTAB_SHNDX). */
import type { TargetAddress } from '@jitlink/core';
import { ELF32_SYM_SIZE, ELF64_SYM_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_STRTAB } from '../constants.js';
import { malformed, type Reader } from './fields.js';
import type { ElfFile } from './file.js';
import { linkedSection, type ElfSectionHeader } from './sections.js';
import { readString } from './strings.js';

export interface ElfSymbol {
  index: number;
  name: string;
  /** st_value: an offset into the section for ET_REL definitions, the alignment for SHN_COMMON. */
  value: TargetAddress;
  size: number;
  /** ELF st_type (STT_*). */
  type: number;
  /** ELF st_bind (STB_*). */
  binding: number;
  /** ELF st_other & 3 (STV_*). */
  visibility: number;
  /** Section index with the SHN_XINDEX escape resolved; reserved indices (SHN_ABS...) kept as is. */
  sectionIndex: number;
  /** File offset of the symbol's entry. */
  entryOffset: number;
}

/** The symbol table, checked, and what reading one of its entries needs. */
export interface SymbolTableReader {
  elf: ElfFile;
  r: Reader;
  symtab: ElfSectionHeader;
  strtab: ElfSectionHeader;
  shndxTable: ElfSectionHeader | undefined;
  entrySize: number;
  count: number;
}

export function openSymbolTable(
  elf: ElfFile,
  r: Reader,
  symtab: ElfSectionHeader,
  shndxTable: ElfSectionHeader | undefined,
  strtab: ElfSectionHeader = linkedSection(elf, symtab, SHT_STRTAB, 'string table'),
): SymbolTableReader {
  const file = elf.fileName;
  const entSize = r.is64 ? ELF64_SYM_SIZE : ELF32_SYM_SIZE;
  if (symtab.entrySize !== entSize) {
    malformed(
      file,
      `symbol table entry size ${symtab.entrySize}, expected ${entSize}`,
      symtab.name,
      symtab.headerOffset,
    );
  }
  if (symtab.size % entSize !== 0) {
    malformed(
      file,
      `symbol table size 0x${symtab.size.toString(16)} is not a multiple of ${entSize}`,
      symtab.name,
      symtab.headerOffset,
    );
  }
  const count = symtab.size / entSize;
  if (shndxTable !== undefined) {
    if (shndxTable.link !== symtab.index) {
      malformed(
        file,
        `sh_link ${shndxTable.link} does not name the symbol table`,
        shndxTable.name,
        shndxTable.headerOffset,
      );
    }
    if (shndxTable.entrySize !== 4 && shndxTable.entrySize !== 0) {
      malformed(
        file,
        `extended index table entry size ${shndxTable.entrySize}, expected 4`,
        shndxTable.name,
        shndxTable.headerOffset,
      );
    }
    if (shndxTable.size < count * 4) {
      malformed(
        file,
        `extended index table has ${Math.floor(shndxTable.size / 4)} entries for ${count} symbols`,
        shndxTable.name,
        shndxTable.headerOffset,
      );
    }
  }
  return { elf, r, symtab, strtab, shndxTable, entrySize: entSize, count };
}

function symbolName(t: SymbolTableReader, nameOffset: number, at: number, i: number): string {
  return nameOffset === 0 ? '' : readString(t.elf, t.strtab, nameOffset, 'symbol', at, i);
}

/**
 * Decodes symbol `i` into `out`. Its name is read only when `withName` says
 * so for the entry's binding and section index (else it is ''); messages
 * about a malformed entry always name it.
 */
export function readSymbolEntry(
  t: SymbolTableReader,
  i: number,
  /** Filled in and returned; without it, a new symbol is returned. */
  out: ElfSymbol | undefined,
  /** Which names to read; without it, every name. */
  withName?: (binding: number, sectionIndex: number) => boolean,
): ElfSymbol {
  const { elf, r, symtab, shndxTable } = t;
  const file = elf.fileName;
  const shnum = elf.header.sectionCount;
  const at = symtab.offset + i * t.entrySize;
  let nameOffset: number, value: number, size: number, info: number, other: number, shndx: number;
  if (r.is64) {
    nameOffset = r.u32(at);
    info = elf.bytes[at + 4]!;
    other = elf.bytes[at + 5]!;
    shndx = r.u16(at + 6);
    value = r.address(at + 8, 'value of symbol', symtab.name, i);
    size = r.size64(at + 16, 'size of symbol', symtab.name, i);
  } else {
    nameOffset = r.u32(at);
    value = r.u32(at + 4);
    size = r.u32(at + 8);
    info = elf.bytes[at + 12]!;
    other = elf.bytes[at + 13]!;
    shndx = r.u16(at + 14);
  }
  const binding = info >> 4;
  // Read first when wanted, as a full parse does (a bad name offset is reported before other faults).
  const name = withName === undefined || withName(binding, shndx) ? symbolName(t, nameOffset, at, i) : '';
  if (shndx === SHN_XINDEX) {
    if (shndxTable === undefined) {
      malformed(
        file,
        `symbol #${i} (${symbolName(t, nameOffset, at, i)}) uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`,
        symtab.name,
        at,
      );
    }
    shndx = r.u32(shndxTable.offset + i * 4);
    if (shndx === SHN_UNDEF || shndx >= shnum) {
      malformed(
        file,
        `extended section index ${shndx} of symbol #${i} (${symbolName(t, nameOffset, at, i)}) is out of range`,
        shndxTable.name,
        shndxTable.offset + i * 4,
      );
    }
  } else if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= shnum) {
    malformed(
      file,
      `section index ${shndx} of symbol #${i} (${symbolName(t, nameOffset, at, i)}) is out of range (${shnum} sections)`,
      symtab.name,
      at,
    );
  }
  if (out === undefined) {
    // A literal of the final values: its fields get their final representation at once.
    return {
      index: i,
      name,
      value,
      size,
      type: info & 0xf,
      binding,
      visibility: other & 3,
      sectionIndex: shndx,
      entryOffset: at,
    };
  }
  out.index = i;
  out.name = name;
  out.value = value;
  out.size = size;
  out.type = info & 0xf;
  out.binding = binding;
  out.visibility = other & 3;
  out.sectionIndex = shndx;
  out.entryOffset = at;
  return out;
}

export function newSymbol(): ElfSymbol {
  return { index: 0, name: '', value: 0, size: 0, type: 0, binding: 0, visibility: 0, sectionIndex: 0, entryOffset: 0 };
}

export function readSymbols(elf: ElfFile, r: Reader, symtab: ElfSectionHeader, shndxTable: ElfSectionHeader | undefined): void {
  const t = openSymbolTable(elf, r, symtab, shndxTable);
  const symbols = elf.symbols;
  for (let i = 0; i < t.count; i++) symbols.push(readSymbolEntry(t, i, undefined));
}
