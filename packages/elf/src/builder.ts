/**
 * The generic ELF LinkGraph builder: sections, blocks and symbols from the
 * container, and relocations handed to the architecture package one by one.
 */
import {
  alignUp,
  checkLimit,
  JITLinkError,
  LinkGraph,
  Linkage,
  MemProt,
  Scope,
  type Block,
  type InputLimits,
  type Section,
  type Symbol,
} from '@jitlink/core';
import type { ElfArchSupport, ElfRelocation, ElfRelocationSite } from './arch-support.js';
import {
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_GNU_RETAIN,
  SHF_TLS,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  STB_GLOBAL,
  STB_GNU_UNIQUE,
  STB_LOCAL,
  STB_WEAK,
  STT_FILE,
  STT_FUNC,
  STT_GNU_IFUNC,
  STT_SECTION,
  STT_TLS,
  STV_HIDDEN,
  STV_INTERNAL,
} from './constants.js';
import { checkElfRelocatable } from './identify.js';
import { initializerSectionInfo } from './initializers.js';
import type { DecodedElf } from './decoded.js';
import { newRelocationColumns, readRelocationEntries, type ElfRelocationColumns, type ElfRelocationSection } from './read/relocations.js';
import { MIN_SLICE_LENGTH, ownNames, stringTableText } from './read/strings.js';
import { newSymbol, symbolCount, symbolFromColumns, symbolName } from './read/symbols.js';
import { parseElf, readRelocation, relocationSymbolIndex, sectionContent, type ElfFile, type ElfSectionHeader, type ElfSymbol } from './reader.js';

export interface CreateElfLinkGraphOptions {
  /** Graph name, usually the file name; used in every error message. */
  name: string;
  /** Caps on the object's size, section count and relocation count. */
  limits?: InputLimits;
  /** The same bytes already parsed (readElfObject), under the same name: not parsed again. */
  parsed?: ElfFile;
}

/** A section group (SHT_GROUP) of the object, as built into the graph. */
export interface ElfComdatGroup {
  /** Name of the signature symbol: groups with equal signatures are duplicates of each other. */
  signature: string;
  /** True for GRP_COMDAT groups (the only kind whose duplicates may be discarded). */
  isComdat: boolean;
  /** ELF index of the SHT_GROUP section. */
  groupSectionIndex: number;
  /** ELF indices of the member sections (including non-allocated ones such as debug info). */
  memberSectionIndices: readonly number[];
  /** The graph sections built from the allocated members. */
  sections: Section[];
  /** True once discardElfComdatGroup has removed the group's sections. */
  discarded: boolean;
}

/** What the builder knows about a graph beyond the LinkGraph itself. */
export interface ElfGraphInfo {
  /** ELF class and machine of the object. */
  bits: 32 | 64;
  machine: number;
  /** Graph section built from each ELF section index (undefined for sections not built). */
  sectionsByIndex: (Section | undefined)[];
  /** Original ELF name of each graph section (differs from Section.name for duplicate names). */
  originalNames: Map<Section, string>;
  /** Sections with SHF_TLS (.tdata/.tbss): built like data, their symbols are TLS offsets, not addresses. */
  tlsSections: Set<Section>;
  /** Names of undefined thread-local symbols (STT_TLS): another object's or a library's thread-locals. */
  threadLocalExternals: Set<string>;
  /** Section groups, in file order. */
  groups: ElfComdatGroup[];
  /** Number of relocations of each type skipped without an edge (type 0 "NONE"). */
  skippedNoneRelocations: number;
  /** The object files the graph was built from (several once graphs are merged), for debug objects. */
  sourceObjects: ElfSourceObject[];
}

/** An object file a graph was built from: its bytes and the block built from each of its sections. */
export interface ElfSourceObject {
  name: string;
  /** The object as given (blocks borrow their content from it, so keeping it costs nothing). */
  bytes: Uint8Array;
  /** The block built from each ELF section index (undefined for sections not built). */
  blocksByIndex: readonly (Block | undefined)[];
}

const graphInfo = new WeakMap<LinkGraph, ElfGraphInfo>();

/**
 * Relocation entries are read into these columns a chunk at a time, then
 * turned into edges (one pass each, no object per entry). Shared by every
 * graph the thread builds: building is synchronous.
 */
const RELOCATION_CHUNK = 2048;
const relocationScratch = newRelocationColumns(RELOCATION_CHUNK);

/** The relocation columns of a decoded object. */
function decodedColumns(decoded: DecodedElf): ElfRelocationColumns {
  return { offsets: decoded.relocationOffsets, types: decoded.relocationTypes, symbols: decoded.relocationSymbols, addends: decoded.relocationAddends };
}

/** Builder metadata for a graph made by createElfLinkGraph, or undefined for other graphs. */
export function getElfGraphInfo(graph: LinkGraph): ElfGraphInfo | undefined {
  return graphInfo.get(graph);
}

/** @internal Attaches (or detaches) builder metadata, for graph merging. */
export function setElfGraphInfo(graph: LinkGraph, info: ElfGraphInfo | undefined): void {
  if (info === undefined) graphInfo.delete(graph);
  else graphInfo.set(graph, info);
}

/** Section groups of a graph made by createElfLinkGraph (empty for other graphs). */
export function getElfComdatGroups(graph: LinkGraph): readonly ElfComdatGroup[] {
  return graphInfo.get(graph)?.groups ?? [];
}

/** Name of the graph section that holds common symbols. */
export const ELF_COMMON_SECTION_NAME = '.common';

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The call-frame section the default passes split into records (see GraphBuilder.reserveEdges). */
const EH_FRAME_SECTION_NAME = '.eh_frame';

/**
 * Builds a LinkGraph from an ELF relocatable object. Throws JITLinkError for
 * malformed input, for objects of another machine, and (from the arch package)
 * for unsupported relocations.
 */
export function createElfLinkGraph(bytes: Uint8Array, arch: ElfArchSupport, options: CreateElfLinkGraphOptions): LinkGraph {
  const limits = options.limits ?? {};
  checkLimit(options.name, 'input bytes', bytes.length, limits.maxInputBytes);
  const parsed = options.parsed;
  const elf = parsed !== undefined && parsed.bytes === bytes && parsed.fileName === options.name ? parsed : parseElf(bytes, options.name);
  checkLimit(options.name, 'sections', elf.sections.length, limits.maxSections);
  let relocations = 0;
  for (const r of elf.relocationSections) relocations += r.count;
  checkLimit(options.name, 'relocations', relocations, limits.maxRelocations);
  return buildElfLinkGraph(elf, arch);
}

/**
 * Builds a LinkGraph from an already parsed object. `decoded`, when given,
 * holds the object's relocation entries already decoded (buildElfLinkGraphFromDecoded).
 */
export function buildElfLinkGraph(elf: ElfFile, arch: ElfArchSupport, decoded?: DecodedElf): LinkGraph {
  checkElfObjectHeader(elf, arch);
  const { header } = elf;
  const graph = new LinkGraph({
    name: elf.fileName,
    triple: arch.triple(header.bits, header.endianness),
    pointerSize: header.bits === 64 ? 8 : 4,
    endianness: header.endianness,
    getEdgeKindName: arch.getEdgeKindName,
  });
  const info: ElfGraphInfo = {
    bits: header.bits,
    machine: header.machine,
    sectionsByIndex: new Array<Section | undefined>(elf.sections.length),
    originalNames: new Map(),
    tlsSections: new Set(),
    threadLocalExternals: new Set(),
    groups: [],
    skippedNoneRelocations: 0,
    sourceObjects: [],
  };
  graphInfo.set(graph, info);
  const builder = new GraphBuilder(elf, arch, graph, info, decoded);
  builder.build();
  info.sourceObjects.push({ name: elf.fileName, bytes: elf.bytes, blocksByIndex: builder.blocksByIndex });
  return graph;
}

/** The scope of a symbol's definition. */
export function elfSymbolScope(sym: ElfSymbol): Scope {
  return elfScope(sym.binding, sym.visibility);
}

/** The scope of a definition of this binding (STB_*) and visibility (STV_*). */
function elfScope(binding: number, visibility: number): Scope {
  if (binding === STB_LOCAL) return Scope.Local;
  // STV_INTERNAL is "hidden, and never called from outside": treat it as hidden.
  if (visibility === STV_HIDDEN || visibility === STV_INTERNAL) return Scope.Hidden;
  return Scope.Default;
}

/** The linkage of a definition; `inComdat` when its section belongs to a COMDAT group. */
export function elfDefinitionLinkage(sym: ElfSymbol, inComdat: boolean): Linkage {
  return elfLinkage(sym.binding, inComdat);
}

function elfLinkage(binding: number, inComdat: boolean): Linkage {
  if (binding === STB_WEAK || binding === STB_GNU_UNIQUE) return Linkage.Weak;
  // A COMDAT definition may be repeated in other objects: keeping the first is correct.
  return inComdat && binding !== STB_LOCAL ? Linkage.Weak : Linkage.Strong;
}

/** Whether a section becomes a graph section (allocated program content). */
export function isLoadedElfSection(sec: ElfSectionHeader): boolean {
  return sec.index !== 0 && (sec.flags & SHF_ALLOC) !== 0 && !isMetadataSection(sec.type);
}

/** Marks the sections that belong to a COMDAT group. */
export function comdatMembership(elf: ElfFile): Uint8Array {
  const inComdat = new Uint8Array(elf.sections.length);
  for (const group of elf.groups) if (group.isComdat) for (const m of group.members) inComdat[m] = 1;
  return inComdat;
}

/** Throws for an object that is not ET_REL or not of this architecture's machine. */
export function checkElfObjectHeader(elf: ElfFile, arch: ElfArchSupport): void {
  const file = elf.fileName;
  const { header } = elf;
  checkElfRelocatable(header, file);
  if (header.machine !== arch.machine) {
    throw new JITLinkError(
      'UnsupportedArchitecture',
      `ELF machine ${header.machine} does not match ${arch.packageName} (${arch.arch}, machine ${arch.machine})`,
      { file, offset: 18 },
    );
  }
}

/** Throws for the symbol bindings and types no graph can represent. */
export function checkElfSymbolKind(elf: ElfFile, sym: ElfSymbol): void {
  const binding = sym.binding;
  if (binding !== STB_LOCAL && binding !== STB_GLOBAL && binding !== STB_WEAK && binding !== STB_GNU_UNIQUE) {
    elfSymbolError(elf, sym, `has unsupported binding ${binding}`);
  }
  if (sym.type === STT_GNU_IFUNC && sym.sectionIndex !== SHN_UNDEF) {
    throw new JITLinkError('UnsupportedFeature', `symbol ${sym.name} is an indirect function (STT_GNU_IFUNC)`, {
      file: elf.fileName,
      section: elf.symbolTable?.name,
      offset: sym.entryOffset,
    });
  }
  if (sym.sectionIndex >= SHN_LORESERVE && sym.sectionIndex !== SHN_ABS && sym.sectionIndex !== SHN_COMMON) {
    elfSymbolError(elf, sym, `has unsupported reserved section index 0x${sym.sectionIndex.toString(16)}`);
  }
}

/** The alignment of a common symbol (its st_value), checked. */
export function elfCommonAlignment(elf: ElfFile, sym: ElfSymbol): number {
  if (sym.name === '') elfSymbolError(elf, sym, 'is a common symbol without a name');
  const alignment = sym.value === 0 ? 1 : sym.value;
  if (!(alignment > 0 && alignment <= 0x1_0000_0000 && Number.isInteger(Math.log2(alignment)))) {
    elfSymbolError(elf, sym, `is a common symbol with invalid alignment ${sym.value}`);
  }
  return alignment;
}

export function elfSymbolError(elf: ElfFile, sym: ElfSymbol, detail: string): never {
  throw new JITLinkError('MalformedObject', `symbol #${sym.index} (${sym.name || '<unnamed>'}) ${detail}`, {
    file: elf.fileName,
    section: elf.symbolTable?.name,
    offset: sym.entryOffset,
  });
}

/** Section types that describe the object rather than hold program content. */
function isMetadataSection(type: number): boolean {
  return (
    type === SHT_NULL ||
    type === SHT_SYMTAB ||
    type === SHT_STRTAB ||
    type === SHT_RELA ||
    type === SHT_REL ||
    type === SHT_GROUP ||
    type === SHT_SYMTAB_SHNDX
  );
}

class GraphBuilder {
  private readonly blocks: (Block | undefined)[];
  get blocksByIndex(): readonly (Block | undefined)[] {
    return this.blocks;
  }
  private readonly graphSymbols: (Symbol | undefined)[];
  /** One anonymous symbol per section, shared by its STT_SECTION symbols. */
  private readonly sectionSymbols: (Symbol | undefined)[];
  /** Whether each ELF section is a member of a COMDAT group (undefined: the object has no groups). */
  private readonly inComdat: Uint8Array | undefined;
  /** Reused for the symbols a rare path needs as an ElfSymbol (symbolEntry). */
  private readonly entry = newSymbol();
  /** The symbol string table decoded whole, null when it is not ASCII (see stringTableText). */
  private symbolNames: string | null = null;
  /** Names of non-local symbols as strings of their own (ownNames), by symbol index; see keepNames. */
  private keptNames: (string | undefined)[] | undefined;
  private nextAddress = 0;
  private commonSection: Section | undefined;
  /** Reused for every relocation: arch implementations must not retain them. */
  private readonly rel: ElfRelocation = { type: 0, offset: 0, symbolIndex: 0, addend: 0 };
  private readonly site: ElfRelocationSite;

  constructor(
    private readonly elf: ElfFile,
    private readonly arch: ElfArchSupport,
    private readonly graph: LinkGraph,
    private readonly info: ElfGraphInfo,
    /** Relocation entries decoded ahead, in columns (the others are read from the file). */
    private readonly decoded: DecodedElf | undefined,
  ) {
    const n = elf.sections.length;
    this.blocks = new Array<Block | undefined>(n);
    this.graphSymbols = new Array<Symbol | undefined>(symbolCount(elf));
    this.sectionSymbols = new Array<Symbol | undefined>(n);
    this.inComdat = elf.groups.length === 0 ? undefined : comdatMembership(elf);
    this.site = { graph, block: undefined as unknown as Block, offsetInBlock: 0, file: elf.fileName, relocationSection: '', entryOffset: 0 };
  }

  build(): void {
    this.buildSections();
    this.buildSymbols();
    this.buildGroups();
    this.buildRelocations();
  }

  private uniqueSectionName(name: string, index: number): string {
    if (this.graph.findSectionByName(name) === undefined) return name;
    let unique = `${name} [${index}]`;
    for (let n = 2; this.graph.findSectionByName(unique) !== undefined; n++) unique = `${name} [${index}.${n}]`;
    return unique;
  }

  /** Next distinct address, so that sorting blocks by address keeps file order. */
  private placeBlock(size: number, alignment: number): number {
    const address = alignUp(this.nextAddress, alignment);
    this.nextAddress = address + Math.max(size, 1);
    return address;
  }

  private buildSections(): void {
    const { elf, graph, info } = this;
    // Indexed loops over the section and relocation tables: they run once per
    // object, mostly before V8 optimizes them, and unoptimized for-of allocates
    // a result per element.
    const sections = elf.sections;
    for (let i = 0; i < sections.length; i++) {
      const sec = sections[i]!;
      if (!isLoadedElfSection(sec)) continue;
      if (sec.alignment > 0x1_0000_0000) {
        throw new JITLinkError('MalformedObject', `section alignment 0x${sec.alignment.toString(16)} is too large`, {
          file: elf.fileName,
          section: sec.name,
          offset: sec.headerOffset,
        });
      }
      let prot = MemProt.Read;
      if (sec.flags & SHF_WRITE) prot |= MemProt.Write;
      if (sec.flags & SHF_EXECINSTR) prot |= MemProt.Exec;
      const section = graph.createSection(this.uniqueSectionName(sec.name, sec.index), prot);
      info.sectionsByIndex[sec.index] = section;
      info.originalNames.set(section, sec.name);
      if (sec.flags & SHF_TLS) info.tlsSections.add(section);
      const alignment = sec.alignment === 0 ? 1 : sec.alignment;
      const address = this.placeBlock(sec.size, alignment);
      const block =
        sec.type === SHT_NOBITS
          ? graph.createZeroFillBlock(section, sec.size, address, alignment, 0)
          : graph.createContentBlock(section, sectionContent(elf, sec), address, alignment, 0);
      this.blocks[sec.index] = block;
      // Initializer arrays and retained sections are live roots: nothing refers to them.
      if ((sec.flags & SHF_GNU_RETAIN) !== 0 || initializerSectionInfo(sec.name) !== undefined) {
        graph.addAnonymousSymbol(block, 0, block.size, false, true);
      }
    }
  }

  /** Throws for symbol `i`, naming it as elfSymbolError does. */
  private symbolError(i: number, detail: string): never {
    elfSymbolError(this.elf, this.symbolEntry(i), detail);
  }

  /** The name of symbol `i` (buildSymbols sets symbolNames first). */
  private symbolName(i: number): string {
    const columns = this.elf.symbolColumns!;
    const nameOffset = columns.names[i]!;
    if (nameOffset === 0) return '';
    const kept = this.keptNames?.[i];
    if (kept !== undefined) return kept;
    const text = this.symbolNames;
    return text !== null ? text.slice(nameOffset, text.indexOf('\0', nameOffset)) : symbolName(this.elf, columns, i);
  }

  /**
   * Copies the names of non-local symbols out of the decoded table, all at
   * once: the session keeps them after the graph (definitions, and
   * references that a generator defines), and a slice would keep the whole
   * table alive. (Names of a table that is not ASCII are decoded one by one,
   * and names shorter than a slice are copies already.)
   */
  private keepNames(text: string, names: Uint32Array, info: Uint8Array): void {
    const count = names.length;
    const slices: string[] = [];
    const indices: number[] = [];
    for (let i = 1; i < count; i++) {
      const nameOffset = names[i]!;
      const infoByte = info[i]!;
      if (nameOffset === 0 || infoByte >> 4 === STB_LOCAL || (infoByte & 0xf) === STT_FILE) continue;
      const end = text.indexOf('\0', nameOffset);
      if (end - nameOffset < MIN_SLICE_LENGTH) continue;
      slices.push(text.slice(nameOffset, end));
      indices.push(i);
    }
    if (indices.length === 0) return;
    const owned = ownNames(slices);
    const kept = (this.keptNames = new Array<string | undefined>(count));
    for (let k = 0; k < indices.length; k++) kept[indices[k]!] = owned[k];
  }

  /** Symbol `i` as an ElfSymbol, its name included (one reused object: for the rare paths that need one). */
  private symbolEntry(i: number): ElfSymbol {
    const columns = this.elf.symbolColumns!;
    const sym = symbolFromColumns(columns, i, this.entry);
    sym.name = this.symbolName(i);
    return sym;
  }

  private buildSymbols(): void {
    const { elf, graph, blocks, graphSymbols } = this;
    const columns = elf.symbolColumns;
    if (columns === undefined || columns.count < 2) return;
    // Read from the columns entry by entry: no object per ELF symbol, and a
    // name only for the symbols the graph names. Every name offset was
    // checked when the columns were read, so an ASCII table's names are
    // slices of the table decoded once.
    const { info, names, sections: symbolSections, values, sizes, visibility } = columns;
    const text = (this.symbolNames = stringTableText(elf, columns.strtab));
    if (text !== null) this.keepNames(text, names, info);
    const keptNames = this.keptNames;
    const elfSections = elf.sections;
    for (let i = 1; i < columns.count; i++) {
      const infoByte = info[i]!;
      const type = infoByte & 0xf;
      if (type === STT_FILE) continue;
      const binding = infoByte >> 4;
      const shndx = symbolSections[i]!;
      if (
        (binding > STB_WEAK && binding !== STB_GNU_UNIQUE) ||
        (type === STT_GNU_IFUNC && shndx !== SHN_UNDEF) ||
        (shndx >= SHN_LORESERVE && shndx !== SHN_ABS && shndx !== SHN_COMMON)
      ) {
        checkElfSymbolKind(elf, this.symbolEntry(i)); // throws, with its message
      }
      if (shndx === SHN_UNDEF) {
        // A local one is only valid as an unused placeholder; a relocation against it is reported then.
        if (binding !== STB_LOCAL) graphSymbols[i] = this.undefinedSymbol(i, binding, type);
        continue;
      }
      if (shndx === SHN_COMMON) {
        graphSymbols[i] = this.commonSymbol(this.symbolEntry(i));
        continue;
      }
      const block = shndx === SHN_ABS ? undefined : blocks[shndx];
      if (type === STT_SECTION) {
        if (block !== undefined) graphSymbols[i] = this.sectionSymbol(shndx, block);
        continue;
      }
      if (shndx !== SHN_ABS && block === undefined) continue; // defined in a section that is not built (debug info...)
      const nameOffset = names[i]!;
      const name =
        nameOffset === 0
          ? ''
          : (keptNames?.[i] ?? (text !== null ? text.slice(nameOffset, text.indexOf('\0', nameOffset)) : this.symbolName(i)));
      const scope = elfScope(binding, visibility[i]!);
      const rawValue = values[i]!;
      const value = (rawValue | 0) === rawValue ? rawValue | 0 : rawValue;
      const rawSize = sizes[i]!;
      const size = (rawSize | 0) === rawSize ? rawSize | 0 : rawSize;
      if (block === undefined) {
        const linkage = binding === STB_WEAK ? Linkage.Weak : Linkage.Strong;
        graphSymbols[i] = graph.addAbsoluteSymbol(name || undefined, value, size, linkage, scope, false);
        continue;
      }
      const sec = elfSections[shndx]!;
      const blockSize = block.size;
      const offset = value - sec.address;
      if (!(offset >= 0 && offset <= blockSize)) {
        this.symbolError(i, `value 0x${value.toString(16)} is outside its section ${sec.name} (size 0x${blockSize.toString(16)})`);
      }
      const linkage = elfLinkage(binding, this.inComdat !== undefined && this.inComdat[shndx] === 1);
      graphSymbols[i] = graph.addDefinedSymbol(
        block,
        offset,
        name === '' ? undefined : name,
        Math.min(size, blockSize - offset),
        linkage,
        scope,
        type === STT_FUNC,
        false,
      );
    }
  }

  private sectionSymbol(shndx: number, block: Block): Symbol {
    let s = this.sectionSymbols[shndx];
    if (s === undefined) this.sectionSymbols[shndx] = s = this.graph.addAnonymousSymbol(block, 0, 0, false, false);
    return s;
  }

  private undefinedSymbol(i: number, binding: number, type: number): Symbol {
    const { graph } = this;
    const name = this.symbolName(i);
    if (name === '') this.symbolError(i, 'is undefined and has no name');
    // (Two character tests first: few names start with "__".)
    if (name.charCodeAt(0) === 0x5f && name.charCodeAt(1) === 0x5f) {
      const startStop = this.startStopSymbol(name);
      if (startStop !== undefined) return startStop;
    }
    const linkage = binding === STB_WEAK ? Linkage.Weak : Linkage.Strong;
    if (type === STT_TLS) this.info.threadLocalExternals.add(name);
    const existing = graph.findExternalSymbol(name);
    if (existing !== undefined) {
      // A name listed twice: one strong reference makes the reference strong.
      if (linkage === Linkage.Strong) existing.linkage = Linkage.Strong;
      return existing;
    }
    return graph.addExternalSymbol(name, 0, linkage);
  }

  /** Defines `__start_X` / `__stop_X` for a section X of this object. */
  private startStopSymbol(name: string): Symbol | undefined {
    let sectionName: string;
    let atEnd: boolean;
    if (name.startsWith('__start_')) {
      sectionName = name.slice(8);
      atEnd = false;
    } else if (name.startsWith('__stop_')) {
      sectionName = name.slice(7);
      atEnd = true;
    } else return undefined;
    if (!C_IDENTIFIER.test(sectionName)) return undefined;
    let block: Block | undefined;
    for (const sec of this.elf.sections) {
      if (sec.name === sectionName && this.blocks[sec.index] !== undefined) {
        block = this.blocks[sec.index];
        break;
      }
    }
    if (block === undefined) return undefined;
    const offset = atEnd ? block.size : 0;
    return this.graph.addDefinedSymbol(block, offset, name, 0, Linkage.Strong, Scope.Local, false, false);
  }

  private commonSymbol(sym: ElfSymbol): Symbol {
    const { graph } = this;
    const scope = elfSymbolScope(sym);
    const alignment = elfCommonAlignment(this.elf, sym);
    if (this.commonSection === undefined) {
      this.commonSection = graph.createSection(this.uniqueSectionName(ELF_COMMON_SECTION_NAME, 0), MemProt.Read | MemProt.Write);
      this.info.originalNames.set(this.commonSection, ELF_COMMON_SECTION_NAME);
    }
    const address = this.placeBlock(sym.size, alignment);
    return graph.addCommonSymbol(sym.name, scope === Scope.Local ? Scope.Local : scope, this.commonSection, address, sym.size, alignment, false);
  }

  private buildGroups(): void {
    for (const group of this.elf.groups) {
      const sections: Section[] = [];
      for (const m of group.members) {
        const s = this.info.sectionsByIndex[m];
        if (s !== undefined) sections.push(s);
      }
      // The signature is the symbol's name; for STT_SECTION signatures (old assemblers) the section's.
      const sig = group.signature;
      const signature =
        sig.type === STT_SECTION && sig.sectionIndex > 0 && sig.sectionIndex < this.elf.sections.length
          ? this.elf.sections[sig.sectionIndex]!.name
          : sig.name;
      this.info.groups.push({
        signature,
        isComdat: group.isComdat,
        groupSectionIndex: group.section.index,
        memberSectionIndices: group.members,
        sections,
        discarded: false,
      });
    }
  }

  private buildRelocations(): void {
    const { elf, arch } = this;
    const relocationSections = elf.relocationSections;
    this.reserveEdges();
    const decoded = this.decoded;
    for (let r = 0; r < relocationSections.length; r++) {
      const relSec = relocationSections[r]!;
      const block = this.blocks[relSec.targetIndex];
      if (block === undefined) continue; // applies to a section not built (debug info...)
      const count = relSec.count;
      if (count === 0) continue;
      const target: ElfSectionHeader = elf.sections[relSec.targetIndex]!;
      if (target.type === SHT_NOBITS) {
        throw new JITLinkError('MalformedObject', `relocations apply to ${target.name}, which has no content (SHT_NOBITS)`, {
          file: elf.fileName,
          section: relSec.section.name,
          offset: relSec.section.headerOffset,
        });
      }
      if (!relSec.isRela && arch.readImplicitAddend === undefined) {
        throw new JITLinkError('UnsupportedFeature', `SHT_REL relocations are not supported by ${arch.packageName}`, {
          file: elf.fileName,
          section: relSec.section.name,
          offset: relSec.section.headerOffset,
        });
      }
      this.site.block = block;
      this.site.relocationSection = relSec.section.name;
      // Entries decoded ahead for this very section (buildElfLinkGraphFromDecoded), then the rest read here.
      let next = 0;
      if (decoded !== undefined && decoded.relocationSections[r * 3] === relSec.section.index) {
        next = decoded.relocationSections[r * 3 + 1]!;
        this.addRelocationEdges(relSec, target, decodedColumns(decoded), decoded.relocationSections[r * 3 + 2]!, 0, next);
      }
      while (next < count) {
        const want = Math.min(RELOCATION_CHUNK, count - next);
        const read = readRelocationEntries(elf, relSec, next, want, relocationScratch, 0);
        this.addRelocationEdges(relSec, target, relocationScratch, 0, next, read);
        next += read;
        if (read < want) {
          // Entry `next` is malformed: readRelocation reports it (and if it does not, it is added as read).
          const rel = this.rel;
          readRelocation(elf, relSec, next, rel);
          relocationScratch.offsets[0] = rel.offset;
          relocationScratch.types[0] = rel.type;
          relocationScratch.symbols[0] = rel.symbolIndex;
          relocationScratch.addends[0] = rel.addend;
          this.addRelocationEdges(relSec, target, relocationScratch, 0, next, 1);
          next++;
        }
      }
    }
  }

  /**
   * Adds the edges of entries `first` to `first + n - 1` of `relSec`, read
   * into `columns` from index `base`: the checks the format makes, then the
   * architecture's mapping, one call per relocation.
   */
  private addRelocationEdges(
    relSec: ElfRelocationSection,
    target: ElfSectionHeader,
    columns: ElfRelocationColumns,
    base: number,
    first: number,
    n: number,
  ): void {
    const { elf, arch, info, graphSymbols, rel, site } = this;
    const block = site.block;
    const blockSize = block.size;
    const content = relSec.isRela ? undefined : block.getContent();
    const endianness = elf.header.endianness;
    const { offsets, types, symbols, addends } = columns;
    const entrySize = relSec.entrySize;
    let entryOffset = relSec.section.offset + first * entrySize;
    for (let k = base; k < base + n; k++, entryOffset += entrySize) {
      const type = types[k]!;
      if (type === 0) {
        info.skippedNoneRelocations++;
        continue;
      }
      const rawOffset = offsets[k]!;
      // (Small integers stay small integers: a double stored in a field boxes it.)
      const offset = (rawOffset | 0) === rawOffset ? rawOffset | 0 : rawOffset;
      if (offset >= blockSize) {
        throw new JITLinkError(
          'MalformedObject',
          `relocation offset 0x${offset.toString(16)} is outside ${target.name} (size 0x${blockSize.toString(16)})`,
          { file: elf.fileName, section: relSec.section.name, offset: entryOffset },
        );
      }
      const symbolIndex = symbols[k]!;
      const targetSymbol = graphSymbols[symbolIndex];
      if (targetSymbol === undefined) this.missingTarget(symbolIndex, relSec.section.name, entryOffset, type);
      rel.type = type;
      rel.offset = offset;
      rel.symbolIndex = symbolIndex;
      if (content !== undefined) rel.addend = arch.readImplicitAddend!(type, content, offset, endianness);
      else {
        const rawAddend = addends[k]!;
        rel.addend = (rawAddend | 0) === rawAddend ? rawAddend | 0 : rawAddend;
      }
      site.offsetInBlock = offset;
      site.entryOffset = entryOffset;
      arch.addRelocationEdge(rel, targetSymbol, site);
    }
  }

  /**
   * Reserves the edge storage of the graph in one step, and each block's range
   * at its final size: its relocations, plus what the default passes add to
   * an object's blocks. The eh-frame splitter moves every edge of .eh_frame
   * into a block per record (with a slot for each FDE's CIE pointer), and the
   * edge fixer adds a KeepAlive edge from each FDE's function to the FDE:
   * counted as one per .eh_frame relocation into the block (pc-begin; LSDA and
   * personality relocations reserve a slot or two too many). Without it, a
   * block holding many functions grew its range by doubling and moved it each
   * time, and the graph's storage grew several times per graph. An eighth
   * more and 64 slots for table entries (a GOT and a stub table reserve
   * room for sixteen entries each when made, and grow by doubling).
   */
  private reserveEdges(): void {
    const { elf, graph, blocks } = this;
    const relocationSections = elf.relocationSections;
    const perBlock = new Uint32Array(blocks.length);
    let relocations = 0;
    let movedByPasses = 0;
    for (let r = 0; r < relocationSections.length; r++) {
      const relSec = relocationSections[r]!;
      const target = relSec.targetIndex;
      if (blocks[target] === undefined) continue;
      perBlock[target] += relSec.count;
      relocations += relSec.count;
      if (elf.sections[target]!.name !== EH_FRAME_SECTION_NAME) continue;
      movedByPasses += 2 * relSec.count;
      const symbolSections = elf.symbolColumns?.sections;
      if (symbolSections === undefined) continue;
      for (let i = 0; i < relSec.count; i++) {
        const symbolIndex = relocationSymbolIndex(elf, relSec, i);
        if (symbolIndex >= symbolSections.length) continue;
        const shndx = symbolSections[symbolIndex]!;
        if (shndx < blocks.length && blocks[shndx] !== undefined) perBlock[shndx]++;
      }
    }
    let edges = 0;
    for (let b = 0; b < blocks.length; b++) if (perBlock[b] !== 0) edges += perBlock[b]! + 1;
    graph.reserveEdges(edges + movedByPasses + (relocations >> 3) + 64);
    for (let b = 0; b < blocks.length; b++) if (perBlock[b] !== 0) blocks[b]!.reserveEdges(perBlock[b]!);
  }

  private missingTarget(symbolIndex: number, relSection: string, entryOffset: number, type: number): never {
    const { elf } = this;
    const typeName = this.arch.relocationTypeName(type);
    const where = { file: elf.fileName, section: relSection, offset: entryOffset };
    if (symbolIndex === 0) throw new JITLinkError('MalformedObject', `${typeName} relocation has no target symbol (index 0)`, where);
    const sym = elf.symbols[symbolIndex]!;
    const label = `symbol #${symbolIndex} (${sym.name || '<unnamed>'})`;
    if (sym.type === STT_FILE) throw new JITLinkError('MalformedObject', `${typeName} relocation targets file ${label}`, where);
    if (sym.sectionIndex === SHN_UNDEF) {
      throw new JITLinkError('MalformedObject', `${typeName} relocation targets undefined local ${label}`, where);
    }
    if (sym.sectionIndex === SHN_ABS) {
      throw new JITLinkError('MalformedObject', `${typeName} relocation targets absolute section ${label}`, where);
    }
    const sec = sym.sectionIndex < elf.sections.length ? elf.sections[sym.sectionIndex] : undefined;
    throw new JITLinkError(
      'MalformedObject',
      `${typeName} relocation targets ${label} in ${sec ? `non-allocated section ${sec.name}` : 'a section that is not loaded'}`,
      where,
    );
  }
}
