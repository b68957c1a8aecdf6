/**
 * The generic MachO LinkGraph builder: sections to blocks (split at symbols
 * under MH_SUBSECTIONS_VIA_SYMBOLS, per string in cstring sections), symbols
 * with MachO semantics, and relocations handed to the architecture package.
 */
import { checkLimit, EdgeKinds, JITLinkError, LinkGraph, Linkage, MemLifetime, MemProt, Scope, type Block, type InputLimits, type Section, type Symbol } from '@jitlink/core';
import type { MachOArchSupport, MachORelocation, MachORelocationContext } from './arch-support.js';
import {
  MH_OBJECT,
  MH_SUBSECTIONS_VIA_SYMBOLS,
  N_ABS,
  N_ALT_ENTRY,
  N_EXT,
  N_INDR,
  N_NO_DEAD_STRIP,
  N_PEXT,
  N_SECT,
  N_STAB,
  N_TYPE,
  N_UNDF,
  N_WEAK_DEF,
  N_WEAK_REF,
  S_ATTR_DEBUG,
  S_ATTR_NO_DEAD_STRIP,
  S_ATTR_PURE_INSTRUCTIONS,
  S_ATTR_SOME_INSTRUCTIONS,
  S_CSTRING_LITERALS,
  S_MOD_INIT_FUNC_POINTERS,
  S_MOD_TERM_FUNC_POINTERS,
  S_THREAD_LOCAL_REGULAR,
  S_THREAD_LOCAL_VARIABLES,
  S_THREAD_LOCAL_ZEROFILL,
} from './constants.js';
import { isZeroFillType, parseMachO, readRelocations, type MachOFile, type MachOSection, type MachOSymbol } from './read/file.js';

export interface CreateMachOLinkGraphOptions {
  /** Graph name, usually the file name; used in every error message. */
  name: string;
  /** Caps on the object's bytes, sections and relocation entries, checked before the graph is built. */
  limits?: InputLimits;
}

/** What the builder knows about a graph beyond the LinkGraph itself. */
export interface MachOGraphInfo {
  /** MH_SUBSECTIONS_VIA_SYMBOLS: sections were split into blocks at symbols. */
  subsectionsViaSymbols: boolean;
  /** Graph sections holding __mod_init_func / __mod_term_func pointer tables. */
  initSections: Section[];
  termSections: Section[];
  /**
   * Thread-local variables: `__thread_data` / `__thread_bss` (S_THREAD_LOCAL_REGULAR / _ZEROFILL), the
   * template whose allocated copy names each variable, and `__thread_vars` (S_THREAD_LOCAL_VARIABLES), the
   * descriptors code reaches them through ({thunk, key, offset}, THREAD_VARIABLE_DESCRIPTOR_SIZE bytes each).
   */
  threadDataSections: Section[];
  threadVariableSections: Section[];
  /** LC_LINKER_OPTION contents (e.g. ["-lz"]): libraries and frameworks the object asks for. */
  linkerOptions: string[][];
  /** LC_BUILD_VERSION / LC_VERSION_MIN_*, when present. */
  platform?: string;
  minOS?: string;
}

const graphInfo = new WeakMap<LinkGraph, MachOGraphInfo>();

/** Builder metadata for a graph made by createMachOLinkGraph, or undefined for other graphs. */
export function getMachOGraphInfo(graph: LinkGraph): MachOGraphInfo | undefined {
  return graphInfo.get(graph);
}

/** The section of compact unwind entries, and the size of one (64-bit: function, length, encoding, personality, LSDA). */
export const COMPACT_UNWIND_SECTION = '__LD,__compact_unwind';
export const COMPACT_UNWIND_ENTRY_SIZE = 32;
/** A thread-variable descriptor: thunk, key and offset, pointer-sized each. */
export const THREAD_VARIABLE_DESCRIPTOR_SIZE = 24;

/** Sections the builder does not load: debug info. Compact unwind is flagged as debug info too, but kept (never allocated). */
export function isLoadedMachOSection(sec: MachOSection): boolean {
  if (sec.fullName === COMPACT_UNWIND_SECTION) return true;
  return (sec.flags & S_ATTR_DEBUG) === 0 && sec.segmentName !== '__DWARF';
}

/** Scope of a defined symbol: local, hidden (private extern) or default. */
export function machoSymbolScope(sym: MachOSymbol): Scope {
  if ((sym.type & N_EXT) === 0) return Scope.Local;
  return (sym.type & N_PEXT) !== 0 ? Scope.Hidden : Scope.Default;
}

export function isMachOCommon(sym: MachOSymbol): boolean {
  return (sym.type & N_TYPE) === N_UNDF && (sym.type & N_EXT) !== 0 && sym.value !== 0;
}

/** Throws for an object of another CPU or file type than `arch` links. */
export function checkMachOObject(m: MachOFile, arch: MachOArchSupport): void {
  if (m.header.fileType !== MH_OBJECT) {
    throw new JITLinkError('UnsupportedFormat', `MachO file type ${m.header.fileType} is not MH_OBJECT`, { file: m.fileName, offset: 12 });
  }
  if (m.header.cpuType !== arch.cpuType) {
    throw new JITLinkError('UnsupportedArchitecture', `MachO ${m.arch} object cannot be linked by ${arch.packageName} (${arch.arch})`, {
      file: m.fileName,
      offset: 4,
    });
  }
}

export function machoSymbolError(m: MachOFile, sym: MachOSymbol, detail: string): never {
  throw new JITLinkError('MalformedObject', `symbol #${sym.index} (${sym.name || '<unnamed>'}) ${detail}`, {
    file: m.fileName,
    section: '__LINKEDIT,symtab',
    offset: sym.entryOffset,
  });
}

/** Builds a LinkGraph from a thin MachO relocatable object. */
export function createMachOLinkGraph(bytes: Uint8Array, arch: MachOArchSupport, options: CreateMachOLinkGraphOptions): LinkGraph {
  const limits = options.limits ?? {};
  checkLimit(options.name, 'input bytes', bytes.length, limits.maxInputBytes);
  const m = parseMachO(bytes, options.name);
  checkLimit(options.name, 'sections', m.sections.length, limits.maxSections);
  checkLimit(options.name, 'relocations', m.sections.reduce((n, s) => n + s.relocationCount, 0), limits.maxRelocations);
  return buildMachOLinkGraph(m, arch);
}

export function buildMachOLinkGraph(m: MachOFile, arch: MachOArchSupport): LinkGraph {
  checkMachOObject(m, arch);
  const graph = new LinkGraph({
    name: m.fileName,
    triple: arch.triple(m.buildVersion?.platform, m.buildVersion?.minOS),
    pointerSize: 8,
    endianness: 'little',
    getEdgeKindName: arch.getEdgeKindName,
    format: 'macho',
  });
  const info: MachOGraphInfo = {
    subsectionsViaSymbols: (m.header.flags & MH_SUBSECTIONS_VIA_SYMBOLS) !== 0,
    initSections: [],
    termSections: [],
    threadDataSections: [],
    threadVariableSections: [],
    linkerOptions: m.linkerOptions,
    platform: m.buildVersion?.platform,
    minOS: m.buildVersion?.minOS,
  };
  graphInfo.set(graph, info);
  new GraphBuilder(m, arch, graph, info).build();
  return graph;
}

interface SectionState {
  sec: MachOSection;
  section: Section;
  /** Blocks in address order. */
  blocks: Block[];
  /** Symbols (named and the anonymous ones at block starts) in address order, for lookups by address. */
  byAddress: Symbol[];
}

class GraphBuilder {
  private readonly states: (SectionState | undefined)[] = [];
  private readonly symbols: (Symbol | undefined)[];
  private commonSection: Section | undefined;
  private nextCommonAddress = 0;

  constructor(
    private readonly m: MachOFile,
    private readonly arch: MachOArchSupport,
    private readonly graph: LinkGraph,
    private readonly info: MachOGraphInfo,
  ) {
    this.symbols = new Array<Symbol | undefined>(m.symbols.length);
  }

  build(): void {
    for (const sec of this.m.sections) this.nextCommonAddress = Math.max(this.nextCommonAddress, sec.address + sec.size);
    this.buildSections();
    this.buildSymbols();
    this.buildRelocations();
    this.tieCompactUnwindToFunctions();
  }

  private buildSections(): void {
    const { m, graph } = this;
    for (const sec of m.sections) {
      if (!isLoadedMachOSection(sec)) continue;
      let prot = MemProt.Read;
      if ((sec.flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS)) !== 0) prot |= MemProt.Exec;
      else if (sec.segmentName !== '__TEXT') prot |= MemProt.Write;
      let name = sec.fullName;
      for (let n = 2; graph.findSectionByName(name) !== undefined; n++) name = `${sec.fullName} [${n}]`;
      // Compact unwind is read by Darwin's static linker, never loaded: its entries only tie
      // personalities and LSDAs to their functions here (see tieCompactUnwindToFunctions).
      const lifetime = sec.fullName === COMPACT_UNWIND_SECTION ? MemLifetime.NoAlloc : MemLifetime.Standard;
      if (lifetime === MemLifetime.NoAlloc) this.checkEntrySize(sec, COMPACT_UNWIND_ENTRY_SIZE, 'compact unwind entries');
      const section = graph.createSection(name, prot, lifetime);
      this.states[sec.ordinal] = { sec, section, blocks: [], byAddress: [] };
      if (sec.type === S_MOD_INIT_FUNC_POINTERS) this.info.initSections.push(section);
      if (sec.type === S_MOD_TERM_FUNC_POINTERS) this.info.termSections.push(section);
      if (sec.type === S_THREAD_LOCAL_REGULAR || sec.type === S_THREAD_LOCAL_ZEROFILL) this.info.threadDataSections.push(section);
      if (sec.type === S_THREAD_LOCAL_VARIABLES) {
        this.checkEntrySize(sec, THREAD_VARIABLE_DESCRIPTOR_SIZE, 'thread-variable descriptors');
        this.info.threadVariableSections.push(section);
      }
    }
  }

  /** A section of fixed-size records must hold a whole number of them. */
  private checkEntrySize(sec: MachOSection, size: number, what: string): void {
    if (sec.size % size !== 0) {
      throw new JITLinkError('MalformedObject', `${sec.fullName} holds ${what} of ${size} bytes, but its size is 0x${sec.size.toString(16)}`, {
        file: this.m.fileName,
        section: sec.fullName,
        offset: sec.headerOffset,
      });
    }
  }

  /** Creates the block for [start, end) of a section (object addresses). */
  private addBlock(state: SectionState, start: number, end: number): Block {
    const { sec, section } = state;
    // Descriptors hold pointers: keep them pointer-aligned whatever the section asks (compilers give it 1).
    const alignment = sec.type === S_THREAD_LOCAL_VARIABLES ? Math.max(sec.alignment, 8) : sec.alignment;
    const alignmentOffset = sec.type === S_THREAD_LOCAL_VARIABLES ? (start - sec.address) % alignment : start % alignment;
    const block = isZeroFillType(sec.type)
      ? this.graph.createZeroFillBlock(section, end - start, start, alignment, alignmentOffset)
      : this.graph.createContentBlock(
          section,
          this.m.bytes.subarray(sec.fileOffset + (start - sec.address), sec.fileOffset + (end - sec.address)),
          start,
          alignment,
          alignmentOffset,
        );
    state.blocks.push(block);
    return block;
  }

  private buildSymbols(): void {
    const { m, graph } = this;
    const bySection = new Map<number, MachOSymbol[]>();
    for (const sym of m.symbols) {
      if ((sym.type & N_STAB) !== 0) continue; // debugging entries
      const type = sym.type & N_TYPE;
      if (type === N_UNDF) {
        if (sym.name === '') machoSymbolError(m, sym, 'is undefined and has no name');
        if (isMachOCommon(sym)) this.symbols[sym.index] = this.commonSymbol(sym);
        else this.symbols[sym.index] = this.externalSymbol(sym);
      } else if (type === N_ABS) {
        const linkage = (sym.desc & N_WEAK_DEF) !== 0 ? Linkage.Weak : Linkage.Strong;
        this.symbols[sym.index] = graph.addAbsoluteSymbol(sym.name || undefined, sym.value, 0, linkage, machoSymbolScope(sym), false);
      } else if (type === N_SECT) {
        const state = this.states[sym.sectionOrdinal];
        if (state === undefined) continue; // in a section that is not loaded (debug info)
        const { sec } = state;
        if (!(sym.value >= sec.address && sym.value <= sec.address + sec.size)) {
          machoSymbolError(m, sym, `value 0x${sym.value.toString(16)} is outside its section ${sec.fullName}`);
        }
        let list = bySection.get(sym.sectionOrdinal);
        if (list === undefined) bySection.set(sym.sectionOrdinal, (list = []));
        list.push(sym);
      } else if (type === N_INDR) {
        throw new JITLinkError('UnsupportedFeature', `symbol ${sym.name} is an indirect symbol (N_INDR)`, {
          file: m.fileName,
          offset: sym.entryOffset,
        });
      } else {
        machoSymbolError(m, sym, `has unsupported type 0x${sym.type.toString(16)}`);
      }
    }
    for (const state of this.states) {
      if (state === undefined) continue;
      const list = bySection.get(state.sec.ordinal) ?? [];
      // Stable: equal addresses keep symbol-table order (externals after locals).
      list.sort((a, b) => a.value - b.value);
      this.buildBlocks(state, list);
    }
  }

  /** Splits a section into blocks and defines its symbols in them. */
  private buildBlocks(state: SectionState, syms: MachOSymbol[]): void {
    const { sec } = state;
    const start = sec.address;
    const end = sec.address + sec.size;
    const cuts: number[] = [start];
    if (sec.type === S_CSTRING_LITERALS && !isZeroFillType(sec.type)) {
      // One block per NUL-terminated string: each is kept or stripped alone.
      const content = this.m.bytes.subarray(sec.fileOffset, sec.fileOffset + sec.size);
      for (let i = 0; i < content.length; i++) if (content[i] === 0 && i + 1 < content.length) cuts.push(start + i + 1);
      if (sec.size > 0 && content[sec.size - 1] !== 0) {
        throw new JITLinkError('MalformedObject', `cstring section ${sec.fullName} does not end with a NUL`, {
          file: this.m.fileName,
          section: sec.fullName,
          offset: sec.headerOffset,
        });
      }
    } else if (sec.fullName === COMPACT_UNWIND_SECTION) {
      // One block per entry: each lives and dies with its function.
      for (let a = start + COMPACT_UNWIND_ENTRY_SIZE; a < end; a += COMPACT_UNWIND_ENTRY_SIZE) cuts.push(a);
    } else if (this.info.subsectionsViaSymbols) {
      // Each symbol starts a subsection, except alternate entry points into the previous one.
      for (const s of syms) if ((s.desc & N_ALT_ENTRY) === 0 && s.value > start && s.value < end) cuts.push(s.value);
    }
    const boundaries = [...new Set(cuts)].sort((a, b) => a - b);
    const sectionLive = (sec.flags & S_ATTR_NO_DEAD_STRIP) !== 0 || sec.type === S_MOD_INIT_FUNC_POINTERS || sec.type === S_MOD_TERM_FUNC_POINTERS;
    if (sec.size === 0) {
      // An empty section still gives its symbols somewhere to be.
      const block = this.addBlock(state, start, start);
      state.byAddress.push(this.graph.addAnonymousSymbol(block, 0, 0, false, false));
    } else {
      for (let i = 0; i < boundaries.length; i++) {
        const b0 = boundaries[i]!;
        const b1 = i + 1 < boundaries.length ? boundaries[i + 1]! : end;
        const block = this.addBlock(state, b0, b1);
        // Every block starts with a symbol, so that any address can be resolved to one (and live roots can name it).
        if (!syms.some((s) => s.value === b0) || sectionLive) {
          state.byAddress.push(this.graph.addAnonymousSymbol(block, 0, 0, false, sectionLive));
        }
      }
    }
    const isCode = (sec.flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS)) !== 0;
    let blockIndex = 0;
    for (let k = 0; k < syms.length; k++) {
      const s = syms[k]!;
      while (blockIndex + 1 < state.blocks.length && state.blocks[blockIndex + 1]!.address <= s.value) blockIndex++;
      const block = state.blocks[blockIndex]!;
      const offset = s.value - block.address;
      // Size: up to the next symbol at a higher address in the same block, or the block's end.
      let next = block.address + block.size;
      for (let j = k + 1; j < syms.length; j++) {
        if (syms[j]!.value > s.value) {
          next = Math.min(next, syms[j]!.value);
          break;
        }
      }
      const scope = machoSymbolScope(s);
      const linkage = (s.desc & N_WEAK_DEF) !== 0 ? Linkage.Weak : Linkage.Strong;
      const live = sectionLive || (s.desc & N_NO_DEAD_STRIP) !== 0;
      const sym = this.graph.addDefinedSymbol(block, offset, s.name || undefined, Math.max(0, next - s.value), linkage, scope, isCode, live);
      this.symbols[s.index] = sym;
      state.byAddress.push(sym);
    }
    state.byAddress.sort((a, b) => a.address - b.address);
    if (sec.type === S_THREAD_LOCAL_VARIABLES) {
      // Passes find a descriptor's fields by their offset in its block.
      for (const block of state.blocks) {
        if ((block.address - start) % THREAD_VARIABLE_DESCRIPTOR_SIZE !== 0 || block.size % THREAD_VARIABLE_DESCRIPTOR_SIZE !== 0) {
          throw new JITLinkError('MalformedObject', `a symbol at 0x${block.address.toString(16)} splits a thread-variable descriptor`, {
            file: this.m.fileName,
            section: sec.fullName,
            offset: sec.fileOffset + (block.address - start),
          });
        }
      }
    }
  }

  private externalSymbol(sym: MachOSymbol): Symbol {
    const linkage = (sym.desc & N_WEAK_REF) !== 0 ? Linkage.Weak : Linkage.Strong;
    const existing = this.graph.findExternalSymbol(sym.name);
    if (existing !== undefined) {
      if (linkage === Linkage.Strong) existing.linkage = Linkage.Strong;
      return existing;
    }
    return this.graph.addExternalSymbol(sym.name, 0, linkage);
  }

  private commonSymbol(sym: MachOSymbol): Symbol {
    // n_value is the size; bits 8-11 of n_desc the log2 of the alignment.
    const alignment = 2 ** ((sym.desc >>> 8) & 0xf);
    if (this.commonSection === undefined) this.commonSection = this.graph.createSection('__DATA,__common', MemProt.Read | MemProt.Write);
    const address = Math.ceil(this.nextCommonAddress / alignment) * alignment;
    this.nextCommonAddress = address + Math.max(sym.value, 1);
    const scope = (sym.type & N_PEXT) !== 0 ? Scope.Hidden : Scope.Default;
    return this.graph.addCommonSymbol(sym.name, scope, this.commonSection, address, sym.value, alignment, false);
  }

  private buildRelocations(): void {
    const { m, arch, graph } = this;
    // The graph's edge storage in one step: a relocation (or pair) makes at
    // most one edge; the storage leaves room for what the link adds.
    let edges = 0;
    for (const state of this.states) if (state !== undefined) edges += state.sec.relocationCount;
    graph.reserveEdges(edges);
    for (const state of this.states) {
      if (state === undefined || state.sec.relocationCount === 0) continue;
      const { sec } = state;
      if (isZeroFillType(sec.type)) {
        throw new JITLinkError('MalformedObject', `relocations apply to zero-fill section ${sec.fullName}`, {
          file: m.fileName,
          section: sec.fullName,
          offset: sec.headerOffset,
        });
      }
      const relocations = readRelocations(m, sec);
      const ctx: MachORelocationContext = {
        graph,
        file: m.fileName,
        sectionName: sec.fullName,
        block: state.blocks[0]!,
        offsetInBlock: 0,
        fixupAddress: 0,
        symbolByIndex: (index, rel) => this.symbolByIndex(index, rel, sec),
        symbolByAddress: (ordinal, address, rel) => this.symbolByAddress(ordinal, address, rel, sec),
        error: (rel, detail) => this.relocationError(rel, sec, detail),
      };
      // MachO lists relocations last-to-first; pairs stay adjacent either way.
      for (let i = 0; i < relocations.length; ) {
        const rel = relocations[i]!;
        const width = 1 << rel.length;
        if (rel.address + width > sec.size) {
          this.relocationError(rel, sec, `relocation at offset 0x${rel.address.toString(16)} patches ${width} bytes outside ${sec.fullName} (size 0x${sec.size.toString(16)})`);
        }
        const block = this.blockAt(state, sec.address + rel.address);
        const offsetInBlock = sec.address + rel.address - block.address;
        if (offsetInBlock + width > block.size) {
          this.relocationError(rel, sec, `relocation at offset 0x${rel.address.toString(16)} straddles two subsections of ${sec.fullName}`);
        }
        ctx.block = block;
        ctx.offsetInBlock = offsetInBlock;
        ctx.fixupAddress = sec.address + rel.address;
        i += arch.addRelocationEdges(relocations, i, ctx);
      }
    }
  }

  /**
   * Each compact unwind entry starts with a relocation naming its function: a
   * keep-alive edge from the function's block to the entry makes the entry, and
   * through its edges the personality and LSDA, live exactly when the function is.
   */
  private tieCompactUnwindToFunctions(): void {
    for (const state of this.states) {
      if (state === undefined || state.sec.fullName !== COMPACT_UNWIND_SECTION) continue;
      const startSymbols = new Map<Block, Symbol>();
      for (const sym of state.byAddress) if (sym.isDefined() && sym.offset === 0 && !startSymbols.has(sym.block)) startSymbols.set(sym.block, sym);
      for (const entry of state.blocks) {
        let fn: Symbol | undefined;
        for (let i = 0; i < entry.edgeCount && fn === undefined; i++) if (entry.edgeOffset(i) === 0) fn = entry.edgeTarget(i);
        if (fn === undefined) {
          throw new JITLinkError('MalformedObject', 'compact unwind entry has no relocation naming its function', {
            file: this.m.fileName,
            section: state.sec.fullName,
            offset: state.sec.fileOffset + (entry.address - state.sec.address),
          });
        }
        // An entry for a function defined elsewhere has nothing to keep it: it goes.
        if (!fn.isDefined()) continue;
        fn.block.appendEdge(EdgeKinds.KeepAlive, 0, startSymbols.get(entry)!, 0);
      }
    }
  }

  private blockAt(state: SectionState, address: number): Block {
    const blocks = state.blocks;
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (blocks[mid]!.address <= address) lo = mid;
      else hi = mid - 1;
    }
    return blocks[lo]!;
  }

  private symbolByIndex(index: number, rel: MachORelocation, sec: MachOSection): Symbol {
    if (index >= this.m.symbols.length) this.relocationError(rel, sec, `relocation names symbol #${index}, past the symbol table (${this.m.symbols.length} entries)`);
    const sym = this.symbols[index];
    if (sym === undefined) {
      const s = this.m.symbols[index]!;
      this.relocationError(rel, sec, `relocation names symbol #${index} (${s.name || '<unnamed>'}), which is not in a loaded section`);
    }
    return sym;
  }

  private symbolByAddress(ordinal: number, address: number, rel: MachORelocation, sec: MachOSection): Symbol {
    const state = this.states[ordinal];
    if (state === undefined) {
      this.relocationError(rel, sec, `relocation names section ${ordinal}, which ${ordinal === 0 || ordinal > this.m.sections.length ? 'does not exist' : 'is not loaded'}`);
    }
    const t = state.sec;
    if (!(address >= t.address && address <= t.address + t.size)) {
      this.relocationError(rel, sec, `relocation target 0x${address.toString(16)} is outside section ${t.fullName}`);
    }
    const list = state.byAddress;
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (list[mid]!.address <= address) lo = mid;
      else hi = mid - 1;
    }
    return list[lo]!;
  }

  private relocationError(rel: MachORelocation, sec: MachOSection, detail: string): never {
    throw new JITLinkError('MalformedObject', `${this.arch.relocationTypeName(rel.type)}: ${detail}`, {
      file: this.m.fileName,
      section: sec.fullName,
      offset: rel.entryOffset,
    });
  }
}
