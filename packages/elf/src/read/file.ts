/**
 * A whole ELF file's container structures: header, section headers and
 * names, the symbol table, relocation sections and section groups, for ELF32
 * and ELF64 in either byte order. Every index, offset and size read from the
 * file is checked before it is used; failures are
 * JITLinkError('MalformedObject') naming the file, the section (when there is
 * one) and the file offset of the offending field.
 */
import { SHN_UNDEF, SHT_GROUP, SHT_REL, SHT_RELA, SHT_SYMTAB, SHT_SYMTAB_SHNDX } from '../constants.js';
import { malformed } from './fields.js';
import { readGroup, type ElfSectionGroup } from './groups.js';
import { openElf, type ElfHeader } from './header.js';
import { readRelocationSection, type ElfRelocationSection } from './relocations.js';
import { checkSectionBounds, isPowerOfTwoSize, readSectionHeader, type ElfSectionHeader } from './sections.js';
import { readString, stringTableText } from './strings.js';
import { readSymbolColumns, type ElfSymbol, type ElfSymbolColumns } from './symbols.js';

export interface ElfFile {
  fileName: string;
  bytes: Uint8Array;
  view: DataView;
  header: ElfHeader;
  sections: ElfSectionHeader[];
  /** The SHT_SYMTAB section, if any. */
  symbolTable: ElfSectionHeader | undefined;
  /** Symbols of SHT_SYMTAB, index 0 included (built from `symbolColumns` on first use). */
  readonly symbols: ElfSymbol[];
  /** The same symbols in columns, names as string table offsets; undefined without SHT_SYMTAB. */
  symbolColumns: ElfSymbolColumns | undefined;
  relocationSections: ElfRelocationSection[];
  groups: ElfSectionGroup[];
  /**
   * String tables decoded whole, by section index: names are then substrings
   * (one decode per table rather than one per name). `null` marks a table
   * holding non-ASCII bytes, whose names are decoded one by one.
   */
  decodedStringTables: Map<number, string | null>;
}

/** Parses an ELF file's container structures. Does not interpret section contents or relocations. */
export function parseElf(bytes: Uint8Array, fileName: string): ElfFile {
  const { elf, r } = openElf(bytes, fileName);
  const file = fileName;
  const header = elf.header;
  const shnum = header.sectionCount;
  const shstrndx = header.sectionNameTableIndex;
  const sections = elf.sections;
  const nameOffsets = new Array<number>(shnum);
  for (let i = 0; i < shnum; i++) {
    const sec = readSectionHeader(r, header, i);
    nameOffsets[i] = r.u32(sec.headerOffset);
    sections.push(sec);
  }

  // Section names.
  if (shstrndx !== SHN_UNDEF) {
    const strtab = sections[shstrndx]!;
    checkSectionBounds(elf, strtab, `section name table #${shstrndx}`);
    // The table's own name first, so that errors in other names can name it.
    strtab.name = readString(
      elf,
      strtab,
      nameOffsets[shstrndx]!,
      `section #${shstrndx}`,
      strtab.headerOffset,
    );
    // The table was checked by the read above: a name whose offset is inside
    // an ASCII table and that ends in it is a slice of the table decoded once;
    // readString reads (and reports) the others.
    const text = stringTableText(elf, strtab);
    const tableSize = strtab.size;
    for (let i = 0; i < shnum; i++) {
      const offset = nameOffsets[i]!;
      const end = text !== null && offset < tableSize ? text.indexOf('\0', offset) : -1;
      sections[i]!.name =
        end >= 0
          ? text!.slice(offset, end)
          : readString(elf, strtab, offset, `section #${i}`, sections[i]!.headerOffset);
    }
  } else {
    for (let i = 0; i < shnum; i++) sections[i]!.name = `#${i}`;
  }

  for (let i = 1; i < shnum; i++) {
    const sec = sections[i]!;
    checkSectionBounds(elf, sec, sec.name);
    if (sec.alignment !== 0 && !isPowerOfTwoSize(sec.alignment)) {
      malformed(file, `section alignment ${sec.alignment} is not a power of two`, sec.name, sec.headerOffset);
    }
  }

  // The symbol table and its extended-index companion.
  let shndxTable: ElfSectionHeader | undefined;
  for (let i = 1; i < shnum; i++) {
    const sec = sections[i]!;
    if (sec.type === SHT_SYMTAB) {
      if (elf.symbolTable !== undefined)
        malformed(file, 'more than one SHT_SYMTAB section', sec.name, sec.headerOffset);
      elf.symbolTable = sec;
    } else if (sec.type === SHT_SYMTAB_SHNDX) {
      if (shndxTable !== undefined)
        malformed(file, 'more than one SHT_SYMTAB_SHNDX section', sec.name, sec.headerOffset);
      shndxTable = sec;
    }
  }
  if (elf.symbolTable !== undefined) elf.symbolColumns = readSymbolColumns(elf, r, elf.symbolTable, shndxTable);
  else if (shndxTable !== undefined) {
    malformed(
      file,
      'SHT_SYMTAB_SHNDX section without a symbol table',
      shndxTable.name,
      shndxTable.headerOffset,
    );
  }

  for (let i = 1; i < shnum; i++) {
    const sec = sections[i]!;
    if (sec.type === SHT_RELA || sec.type === SHT_REL)
      elf.relocationSections.push(readRelocationSection(elf, sec));
    else if (sec.type === SHT_GROUP) elf.groups.push(readGroup(elf, r, sec));
  }
  return elf;
}
