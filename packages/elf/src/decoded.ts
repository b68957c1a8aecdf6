/**
 * An ELF object's tables decoded into typed-array columns: section headers,
 * symbols and the relocations of loaded sections, with names kept as offsets
 * into the object's own string tables. Decoding reads and checks everything
 * `parseElf` does; it allocates no object per section, symbol or relocation
 * in its result, so the result crosses to another thread by transferring a
 * few buffers (`decodedElfTransferList`). `buildElfLinkGraphFromDecoded`
 * builds the graph `createElfLinkGraph` builds from the same bytes, with the
 * same errors.
 *
 * Decoding can run on any thread (a worker decodes while the linking thread
 * builds another object's graph): it uses only the bytes and standard JS.
 */
import { checkLimit, type LinkGraph } from '@jitlink/core';
import type { ElfArchSupport } from './arch-support.js';
import { buildElfLinkGraph, createElfLinkGraph, isLoadedElfSection, type CreateElfLinkGraphOptions } from './builder.js';
import { SHN_UNDEF, SHT_GROUP, SHT_REL, SHT_RELA } from './constants.js';
import { columnNumber, Reader } from './read/fields.js';
import { parseElf, type ElfFile } from './read/file.js';
import { readGroup } from './read/groups.js';
import type { ElfHeader } from './read/header.js';
import { newRelocationColumns, readRelocationEntries, readRelocationSection } from './read/relocations.js';
import type { ElfSectionHeader } from './read/sections.js';
import { readString } from './read/strings.js';
import { ElfFileObject } from './read/elf-file-object.js';

/** Numbers per section header in `DecodedElf.sections`, in this order. */
const SECTION_FIELDS = 10;
const S_TYPE = 0;
const S_FLAGS = 1;
const S_ADDRESS = 2;
const S_OFFSET = 3;
const S_SIZE = 4;
const S_LINK = 5;
const S_INFO = 6;
const S_ALIGNMENT = 7;
const S_ENTRY_SIZE = 8;
const S_HEADER_OFFSET = 9;

/** The relocations of one SHT_REL/SHT_RELA section, decoded from entry 0 on. */
export interface DecodedRelocations {
  /** Entries decoded: all of them, or those before the first one that is malformed (read again, and reported, when built). */
  count: number;
  /** Index of the section's first entry in the columns. */
  start: number;
}

/** What `decodeElf` gives: plain data and typed arrays only (structured-clonable; see decodedElfTransferList). */
export interface DecodedElf {
  readonly format: 'elf';
  readonly fileName: string;
  /** Length of the bytes decoded: building checks it is given the same object. */
  readonly byteLength: number;
  /**
   * False when decoding found the object malformed. Nothing else is set then:
   * building reads the object again on its own thread and throws the same
   * error there (messages stay the thread's own JITLinkError, escaped once).
   */
  readonly ok: boolean;
  readonly header: ElfHeader | undefined;
  /** Section headers, SECTION_FIELDS numbers each. */
  readonly sections: Float64Array;
  /** Offset of each section's name in the section name table. */
  readonly sectionNames: Uint32Array;
  /** Index of the SHT_SYMTAB section, 0 if none. */
  readonly symbolTableIndex: number;
  /** Per symbol (index 0 included): st_name, st_value, st_size, st_info, st_other & 3, section index (SHN_XINDEX resolved). */
  readonly symbolNames: Uint32Array;
  readonly symbolValues: Float64Array;
  readonly symbolSizes: Float64Array;
  readonly symbolInfo: Uint8Array;
  readonly symbolVisibility: Uint8Array;
  readonly symbolSections: Uint32Array;
  /** Per relocation section, in section order: its section index, decoded count and first entry. */
  readonly relocationSections: Int32Array;
  /** Columns of every decoded relocation entry. */
  readonly relocationOffsets: Float64Array;
  readonly relocationTypes: Uint32Array;
  readonly relocationSymbols: Uint32Array;
  readonly relocationAddends: Float64Array;
}

const empty = {
  sections: new Float64Array(0),
  sectionNames: new Uint32Array(0),
  symbolNames: new Uint32Array(0),
  symbolValues: new Float64Array(0),
  symbolSizes: new Float64Array(0),
  symbolInfo: new Uint8Array(0),
  symbolVisibility: new Uint8Array(0),
  symbolSections: new Uint32Array(0),
  relocationSections: new Int32Array(0),
  relocationOffsets: new Float64Array(0),
  relocationTypes: new Uint32Array(0),
  relocationSymbols: new Uint32Array(0),
  relocationAddends: new Float64Array(0),
};

/**
 * Decodes an ELF object's tables. Never throws for a malformed object: the
 * result says `ok: false` and the graph builder reports the fault.
 */
export function decodeElf(bytes: Uint8Array, fileName: string): DecodedElf {
  let elf: ElfFile;
  try {
    elf = parseElf(bytes, fileName);
  } catch {
    return { format: 'elf', fileName, byteLength: bytes.length, ok: false, header: undefined, symbolTableIndex: 0, ...empty };
  }
  const shnum = elf.sections.length;
  const sections = new Float64Array(shnum * SECTION_FIELDS);
  const sectionNames = new Uint32Array(shnum);
  const r = new Reader(fileName, bytes, elf.header.bits === 64, elf.header.endianness === 'little');
  for (let i = 0; i < shnum; i++) {
    const sec = elf.sections[i]!;
    const at = i * SECTION_FIELDS;
    sections[at + S_TYPE] = sec.type;
    sections[at + S_FLAGS] = sec.flags;
    sections[at + S_ADDRESS] = sec.address;
    sections[at + S_OFFSET] = sec.offset;
    sections[at + S_SIZE] = sec.size;
    sections[at + S_LINK] = sec.link;
    sections[at + S_INFO] = sec.info;
    sections[at + S_ALIGNMENT] = sec.alignment;
    sections[at + S_ENTRY_SIZE] = sec.entrySize;
    sections[at + S_HEADER_OFFSET] = sec.headerOffset;
    sectionNames[i] = r.u32(sec.headerOffset);
  }

  // The parse's own columns (it is discarded): no copy.
  const columns = elf.symbolColumns;
  const symbolNames = columns?.names ?? new Uint32Array(0);
  const symbolValues = columns?.values ?? new Float64Array(0);
  const symbolSizes = columns?.sizes ?? new Float64Array(0);
  const symbolInfo = columns?.info ?? new Uint8Array(0);
  const symbolVisibility = columns?.visibility ?? new Uint8Array(0);
  const symbolSections = columns?.sections ?? new Uint32Array(0);

  // Relocations of loaded sections only: the builder never reads the others (debug info...).
  const relSecs = elf.relocationSections;
  let total = 0;
  for (let k = 0; k < relSecs.length; k++) {
    const relSec = relSecs[k]!;
    if (isLoadedElfSection(elf.sections[relSec.targetIndex]!)) total += relSec.count;
  }
  const relocationSections = new Int32Array(relSecs.length * 3);
  const relocations = newRelocationColumns(total);
  let next = 0;
  for (let k = 0; k < relSecs.length; k++) {
    const relSec = relSecs[k]!;
    const loaded = isLoadedElfSection(elf.sections[relSec.targetIndex]!);
    // Up to the first malformed entry: it and the ones after it are read again
    // when the graph is built, which reports the fault in order.
    const decoded = loaded ? readRelocationEntries(elf, relSec, 0, relSec.count, relocations, next) : 0;
    relocationSections[k * 3] = relSec.section.index;
    relocationSections[k * 3 + 1] = decoded;
    relocationSections[k * 3 + 2] = next;
    if (loaded) next += relSec.count;
  }
  return {
    format: 'elf',
    fileName,
    byteLength: bytes.length,
    ok: true,
    header: elf.header,
    sections,
    sectionNames,
    symbolTableIndex: elf.symbolTable?.index ?? 0,
    symbolNames,
    symbolValues,
    symbolSizes,
    symbolInfo,
    symbolVisibility,
    symbolSections,
    relocationSections,
    relocationOffsets: relocations.offsets,
    relocationTypes: relocations.types,
    relocationSymbols: relocations.symbols,
    relocationAddends: relocations.addends,
  };
}

/** The buffers of a decoded object, to transfer rather than copy when posting it to another thread. */
export function decodedElfTransferList(decoded: DecodedElf): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const column of [
    decoded.sections,
    decoded.sectionNames,
    decoded.symbolNames,
    decoded.symbolValues,
    decoded.symbolSizes,
    decoded.symbolInfo,
    decoded.symbolVisibility,
    decoded.symbolSections,
    decoded.relocationSections,
    decoded.relocationOffsets,
    decoded.relocationTypes,
    decoded.relocationSymbols,
    decoded.relocationAddends,
  ]) {
    // (Tagged by name: an ArrayBuffer of another realm, e.g. a test sandbox's, is one too; a SharedArrayBuffer is not.)
    // (Columns may share a buffer, which a transfer list names once.)
    if (
      column.byteLength > 0 &&
      Object.prototype.toString.call(column.buffer) === '[object ArrayBuffer]' &&
      !list.includes(column.buffer as ArrayBuffer)
    ) {
      list.push(column.buffer as ArrayBuffer);
    }
  }
  return list;
}

/**
 * The parsed file a decoded object stands for: the same section headers,
 * symbols, relocation sections and groups `parseElf` gives (relocation
 * entries stay in the columns). Names come from the string tables as
 * `parseElf` reads them; everything was checked when decoding.
 */
function elfFileFromDecoded(d: DecodedElf, bytes: Uint8Array, fileName: string): ElfFile {
  const header = d.header!;
  const r = new Reader(fileName, bytes, header.bits === 64, header.endianness === 'little');
  const elf: ElfFile = new ElfFileObject(fileName, bytes, r.view, header);
  const columns = d.sections;
  const shnum = d.sectionNames.length;
  const sections = elf.sections;
  for (let i = 0; i < shnum; i++) {
    const at = i * SECTION_FIELDS;
    sections.push({
      index: i,
      name: '',
      type: columns[at + S_TYPE]!,
      flags: columns[at + S_FLAGS]! | 0,
      address: columnNumber(columns[at + S_ADDRESS]!),
      offset: columnNumber(columns[at + S_OFFSET]!),
      size: columnNumber(columns[at + S_SIZE]!),
      link: columns[at + S_LINK]!,
      info: columns[at + S_INFO]!,
      alignment: columnNumber(columns[at + S_ALIGNMENT]!),
      entrySize: columnNumber(columns[at + S_ENTRY_SIZE]!),
      headerOffset: columnNumber(columns[at + S_HEADER_OFFSET]!),
    });
  }
  const shstrndx = header.sectionNameTableIndex;
  if (shstrndx !== SHN_UNDEF) {
    const strtab = sections[shstrndx]!;
    for (let i = 0; i < shnum; i++) {
      const sec = sections[i]!;
      sec.name = readString(elf, strtab, d.sectionNames[i]!, 'section', sec.headerOffset, i);
    }
  } else {
    for (let i = 0; i < shnum; i++) sections[i]!.name = `#${i}`;
  }

  if (d.symbolTableIndex !== 0) {
    const symtab = sections[d.symbolTableIndex]!;
    elf.symbolTable = symtab;
    const strtab = sections[symtab.link]!;
    elf.symbolColumns = {
      count: d.symbolNames.length,
      strtab,
      firstEntryOffset: symtab.offset,
      entrySize: symtab.entrySize,
      names: d.symbolNames,
      values: d.symbolValues,
      sizes: d.symbolSizes,
      info: d.symbolInfo,
      visibility: d.symbolVisibility,
      sections: d.symbolSections,
    };
  }

  for (let i = 1; i < shnum; i++) {
    const sec: ElfSectionHeader = sections[i]!;
    if (sec.type === SHT_RELA || sec.type === SHT_REL) elf.relocationSections.push(readRelocationSection(elf, sec));
    else if (sec.type === SHT_GROUP) elf.groups.push(readGroup(elf, r, sec));
  }
  return elf;
}

/**
 * Builds the graph of an object from its decoded tables: the graph
 * `createElfLinkGraph(bytes, arch, options)` builds, and the same error for a
 * malformed object. `bytes` must be the object `decoded` was decoded from
 * (its length is checked; with another length, or a failed decoding, the
 * object is read here as `createElfLinkGraph` reads it).
 */
export function buildElfLinkGraphFromDecoded(
  decoded: DecodedElf,
  bytes: Uint8Array,
  arch: ElfArchSupport,
  options: CreateElfLinkGraphOptions,
): LinkGraph {
  if (!decoded.ok || decoded.format !== 'elf' || decoded.byteLength !== bytes.length) {
    return createElfLinkGraph(bytes, arch, options);
  }
  const limits = options.limits ?? {};
  checkLimit(options.name, 'input bytes', bytes.length, limits.maxInputBytes);
  checkLimit(options.name, 'sections', decoded.sectionNames.length, limits.maxSections);
  const elf = elfFileFromDecoded(decoded, bytes, options.name);
  let relocations = 0;
  for (const r of elf.relocationSections) relocations += r.count;
  checkLimit(options.name, 'relocations', relocations, limits.maxRelocations);
  return buildElfLinkGraph(elf, arch, decoded);
}
