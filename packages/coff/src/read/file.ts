/**
 * Parsing a COFF object: the section table (long names through the string
 * table), the symbol table with its auxiliary records, each section's
 * relocations and the `.drectve` directives. Every offset, size and index is
 * checked against the file before it is used.
 */
import { JITLinkError } from '@jitlink/core';
import { decodeName } from '@jitlink/core/internal';
import {
  IMAGE_SCN_ALIGN_MASK,
  IMAGE_SCN_CNT_UNINITIALIZED_DATA,
  IMAGE_SCN_LNK_NRELOC_OVFL,
  IMAGE_SYM_CLASS_STATIC,
  IMAGE_SYM_CLASS_WEAK_EXTERNAL,
  IMAGE_SYM_CLASS_EXTERNAL,
} from '../constants.js';
import { readCoffHeader, type CoffHeader } from './header.js';
import { parseDirectives, type CoffDirectives } from './directives.js';

export interface CoffSection {
  /** 1-based section number, as symbols name it. */
  number: number;
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
  characteristics: number;
  /** Alignment from IMAGE_SCN_ALIGN_* (16 when unspecified, as the specification says for objects). */
  alignment: number;
  relocations: CoffRelocationEntry[];
  /** Offset of the section header in the file, for errors. */
  headerOffset: number;
}

export interface CoffRelocationEntry {
  /** Offset of the patched bytes from the start of the section. */
  offset: number;
  symbolIndex: number;
  type: number;
  /** Offset of the entry in the file, for errors. */
  entryOffset: number;
}

/** A section definition auxiliary record (of a section's symbol). */
export interface CoffSectionDefinition {
  length: number;
  checksum: number;
  /** For ASSOCIATIVE COMDATs: the parent section's number. */
  number: number;
  selection: number;
}

/** A weak external auxiliary record. */
export interface CoffWeakExternal {
  tagIndex: number;
  characteristics: number;
}

export interface CoffSymbol {
  /** Index in the symbol table (auxiliary records take indices too). */
  index: number;
  name: string;
  value: number;
  /** 0 undefined, -1 absolute, -2 debug, else a 1-based section number. */
  sectionNumber: number;
  type: number;
  storageClass: number;
  numberOfAuxSymbols: number;
  sectionDefinition?: CoffSectionDefinition;
  weakExternal?: CoffWeakExternal;
  /** Offset of the record in the file, for errors. */
  entryOffset: number;
}

export interface CoffFile {
  fileName: string;
  bytes: Uint8Array;
  header: CoffHeader;
  sections: CoffSection[];
  /** Symbols by table index; auxiliary records' indices are undefined. */
  symbols: (CoffSymbol | undefined)[];
  directives: CoffDirectives;
}

function malformed(file: string, detail: string, offset: number, section?: string): never {
  throw new JITLinkError('MalformedObject', detail, { file, section, offset });
}

const latin1 = new TextDecoder('latin1');

function fixedName(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < at + 8 && bytes[end] !== 0) end++;
  return decodeName(bytes, at, end);
}

class StringTable {
  constructor(
    private readonly file: string,
    private readonly bytes: Uint8Array,
    private readonly start: number,
    readonly size: number,
  ) {}

  get(offset: number, where: number, what: string): string {
    if (offset < 4 || offset >= this.size) {
      malformed(this.file, `${what} names string-table offset ${offset}, outside the ${this.size}-byte string table`, where);
    }
    const begin = this.start + offset;
    const end = this.bytes.indexOf(0, begin);
    if (end < 0 || end >= this.start + this.size) {
      malformed(this.file, `${what}: string at string-table offset ${offset} is not terminated`, where);
    }
    return decodeName(this.bytes, begin, end);
  }
}

/** Decodes bigobj's "//" base-64 section-name offsets. */
function base64Offset(text: string): number | undefined {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let value = 0;
  for (const c of text) {
    const digit = alphabet.indexOf(c);
    if (digit < 0) return undefined;
    value = value * 64 + digit;
  }
  return value;
}

/**
 * Parses a COFF relocatable object; throws JITLinkError for anything
 * malformed. `relocations: false` leaves the relocation tables unread (the
 * definitions scan needs none).
 */
export function parseCoff(bytes: Uint8Array, fileName: string, options: { relocations?: boolean } = {}): CoffFile {
  const header = readCoffHeader(bytes, fileName);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;

  // Symbol and string tables first: long section names live in the string table.
  const symbolTableEnd = header.pointerToSymbolTable + header.numberOfSymbols * header.symbolSize;
  if (header.numberOfSymbols > 0 && (header.pointerToSymbolTable === 0 || symbolTableEnd > size)) {
    malformed(
      fileName,
      `symbol table (${header.numberOfSymbols} symbols at 0x${header.pointerToSymbolTable.toString(16)}) extends past the end of the file (${size} bytes)`,
      header.bigobj ? 48 : 8,
    );
  }
  let strings = new StringTable(fileName, bytes, 0, 0);
  if (header.pointerToSymbolTable !== 0) {
    if (symbolTableEnd + 4 <= size) {
      const stringTableSize = view.getUint32(symbolTableEnd, true);
      if (stringTableSize < 4 || symbolTableEnd + stringTableSize > size) {
        malformed(fileName, `string table size ${stringTableSize} is invalid or extends past the end of the file`, symbolTableEnd);
      }
      strings = new StringTable(fileName, bytes, symbolTableEnd, stringTableSize);
    }
  }

  const sectionTableEnd = header.sectionTableOffset + header.numberOfSections * 40;
  if (sectionTableEnd > size) {
    malformed(
      fileName,
      `section table (${header.numberOfSections} sections at 0x${header.sectionTableOffset.toString(16)}) extends past the end of the file (${size} bytes)`,
      header.bigobj ? 44 : 2,
    );
  }
  const sections: CoffSection[] = [];
  for (let i = 0; i < header.numberOfSections; i++) {
    const at = header.sectionTableOffset + i * 40;
    let name = fixedName(bytes, at);
    if (name.startsWith('//')) {
      const offset = base64Offset(name.slice(2));
      if (offset === undefined) malformed(fileName, `section #${i + 1} has an invalid long name "${name}"`, at);
      name = strings.get(offset, at, `section #${i + 1}'s name`);
    } else if (name.startsWith('/')) {
      const offset = Number(name.slice(1));
      if (!/^\/[0-9]+$/.test(name)) malformed(fileName, `section #${i + 1} has an invalid long name "${name}"`, at);
      name = strings.get(offset, at, `section #${i + 1}'s name`);
    }
    const characteristics = view.getUint32(at + 36, true);
    const sizeOfRawData = view.getUint32(at + 16, true);
    const pointerToRawData = view.getUint32(at + 20, true);
    const alignField = (characteristics & IMAGE_SCN_ALIGN_MASK) >>> 20;
    if (alignField > 14) malformed(fileName, `section ${name} has an invalid alignment field ${alignField}`, at + 36, name);
    const section: CoffSection = {
      number: i + 1,
      name,
      virtualSize: view.getUint32(at + 8, true),
      virtualAddress: view.getUint32(at + 12, true),
      sizeOfRawData,
      pointerToRawData,
      characteristics,
      alignment: alignField === 0 ? 16 : 2 ** (alignField - 1),
      relocations: [],
      headerOffset: at,
    };
    if ((characteristics & IMAGE_SCN_CNT_UNINITIALIZED_DATA) === 0 && sizeOfRawData > 0) {
      if (pointerToRawData === 0 || pointerToRawData + sizeOfRawData > size) {
        malformed(
          fileName,
          `content of ${sizeOfRawData} bytes at 0x${pointerToRawData.toString(16)} extends past the end of the file (${size} bytes)`,
          at + 16,
          name,
        );
      }
    }
    if (options.relocations !== false) readRelocations(fileName, bytes, view, section, at);
    sections.push(section);
  }

  const symbols: (CoffSymbol | undefined)[] = new Array(header.numberOfSymbols);
  for (let index = 0; index < header.numberOfSymbols; ) {
    const at = header.pointerToSymbolTable + index * header.symbolSize;
    let name: string;
    if (view.getUint32(at, true) === 0) name = strings.get(view.getUint32(at + 4, true), at, `symbol #${index}'s name`);
    else name = fixedName(bytes, at);
    const big = header.bigobj;
    const sectionNumber = big ? view.getInt32(at + 12, true) : view.getInt16(at + 12, true);
    const type = view.getUint16(at + (big ? 16 : 14), true);
    const storageClass = bytes[at + (big ? 18 : 16)]!;
    const numberOfAuxSymbols = bytes[at + (big ? 19 : 17)]!;
    if (index + 1 + numberOfAuxSymbols > header.numberOfSymbols) {
      malformed(fileName, `symbol #${index} (${name}) has ${numberOfAuxSymbols} auxiliary records past the end of the symbol table`, at);
    }
    if (sectionNumber > header.numberOfSections) {
      malformed(fileName, `symbol #${index} (${name}) names section ${sectionNumber}; the object has ${header.numberOfSections}`, at);
    }
    const sym: CoffSymbol = {
      index,
      name,
      value: view.getUint32(at + 8, true),
      sectionNumber,
      type,
      storageClass,
      numberOfAuxSymbols,
      entryOffset: at,
    };
    const aux = at + header.symbolSize;
    if (numberOfAuxSymbols > 0) {
      if (storageClass === IMAGE_SYM_CLASS_WEAK_EXTERNAL || (storageClass === IMAGE_SYM_CLASS_EXTERNAL && sectionNumber === 0 && sym.value === 0)) {
        if (storageClass === IMAGE_SYM_CLASS_WEAK_EXTERNAL) {
          sym.weakExternal = { tagIndex: view.getUint32(aux, true), characteristics: view.getUint32(aux + 4, true) };
        }
      } else if (storageClass === IMAGE_SYM_CLASS_STATIC && sectionNumber > 0 && sym.value === 0) {
        // bigobj keeps the high half of the associated section number after the selection.
        const high = big ? view.getUint16(aux + 16, true) : 0;
        sym.sectionDefinition = {
          length: view.getUint32(aux, true),
          checksum: view.getUint32(aux + 8, true),
          number: view.getUint16(aux + 12, true) | (high << 16),
          selection: bytes[aux + 14]!,
        };
      }
    }
    symbols[index] = sym;
    index += 1 + numberOfAuxSymbols;
  }

  const drectve = sections.find((s) => s.name === '.drectve');
  const directives = parseDirectives(
    drectve === undefined ? '' : latin1.decode(bytes.subarray(drectve.pointerToRawData, drectve.pointerToRawData + drectve.sizeOfRawData)),
  );
  return { fileName, bytes, header, sections, symbols, directives };
}

function readRelocations(file: string, bytes: Uint8Array, view: DataView, section: CoffSection, headerAt: number): void {
  const pointer = view.getUint32(headerAt + 24, true);
  let count = view.getUint16(headerAt + 32, true);
  let first = 0;
  if ((section.characteristics & IMAGE_SCN_LNK_NRELOC_OVFL) !== 0 && count === 0xffff) {
    // The real count (including this entry) is in the first entry's VirtualAddress.
    if (pointer + 10 > bytes.length) malformed(file, 'relocation table extends past the end of the file', headerAt + 24, section.name);
    count = view.getUint32(pointer, true);
    first = 1;
  }
  if (count === 0) return;
  if (pointer === 0 || pointer + count * 10 > bytes.length) {
    malformed(
      file,
      `${count} relocations at 0x${pointer.toString(16)} extend past the end of the file (${bytes.length} bytes)`,
      headerAt + 24,
      section.name,
    );
  }
  for (let i = first; i < count; i++) {
    const at = pointer + i * 10;
    section.relocations.push({
      offset: view.getUint32(at, true) - section.virtualAddress,
      symbolIndex: view.getUint32(at + 4, true),
      type: view.getUint16(at + 8, true),
      entryOffset: at,
    });
  }
}
