/**
 * Reading an object's symbols without a full parse: the symbol table entry by
 * entry, section headers only when asked for, and the byte ranges that needs.
 */
import type { PartialObject } from '@jitlink/core';
import {
  ELF32_SHDR_SIZE,
  ELF64_EHDR_SIZE,
  ELF64_SHDR_SIZE,
  GRP_COMDAT,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_GROUP,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
} from '../constants.js';
import { malformed } from './fields.js';
import type { ElfFile } from './file.js';
import { readGroupMembers } from './groups.js';
import { openElf, readElfHeader, type ElfHeaderReading } from './header.js';
import { checkSectionBounds, isPowerOfTwoSize, readSectionHeader, type ElfSectionHeader } from './sections.js';
import { readString } from './strings.js';
import {
  newSymbol,
  openSymbolTable,
  readSymbolEntry,
  symbolFromColumns,
  symbolName,
  type ElfSymbol,
  type SymbolTableReader,
} from './symbols.js';

/**
 * An object's symbol table read entry by entry, with only the section
 * headers asked for: what reading its definitions needs, without the
 * allocation of a full parse (every section header, symbol and group).
 */
export interface ElfSymbolScan {
  /** The file, with its header; `sections` and `symbols` stay empty. */
  readonly elf: ElfFile;
  /** Section header `index` (1 ≤ index < section count), read and checked on first use. */
  section(index: number): ElfSectionHeader;
  /** 1 for each section that belongs to a COMDAT group. */
  readonly inComdat: Uint8Array;
  /**
   * Visits every entry but the null one, decoded into one reused object;
   * names are read for the entries `withName` selects (by binding and section index).
   */
  forEachSymbol(withName: (binding: number, sectionIndex: number) => boolean, visit: (sym: ElfSymbol) => void): void;
  /** The name of a visited entry that was read without it. */
  nameOf(sym: ElfSymbol): string;
}

/**
 * Reads into `object` every range scanElfSymbols reads: the ELF header, the
 * section header table, and the contents of the symbol, string, group and
 * extended-index sections (and of the section name table, whatever its type).
 * Fields that do not make sense are skipped: scanElfSymbols then reports them
 * from the bytes read, as it would from the whole file.
 */
export function readElfSymbolScanRanges(object: PartialObject): void {
  const bytes = object.bytes;
  object.read(0, ELF64_EHDR_SIZE);
  let reading: ElfHeaderReading;
  try {
    reading = readElfHeader(bytes, '');
  } catch {
    return; // scanElfSymbols reports the fault from the header bytes read
  }
  const { header, r } = reading;
  const { is64, le, view } = r;
  // An address-sized field; undefined past 2^32 (no table of such a file is read).
  const word = (at: number): number | undefined => {
    if (!is64) return view.getUint32(at, le);
    return view.getUint32(le ? at + 4 : at, le) === 0 ? view.getUint32(le ? at : at + 4, le) : undefined;
  };
  const shoff = header.sectionHeaderOffset;
  if (shoff === 0) return;
  const entrySize = is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE;
  object.read(shoff, entrySize);
  if (shoff + entrySize > bytes.length) return;
  // e_shnum = 0 and e_shstrndx = SHN_XINDEX escape into section 0's sh_size and sh_link.
  let count = reading.storedSectionCount;
  if (count === 0) count = word(shoff + (is64 ? 32 : 20)) ?? 0;
  let nameTable = reading.storedNameTableIndex;
  if (nameTable === SHN_XINDEX) nameTable = view.getUint32(shoff + (is64 ? 40 : 24), le);
  count = Math.min(count, Math.floor((bytes.length - shoff) / entrySize));
  object.read(shoff, count * entrySize);
  for (let i = 1; i < count; i++) {
    const at = shoff + i * entrySize;
    const type = view.getUint32(at + 4, le);
    if (
      type === SHT_SYMTAB ||
      type === SHT_STRTAB ||
      type === SHT_GROUP ||
      type === SHT_SYMTAB_SHNDX ||
      i === nameTable
    ) {
      const offset = word(at + (is64 ? 24 : 16));
      const size = word(at + (is64 ? 32 : 20));
      if (offset !== undefined && size !== undefined) object.read(offset, size);
    }
  }
}

/** Starts an ElfSymbolScan: checks the header, finds the symbol table and the COMDAT groups. */
export function scanElfSymbols(bytes: Uint8Array, fileName: string): ElfSymbolScan {
  const { elf, r } = openElf(bytes, fileName);
  const { header } = elf;
  const shnum = header.sectionCount;
  const headers: (ElfSectionHeader | undefined)[] = new Array<ElfSectionHeader | undefined>(shnum);
  const shstrtab =
    header.sectionNameTableIndex !== SHN_UNDEF ? readSectionHeader(r, header, header.sectionNameTableIndex) : undefined;
  if (shstrtab !== undefined) {
    checkSectionBounds(elf, shstrtab, `section name table #${shstrtab.index}`);
    shstrtab.name = readString(elf, shstrtab, r.u32(shstrtab.headerOffset), `section #${shstrtab.index}`, shstrtab.headerOffset);
  }
  const section = (index: number): ElfSectionHeader => {
    let sec = headers[index];
    if (sec !== undefined) return sec;
    sec = readSectionHeader(r, header, index);
    sec.name =
      shstrtab === undefined
        ? `#${index}`
        : readString(elf, shstrtab, r.u32(sec.headerOffset), `section #${index}`, sec.headerOffset);
    checkSectionBounds(elf, sec, sec.name);
    if (sec.alignment !== 0 && !isPowerOfTwoSize(sec.alignment)) {
      malformed(fileName, `section alignment ${sec.alignment} is not a power of two`, sec.name, sec.headerOffset);
    }
    headers[index] = sec;
    return sec;
  };
  const typeOf = (index: number): number => r.u32(header.sectionHeaderOffset + index * (r.is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE) + 4);
  let symtab: ElfSectionHeader | undefined;
  let shndxTable: ElfSectionHeader | undefined;
  const groups: number[] = [];
  for (let i = 1; i < shnum; i++) {
    const type = typeOf(i);
    if (type === SHT_SYMTAB) {
      if (symtab !== undefined) malformed(fileName, 'more than one SHT_SYMTAB section', section(i).name, section(i).headerOffset);
      symtab = section(i);
    } else if (type === SHT_SYMTAB_SHNDX) {
      if (shndxTable !== undefined)
        malformed(fileName, 'more than one SHT_SYMTAB_SHNDX section', section(i).name, section(i).headerOffset);
      shndxTable = section(i);
    } else if (type === SHT_GROUP) groups.push(i);
  }
  if (symtab === undefined && shndxTable !== undefined) {
    malformed(fileName, 'SHT_SYMTAB_SHNDX section without a symbol table', shndxTable.name, shndxTable.headerOffset);
  }
  elf.symbolTable = symtab;
  let table: SymbolTableReader | undefined;
  if (symtab !== undefined) {
    const link = symtab.link;
    if (!(link > 0 && link < shnum) || typeOf(link) !== SHT_STRTAB) {
      malformed(fileName, `sh_link ${link} does not name a string table`, symtab.name, symtab.headerOffset);
    }
    table = openSymbolTable(elf, r, symtab, shndxTable, section(link));
  }
  const inComdat = new Uint8Array(shnum);
  for (const g of groups) {
    const sec = section(g);
    const { flags, members } = readGroupMembers(elf, r, sec, table?.count ?? 0);
    if ((flags & GRP_COMDAT) !== 0) for (const m of members) inComdat[m] = 1;
  }
  return {
    elf,
    section,
    inComdat,
    forEachSymbol(withName, visit) {
      if (table === undefined) return;
      const sym = newSymbol();
      for (let i = 1; i < table.count; i++) visit(readSymbolEntry(table, i, sym, withName));
    },
    nameOf(sym) {
      return table === undefined ? sym.name : readSymbolEntry(table, sym.index, undefined).name;
    },
  };
}

/**
 * The ElfSymbolScan of a file parsed whole (parseElf): its headers, groups
 * and symbol columns were read and checked already, so nothing is read again.
 */
export function scanParsedElf(elf: ElfFile): ElfSymbolScan {
  const inComdat = new Uint8Array(elf.header.sectionCount);
  for (const group of elf.groups) if (group.isComdat) for (const m of group.members) inComdat[m] = 1;
  const columns = elf.symbolColumns;
  return {
    elf,
    section: (index) => elf.sections[index]!,
    inComdat,
    forEachSymbol(withName, visit) {
      if (columns === undefined) return;
      const sym = newSymbol();
      for (let i = 1; i < columns.count; i++) {
        symbolFromColumns(columns, i, sym);
        if (withName(sym.binding, sym.sectionIndex)) sym.name = symbolName(elf, columns, i);
        visit(sym);
      }
    },
    nameOf(sym) {
      return columns === undefined ? sym.name : symbolName(elf, columns, sym.index);
    },
  };
}
