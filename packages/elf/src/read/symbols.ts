/** The symbol table (SHT_SYMTAB) and its extended-index companion (SHT_SYMTAB_SHNDX). */
import type { TargetAddress } from '@jitlink/core';
import { ELF32_SYM_SIZE, ELF64_SYM_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_STRTAB } from '../constants.js';
import { columnNumber, malformed, type Reader } from './fields.js';
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

function symbolEntryName(t: SymbolTableReader, nameOffset: number, at: number, i: number): string {
  return nameOffset === 0 ? '' : readString(t.elf, t.strtab, nameOffset, 'symbol', at, i);
}

/** Symbol i's section index with SHN_XINDEX resolved; throws for an index out of range. */
function checkedSectionIndex(
  t: SymbolTableReader,
  i: number,
  at: number,
  nameOffset: number,
  shndx: number,
  file: string,
  shnum: number,
): number {
  const { symtab, shndxTable, r } = t;
  if (shndx === SHN_XINDEX) {
    if (shndxTable === undefined) {
      malformed(
        file,
        `symbol #${i} (${symbolEntryName(t, nameOffset, at, i)}) uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`,
        symtab.name,
        at,
      );
    }
    shndx = r.u32(shndxTable.offset + i * 4);
    if (shndx === SHN_UNDEF || shndx >= shnum) {
      malformed(
        file,
        `extended section index ${shndx} of symbol #${i} (${symbolEntryName(t, nameOffset, at, i)}) is out of range`,
        shndxTable.name,
        shndxTable.offset + i * 4,
      );
    }
  } else if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= shnum) {
    malformed(
      file,
      `section index ${shndx} of symbol #${i} (${symbolEntryName(t, nameOffset, at, i)}) is out of range (${shnum} sections)`,
      symtab.name,
      at,
    );
  }
  return shndx;
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
  const { elf, r, symtab } = t;
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
  const name = withName === undefined || withName(binding, shndx) ? symbolEntryName(t, nameOffset, at, i) : '';
  if (shndx === SHN_XINDEX || (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= shnum)) {
    shndx = checkedSectionIndex(t, i, at, nameOffset, shndx, file, shnum);
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

/**
 * The symbol table in columns, index 0 included: what the graph builder reads,
 * without an object per symbol. Names stay offsets into `strtab`, read when
 * something needs them (`symbolName`); each offset was checked when the
 * columns were filled.
 */
export interface ElfSymbolColumns {
  readonly count: number;
  readonly strtab: ElfSectionHeader;
  /** File offset of entry 0 and the entry size: entry i lies at firstEntryOffset + i * entrySize. */
  readonly firstEntryOffset: number;
  readonly entrySize: number;
  /** st_name. */
  readonly names: Uint32Array;
  /** st_value and st_size (exact: both were checked to fit a TargetAddress). */
  readonly values: Float64Array;
  readonly sizes: Float64Array;
  /** st_info (binding << 4 | type). */
  readonly info: Uint8Array;
  /** st_other & 3. */
  readonly visibility: Uint8Array;
  /** Section index with the SHN_XINDEX escape resolved. */
  readonly sections: Uint32Array;
}

/** The name of symbol `i` (checked when the columns were filled). */
export function symbolName(elf: ElfFile, columns: ElfSymbolColumns, i: number): string {
  const nameOffset = columns.names[i]!;
  if (nameOffset === 0) return '';
  return readString(elf, columns.strtab, nameOffset, 'symbol', columns.firstEntryOffset + i * columns.entrySize, i);
}

/** Fills `out` with symbol `i` of `columns`, its name left '' (see symbolName). */
export function symbolFromColumns(columns: ElfSymbolColumns, i: number, out: ElfSymbol): ElfSymbol {
  const info = columns.info[i]!;
  out.index = i;
  out.name = '';
  // Small integers stay small integers: a double stored in a field boxes it.
  out.value = columnNumber(columns.values[i]!);
  out.size = columnNumber(columns.sizes[i]!);
  out.type = info & 0xf;
  out.binding = info >> 4;
  out.visibility = columns.visibility[i]!;
  out.sectionIndex = columns.sections[i]!;
  out.entryOffset = columns.firstEntryOffset + i * columns.entrySize;
  return out;
}

/**
 * Name offsets below this are readable without reading the name: the table is
 * an SHT_STRTAB inside the file that ends with NUL (else 0: every name is read).
 */
function safeNameLimit(t: SymbolTableReader): number {
  const { strtab } = t;
  const end = strtab.offset + strtab.size;
  const bytes = t.elf.bytes;
  return strtab.type === SHT_STRTAB && strtab.size > 0 && end <= bytes.length && bytes[end - 1] === 0 ? strtab.size : 0;
}

/**
 * Reads and checks every entry of the symbol table into columns, with the
 * checks and messages of readSymbolEntry, in its order; names are checked,
 * not decoded.
 */
export function readSymbolColumns(
  elf: ElfFile,
  r: Reader,
  symtab: ElfSectionHeader,
  shndxTable: ElfSectionHeader | undefined,
): ElfSymbolColumns {
  const t = openSymbolTable(elf, r, symtab, shndxTable);
  const { count, entrySize } = t;
  const bytes = elf.bytes;
  // One buffer for all six columns: an ArrayBuffer each cost more than the objects they replace.
  const buffer = new ArrayBuffer(count * 26);
  const values = new Float64Array(buffer, 0, count);
  const sizes = new Float64Array(buffer, count * 8, count);
  const names = new Uint32Array(buffer, count * 16, count);
  const sections = new Uint32Array(buffer, count * 20, count);
  const info = new Uint8Array(buffer, count * 24, count);
  const visibility = new Uint8Array(buffer, count * 25, count);
  const file = elf.fileName;
  const shnum = elf.header.sectionCount;
  const safeNames = safeNameLimit(t);
  const { view, le, is64 } = r;
  for (let i = 0; i < count; i++) {
    const at = symtab.offset + i * entrySize;
    let shndx: number;
    const nameOffset = view.getUint32(at, le);
    if (is64) {
      info[i] = bytes[at + 4]!;
      visibility[i] = bytes[at + 5]! & 3;
      shndx = view.getUint16(at + 6, le);
      // Values and sizes below 2^32 read here; the Reader reads and checks the others (no call per symbol).
      values[i] =
        view.getUint32(le ? at + 12 : at + 8, le) === 0
          ? view.getUint32(le ? at + 8 : at + 12, le)
          : r.address(at + 8, 'value of symbol', symtab.name, i);
      sizes[i] =
        view.getUint32(le ? at + 20 : at + 16, le) === 0
          ? view.getUint32(le ? at + 16 : at + 20, le)
          : r.size64(at + 16, 'size of symbol', symtab.name, i);
    } else {
      values[i] = r.u32(at + 4);
      sizes[i] = r.u32(at + 8);
      info[i] = bytes[at + 12]!;
      visibility[i] = bytes[at + 13]! & 3;
      shndx = r.u16(at + 14);
    }
    names[i] = nameOffset;
    // Reading the name reports a bad offset, as readSymbolEntry does, before other faults.
    if (nameOffset >= safeNames) symbolEntryName(t, nameOffset, at, i);
    if (shndx === SHN_XINDEX || (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= shnum)) {
      shndx = checkedSectionIndex(t, i, at, nameOffset, shndx, file, shnum);
    }
    sections[i] = shndx;
  }
  return {
    count,
    strtab: t.strtab,
    firstEntryOffset: symtab.offset,
    entrySize,
    names,
    values,
    sizes,
    info,
    visibility,
    sections,
  };
}

const symbolLists = new WeakMap<ElfFile, ElfSymbol[]>();

/**
 * `elf.symbols`: an object per symbol, built from `elf.symbolColumns` on first
 * use (the graph builder reads the columns).
 */
export function symbolList(elf: ElfFile): ElfSymbol[] {
  let list = symbolLists.get(elf);
  if (list !== undefined) return list;
  list = [];
  const columns = elf.symbolColumns;
  if (columns !== undefined) {
    for (let i = 0; i < columns.count; i++) {
      const sym = symbolFromColumns(columns, i, newSymbol());
      sym.name = symbolName(elf, columns, i);
      list.push(sym);
    }
  }
  symbolLists.set(elf, list);
  return list;
}

/** How many entries the symbol table has (index 0 included). */
export function symbolCount(elf: ElfFile): number {
  return elf.symbolColumns?.count ?? 0;
}
