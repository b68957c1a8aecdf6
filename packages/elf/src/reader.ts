/**
 * ELF container reader: header, section headers and names, the symbol table,
 * relocation sections and section groups, for ELF32 and ELF64 in either byte
 * order. Every index, offset and size read from the file is checked before it
 * is used; failures are JITLinkError('MalformedObject') naming the file, the
 * section (when there is one) and the file offset of the offending field.
 */
import { addressFromHalves, decodeName, JITLinkError, type Endianness, type PartialObject, type TargetAddress } from '@jitlink/core';
import {
  ELF32_EHDR_SIZE,
  ELF32_REL_SIZE,
  ELF32_RELA_SIZE,
  ELF32_SHDR_SIZE,
  ELF32_SYM_SIZE,
  ELF64_EHDR_SIZE,
  ELF64_REL_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EV_CURRENT,
  GRP_COMDAT,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
} from './constants.js';

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

export interface ElfRelocationSection {
  section: ElfSectionHeader;
  /** True for SHT_RELA, false for SHT_REL. */
  isRela: boolean;
  /** sh_info: index of the section the relocations apply to. */
  targetIndex: number;
  entrySize: number;
  count: number;
}

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

/** Receives one decoded relocation entry (reused between calls). */
export interface ElfRawRelocation {
  type: number;
  offset: number;
  symbolIndex: number;
  addend: number;
}

export interface ElfFile {
  fileName: string;
  bytes: Uint8Array;
  view: DataView;
  header: ElfHeader;
  sections: ElfSectionHeader[];
  /** The SHT_SYMTAB section, if any. */
  symbolTable: ElfSectionHeader | undefined;
  /** Symbols of SHT_SYMTAB, index 0 included. */
  symbols: ElfSymbol[];
  relocationSections: ElfRelocationSection[];
  groups: ElfSectionGroup[];
  /**
   * String tables decoded whole, by section index: names are then substrings
   * (one decode per table rather than one per name). `null` marks a table
   * holding non-ASCII bytes, whose names are decoded one by one.
   */
  decodedStringTables: Map<number, string | null>;
}

const TWO_32 = 0x1_0000_0000;
// For ASCII tables only (where it equals UTF-8): one native call for the whole table.
const latin1 = new TextDecoder('latin1');
// (That decoder maps 0x80-0x9f above U+00FF, so test for any character past ASCII.)
const NON_ASCII = /[\u0080-\uffff]/;

function malformed(
  file: string,
  detail: string,
  section: string | undefined,
  offset: number | undefined,
): never {
  throw new JITLinkError('MalformedObject', detail, { file, section, offset });
}

// Names are decoded by core's decodeName, which keeps bytes that are not UTF-8 for messages to show.
export { decodeName };

function numbered(what: string, index: number | undefined): string {
  return index === undefined ? what : `${what} #${index}`;
}

class Reader {
  readonly le: boolean;
  readonly is64: boolean;
  readonly view: DataView;

  constructor(
    readonly file: string,
    readonly bytes: Uint8Array,
    is64: boolean,
    le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.is64 = is64;
    this.le = le;
  }

  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
  /**
   * An unsigned 64-bit size or offset; values of 2^53 and above are rejected.
   * `index`, when given, is appended to `what` as " #index" (only when
   * reporting, so that per-entry reads build no message).
   */
  size64(at: number, what: string, section: string | undefined, index?: number): number {
    const lo = this.view.getUint32(this.le ? at : at + 4, this.le);
    const hi = this.view.getUint32(this.le ? at + 4 : at, this.le);
    if (hi === 0) return lo; // a small integer, not a heap number (see addressFromHalves)
    if (hi >= 0x20_0000)
      malformed(
        this.file,
        `${numbered(what, index)} 0x${(hi * TWO_32 + lo).toString(16)} is too large`,
        section,
        at,
      );
    return hi * TWO_32 + lo;
  }
  /** An address-sized unsigned field (size, offset). */
  word(at: number, what: string, index?: number): number {
    return this.is64 ? this.size64(at, what, undefined, index) : this.u32(at);
  }
  /** An address-sized field read as a TargetAddress (signed 64-bit for ELF64); `index` as for size64. */
  address(at: number, what: string, section: string | undefined, index?: number): TargetAddress {
    if (!this.is64) return this.u32(at);
    const lo = this.view.getUint32(this.le ? at : at + 4, this.le);
    const hi = this.view.getUint32(this.le ? at + 4 : at, this.le);
    const v = addressFromHalves(hi, lo);
    if (v === undefined) {
      throw new JITLinkError(
        'AddressNotRepresentable',
        `${numbered(what, index)} 0x${(BigInt(hi) * 0x1_0000_0000n + BigInt(lo)).toString(16)} is outside the exactly representable range`,
        { file: this.file, section, offset: at },
      );
    }
    return v;
  }
}

/**
 * Checks the ELF header and the bounds of the section header table; returns
 * the file with its header and no sections yet.
 */
function openElf(bytes: Uint8Array, fileName: string): { elf: ElfFile; r: Reader } {
  const file = fileName;
  if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
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
  const shoffAt = is64 ? 40 : 32;
  const shoff = r.word(shoffAt, 'section header offset');
  const flagsAt = is64 ? 48 : 36;
  const flags = r.u32(flagsAt);
  const shentsize = r.u16(flagsAt + 10);
  let shnum = r.u16(flagsAt + 12);
  let shstrndx = r.u16(flagsAt + 14);

  const shdrSize = is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE;
  const header: ElfHeader = {
    bits: is64 ? 64 : 32,
    endianness: r.le ? 'little' : 'big',
    osAbi: bytes[7]!,
    abiVersion: bytes[8]!,
    type,
    machine,
    flags,
    entry,
    sectionHeaderOffset: shoff,
    sectionHeaderEntrySize: shentsize,
    sectionCount: 0,
    sectionNameTableIndex: 0,
  };
  const elf: ElfFile = {
    fileName,
    bytes,
    view: r.view,
    header,
    sections: [],
    symbolTable: undefined,
    symbols: [],
    relocationSections: [],
    groups: [],
    decodedStringTables: new Map(),
  };
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

/** Section header `i` (its name left empty), read from the table. */
function readSectionHeader(r: Reader, header: ElfHeader, i: number): ElfSectionHeader {
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
    for (let i = 0; i < shnum; i++) {
      sections[i]!.name = readString(
        elf,
        strtab,
        nameOffsets[i]!,
        `section #${i}`,
        sections[i]!.headerOffset,
      );
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
  if (elf.symbolTable !== undefined) readSymbols(elf, r, elf.symbolTable, shndxTable);
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

function isPowerOfTwoSize(v: number): boolean {
  return v > 0 && Number.isInteger(Math.log2(v));
}

function checkSectionBounds(elf: ElfFile, sec: ElfSectionHeader, name: string): void {
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

/** Reads the NUL-terminated string at `offset` of string table `strtab`. */
export function readString(
  elf: ElfFile,
  strtab: ElfSectionHeader,
  offset: number,
  what: string,
  fieldOffset: number,
  /** Appended to `what` as " #index" in messages (built only on failure). */
  index?: number,
): string {
  const label = strtab.name || `#${strtab.index}`;
  if (strtab.type !== SHT_STRTAB) {
    malformed(
      elf.fileName,
      `string table for ${numbered(what, index)} has type ${strtab.type}, not SHT_STRTAB`,
      label,
      strtab.headerOffset,
    );
  }
  if (offset >= strtab.size) {
    malformed(
      elf.fileName,
      `name offset 0x${offset.toString(16)} of ${numbered(what, index)} is outside its string table ${label} (size 0x${strtab.size.toString(16)})`,
      label,
      fieldOffset,
    );
  }
  const bytes = elf.bytes;
  // Bounds were checked for SHT_STRTAB sections; the minimum keeps every read inside the file regardless.
  const limit = Math.min(strtab.offset + strtab.size, bytes.length);
  let text = elf.decodedStringTables.get(strtab.index);
  if (text === undefined) {
    const decoded = latin1.decode(bytes.subarray(Math.min(strtab.offset, limit), limit));
    text = NON_ASCII.test(decoded) ? null : decoded;
    elf.decodedStringTables.set(strtab.index, text);
  }
  if (text !== null) {
    const end = text.indexOf('\0', offset);
    if (end < 0) notTerminated(elf, strtab, what, index, fieldOffset);
    return text.slice(offset, end);
  }
  const start = strtab.offset + offset;
  let end = start;
  while (end < limit && bytes[end] !== 0) end++;
  if (end === limit) notTerminated(elf, strtab, what, index, fieldOffset);
  return decodeName(bytes, start, end);
}

function notTerminated(
  elf: ElfFile,
  strtab: ElfSectionHeader,
  what: string,
  index: number | undefined,
  fieldOffset: number,
): never {
  const label = strtab.name || `#${strtab.index}`;
  malformed(
    elf.fileName,
    `name of ${numbered(what, index)} runs past the end of string table ${label} (not NUL-terminated)`,
    label,
    fieldOffset,
  );
}

function linkedSection(
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

/** The symbol table, checked, and what reading one of its entries needs. */
interface SymbolTableReader {
  elf: ElfFile;
  r: Reader;
  symtab: ElfSectionHeader;
  strtab: ElfSectionHeader;
  shndxTable: ElfSectionHeader | undefined;
  entrySize: number;
  count: number;
}

function openSymbolTable(
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
function readSymbolEntry(
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

function newSymbol(): ElfSymbol {
  return { index: 0, name: '', value: 0, size: 0, type: 0, binding: 0, visibility: 0, sectionIndex: 0, entryOffset: 0 };
}

function readSymbols(elf: ElfFile, r: Reader, symtab: ElfSectionHeader, shndxTable: ElfSectionHeader | undefined): void {
  const t = openSymbolTable(elf, r, symtab, shndxTable);
  const symbols = elf.symbols;
  for (let i = 0; i < t.count; i++) symbols.push(readSymbolEntry(t, i, undefined));
}

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
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return;
  const is64 = bytes[4] === ELFCLASS64;
  if (!is64 && bytes[4] !== ELFCLASS32) return;
  if (bytes[5] !== ELFDATA2LSB && bytes[5] !== ELFDATA2MSB) return;
  const le = bytes[5] === ELFDATA2LSB;
  if (bytes.length < (is64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE)) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // An address-sized field; undefined past 2^32 (no table of such a file is read).
  const word = (at: number): number | undefined => {
    if (!is64) return view.getUint32(at, le);
    return view.getUint32(le ? at + 4 : at, le) === 0 ? view.getUint32(le ? at : at + 4, le) : undefined;
  };
  const shoff = word(is64 ? 40 : 32);
  if (shoff === undefined || shoff === 0) return;
  const entrySize = is64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE;
  object.read(shoff, entrySize);
  if (shoff + entrySize > bytes.length) return;
  // e_shnum = 0 and e_shstrndx = SHN_XINDEX escape into section 0's sh_size and sh_link.
  let count = view.getUint16(is64 ? 60 : 48, le);
  if (count === 0) count = word(shoff + (is64 ? 32 : 20)) ?? 0;
  let nameTable = view.getUint16(is64 ? 62 : 50, le);
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

function readRelocationSection(elf: ElfFile, sec: ElfSectionHeader): ElfRelocationSection {
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

function readGroupMembers(
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

function readGroup(elf: ElfFile, r: Reader, sec: ElfSectionHeader): ElfSectionGroup {
  const { flags, members } = readGroupMembers(elf, r, sec, elf.symbols.length);
  return {
    section: sec,
    flags,
    isComdat: (flags & GRP_COMDAT) !== 0,
    signature: elf.symbols[sec.info]!,
    members,
  };
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
  if (out.symbolIndex >= elf.symbols.length) {
    malformed(
      elf.fileName,
      `relocation symbol index ${out.symbolIndex} is out of range (${elf.symbols.length} symbols)`,
      relSec.section.name,
      at,
    );
  }
  return at;
}
