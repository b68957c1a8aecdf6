/** Section groups (SHT_GROUP), COMDAT among them. */
import { GRP_COMDAT, SHN_UNDEF } from '../constants.js';
import { malformed, type Reader } from './fields.js';
import type { ElfFile } from './file.js';
import type { ElfSectionHeader } from './sections.js';
import {
  newSymbol,
  symbolFromColumns,
  symbolName,
  type ElfSymbol,
  type ElfSymbolColumns,
} from './symbols.js';

export interface ElfSectionGroup {
  section: ElfSectionHeader;
  /** GRP_* flags word. */
  flags: number;
  isComdat: boolean;
  /** Symbol whose name is the group signature. */
  signature: ElfSymbol;
  /** Indices of the member sections. */
  members: number[];
}

export function readGroupMembers(
  elf: ElfFile,
  r: Reader,
  sec: ElfSectionHeader,
  symbolCount: number,
): { flags: number; members: number[] } {
  const file = elf.fileName;
  if (sec.entrySize !== 4)
    malformed(file, `group entry size ${sec.entrySize}, expected 4`, sec.name, sec.headerOffset);
  if (sec.size < 4 || sec.size % 4 !== 0) {
    malformed(
      file,
      `group section size 0x${sec.size.toString(16)} is not a positive multiple of 4`,
      sec.name,
      sec.headerOffset,
    );
  }
  if (elf.symbolTable === undefined || sec.link !== elf.symbolTable.index) {
    malformed(file, `sh_link ${sec.link} does not name the symbol table`, sec.name, sec.headerOffset);
  }
  if (sec.info >= symbolCount) {
    malformed(
      file,
      `group signature symbol index ${sec.info} is out of range (${symbolCount} symbols)`,
      sec.name,
      sec.headerOffset,
    );
  }
  const flags = r.u32(sec.offset);
  const members: number[] = [];
  const shnum = elf.header.sectionCount;
  for (let at = sec.offset + 4; at < sec.offset + sec.size; at += 4) {
    const index = r.u32(at);
    if (index === SHN_UNDEF || index >= shnum || index === sec.index) {
      malformed(file, `group member section index ${index} is invalid`, sec.name, at);
    }
    members.push(index);
  }
  return { flags, members };
}

export function readGroup(elf: ElfFile, r: Reader, sec: ElfSectionHeader): ElfSectionGroup {
  const columns = elf.symbolColumns;
  const { flags, members } = readGroupMembers(elf, r, sec, columns?.count ?? 0);
  return {
    section: sec,
    flags,
    isComdat: (flags & GRP_COMDAT) !== 0,
    // One symbol, not the whole list: readGroupMembers checked the index against the table.
    signature: signatureSymbol(elf, columns!, sec.info),
    members,
  };
}

function signatureSymbol(elf: ElfFile, columns: ElfSymbolColumns, index: number): ElfSymbol {
  const sym = symbolFromColumns(columns, index, newSymbol());
  sym.name = symbolName(elf, columns, index);
  return sym;
}
