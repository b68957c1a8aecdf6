/**
 * The generic COFF LinkGraph builder: one block per loaded section, symbols
 * with COFF's semantics (COMDAT leaders and their selection kinds, weak
 * externals, commons, `__imp_` references, `/alternatename`), and each
 * relocation handed to the architecture.
 */
import {
  checkLimit,
  EdgeKinds,
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
import type { CoffArchSupport, CoffRelocationSite } from './arch-support.js';
import {
  COMDAT_SELECTION_NAMES,
  IMAGE_COMDAT_SELECT_ASSOCIATIVE,
  IMAGE_COMDAT_SELECT_NODUPLICATES,
  IMAGE_SCN_CNT_CODE,
  IMAGE_SCN_CNT_UNINITIALIZED_DATA,
  IMAGE_SCN_LNK_COMDAT,
  IMAGE_SCN_LNK_INFO,
  IMAGE_SCN_LNK_REMOVE,
  IMAGE_SCN_MEM_DISCARDABLE,
  IMAGE_SCN_MEM_EXECUTE,
  IMAGE_SCN_MEM_READ,
  IMAGE_SCN_MEM_WRITE,
  IMAGE_SYM_ABSOLUTE,
  IMAGE_SYM_CLASS_EXTERNAL,
  IMAGE_SYM_CLASS_FILE,
  IMAGE_SYM_CLASS_LABEL,
  IMAGE_SYM_CLASS_STATIC,
  IMAGE_SYM_CLASS_WEAK_EXTERNAL,
  IMAGE_SYM_DEBUG,
  IMAGE_SYM_DTYPE_FUNCTION,
  IMAGE_SYM_UNDEFINED,
} from './constants.js';
import type { CoffDirectives } from './read/directives.js';
import { parseCoff, type CoffFile, type CoffSection, type CoffSymbol } from './read/file.js';

/** Name of the graph section that holds common symbols. */
export const COFF_COMMON_SECTION_NAME = '__common';
/** Section of the functions the COFF platform supplies to each graph that calls them. */
export const COFF_RUNTIME_SECTION_NAME = '$__COFF_RUNTIME';
/** mingw's constructor hook, called at the start of `main`. */
export const MINGW_MAIN_HOOK = '__main';
/** Prefix of dllimport references: `__imp_f` holds the address of `f`. */
export const IMPORT_PREFIX = '__imp_';

/** A COMDAT section of the object, as built. */
export interface CoffComdat {
  section: CoffSection;
  selection: number;
  /** The COMDAT symbol (absent for ASSOCIATIVE sections). */
  leader?: Symbol;
  /** For ASSOCIATIVE sections: the parent section's number. */
  associatedWith?: number;
}

/** What the builder knows about a graph beyond the LinkGraph itself. */
export interface CoffGraphInfo {
  machine: number;
  bigobj: boolean;
  /** The `.drectve` directives (`/defaultlib:` and the others), for the caller. */
  directives: CoffDirectives;
  comdats: CoffComdat[];
  /** Graph block built from each COFF section number. */
  blocksBySection: (Block | undefined)[];
}

const graphInfo = new WeakMap<LinkGraph, CoffGraphInfo>();

/** Builder metadata of a graph made by createCoffLinkGraph, or undefined. */
export function getCoffGraphInfo(graph: LinkGraph): CoffGraphInfo | undefined {
  return graphInfo.get(graph);
}

/** Sections no graph needs: linker information, removed and discardable (debug) sections. */
export function isLoadedCoffSection(section: CoffSection): boolean {
  const c = section.characteristics;
  if ((c & (IMAGE_SCN_LNK_REMOVE | IMAGE_SCN_LNK_INFO | IMAGE_SCN_MEM_DISCARDABLE)) !== 0) return false;
  return !section.name.startsWith('.debug');
}

function sectionProt(c: number): MemProt {
  let prot = MemProt.None;
  if ((c & IMAGE_SCN_MEM_READ) !== 0) prot |= MemProt.Read;
  if ((c & IMAGE_SCN_MEM_WRITE) !== 0) prot |= MemProt.Write;
  if ((c & IMAGE_SCN_MEM_EXECUTE) !== 0) prot |= MemProt.Exec;
  // Every loaded section is at least readable (some producers omit MEM_READ).
  return prot === MemProt.None ? MemProt.Read : prot | MemProt.Read;
}

/** Sections that run or list initializers: nothing refers to them, so they are live roots. */
export function isCoffInitializerSection(name: string): boolean {
  return name.startsWith('.CRT$X') || name.startsWith('.ctors') || name.startsWith('.dtors');
}

/** Builds a LinkGraph from a COFF relocatable object. */
export function createCoffLinkGraph(bytes: Uint8Array, arch: CoffArchSupport, options: { name: string; limits?: InputLimits }): LinkGraph {
  const limits = options.limits ?? {};
  checkLimit(options.name, 'input bytes', bytes.length, limits.maxInputBytes);
  const coff = parseCoff(bytes, options.name);
  checkLimit(options.name, 'sections', coff.sections.length, limits.maxSections);
  checkLimit(options.name, 'relocations', coff.sections.reduce((n, s) => n + s.relocations.length, 0), limits.maxRelocations);
  return buildCoffLinkGraph(coff, arch);
}

export function buildCoffLinkGraph(coff: CoffFile, arch: CoffArchSupport): LinkGraph {
  const file = coff.fileName;
  if (coff.header.machine !== arch.machine) {
    throw new JITLinkError(
      'UnsupportedArchitecture',
      `COFF machine 0x${coff.header.machine.toString(16)} does not match ${arch.packageName} (${arch.arch}, machine 0x${arch.machine.toString(16)})`,
      { file, offset: coff.header.bigobj ? 6 : 0 },
    );
  }
  const graph = new LinkGraph({
    name: file,
    triple: arch.triple,
    pointerSize: arch.pointerSize,
    endianness: 'little',
    getEdgeKindName: arch.getEdgeKindName,
    format: 'coff',
  });
  const info: CoffGraphInfo = {
    machine: coff.header.machine,
    bigobj: coff.header.bigobj,
    directives: coff.directives,
    comdats: [],
    blocksBySection: new Array(coff.sections.length + 1),
  };
  graphInfo.set(graph, info);
  new CoffGraphBuilder(coff, arch, graph, info).build();
  return graph;
}

class CoffGraphBuilder {
  private readonly file: string;
  private readonly symbols: (Symbol | undefined)[];
  /** For `__imp_X` references: X. */
  private readonly imports = new Map<number, Symbol>();
  private readonly sectionSymbols = new Map<Block, Symbol>();

  constructor(
    private readonly coff: CoffFile,
    private readonly arch: CoffArchSupport,
    private readonly graph: LinkGraph,
    private readonly info: CoffGraphInfo,
  ) {
    this.file = coff.fileName;
    this.symbols = new Array(coff.symbols.length);
  }

  build(): void {
    this.buildSections();
    this.buildSymbols();
    this.applyAlternateNames();
    this.linkAssociativeSections();
    this.buildRelocations();
    this.keepUnwindInfoWithFunctions();
    this.markRoots();
    this.defineRuntimeHooks();
  }

  /**
   * mingw's `main` first calls `__main`, which in a static link runs the
   * `.ctors` list; a JIT'd graph has no libgcc to provide it, and its
   * initializers are the platform's to run, so it becomes a weak function
   * that returns at once.
   */
  private defineRuntimeHooks(): void {
    const graph = this.graph;
    const ref = graph.findExternalSymbol(MINGW_MAIN_HOOK);
    if (ref === undefined) return;
    const section =
      graph.findSectionByName(COFF_RUNTIME_SECTION_NAME) ?? graph.createSection(COFF_RUNTIME_SECTION_NAME, MemProt.Read | MemProt.Exec);
    const block = graph.createContentBlock(section, this.arch.returnInstruction, 0, 16, 0);
    graph.makeDefined(ref, block, 0, block.size, Linkage.Weak, Scope.Hidden, false);
    ref.callable = true;
  }

  private buildSections(): void {
    const { graph, coff } = this;
    for (const sec of coff.sections) {
      if (!isLoadedCoffSection(sec)) continue;
      const prot = sectionProt(sec.characteristics);
      // Same-named sections (one per COMDAT) share a graph section when their protections agree.
      let section: Section | undefined = graph.findSectionByName(sec.name);
      if (section !== undefined && section.prot !== prot) {
        section = graph.findSectionByName(`${sec.name}#${sec.number}`);
      }
      section ??= graph.createSection(graph.findSectionByName(sec.name) ? `${sec.name}#${sec.number}` : sec.name, prot);
      const block =
        (sec.characteristics & IMAGE_SCN_CNT_UNINITIALIZED_DATA) !== 0
          ? graph.createZeroFillBlock(section, sec.sizeOfRawData, 0, sec.alignment, 0)
          : graph.createContentBlock(
              section,
              coff.bytes.subarray(sec.pointerToRawData, sec.pointerToRawData + sec.sizeOfRawData),
              0,
              sec.alignment,
              0,
            );
      this.info.blocksBySection[sec.number] = block;
    }
  }

  private sectionSymbol(block: Block): Symbol {
    let sym = this.sectionSymbols.get(block);
    if (sym === undefined) {
      sym = this.graph.addAnonymousSymbol(block, 0, block.size, false, false);
      this.sectionSymbols.set(block, sym);
    }
    return sym;
  }

  private symbolError(sym: CoffSymbol, detail: string, code: 'MalformedObject' | 'UnsupportedFeature' = 'MalformedObject'): never {
    throw new JITLinkError(code, `symbol #${sym.index} (${sym.name}) ${detail}`, { file: this.file, offset: sym.entryOffset });
  }

  private buildSymbols(): void {
    const { coff, graph, info } = this;
    // COMDAT sections: the section's symbol carries the selection; the next symbol in the section leads it.
    const comdatOf = new Map<number, CoffComdat>();
    const weakExternals: CoffSymbol[] = [];
    const defined: Symbol[] = [];
    for (const cs of coff.symbols) {
      if (cs === undefined) continue;
      const sec = cs.sectionNumber > 0 ? coff.sections[cs.sectionNumber - 1]! : undefined;
      if (cs.sectionDefinition !== undefined && sec !== undefined && (sec.characteristics & IMAGE_SCN_LNK_COMDAT) !== 0) {
        const def = cs.sectionDefinition;
        if (!comdatOf.has(sec.number)) {
          if (COMDAT_SELECTION_NAMES[def.selection] === undefined) {
            this.symbolError(cs, `has unknown COMDAT selection ${def.selection}`);
          }
          const comdat: CoffComdat = { section: sec, selection: def.selection };
          if (def.selection === IMAGE_COMDAT_SELECT_ASSOCIATIVE) {
            if (def.number < 1 || def.number > coff.sections.length || def.number === sec.number) {
              this.symbolError(cs, `is an ASSOCIATIVE COMDAT of invalid section ${def.number}`);
            }
            comdat.associatedWith = def.number;
          }
          comdatOf.set(sec.number, comdat);
          info.comdats.push(comdat);
        }
      }
      if (cs.storageClass === IMAGE_SYM_CLASS_FILE || cs.sectionNumber === IMAGE_SYM_DEBUG) continue;
      if (cs.storageClass === IMAGE_SYM_CLASS_WEAK_EXTERNAL) {
        weakExternals.push(cs);
        continue;
      }
      if (cs.sectionNumber === IMAGE_SYM_UNDEFINED) {
        if (cs.storageClass !== IMAGE_SYM_CLASS_EXTERNAL) this.symbolError(cs, `is undefined with storage class ${cs.storageClass}`);
        if (cs.value !== 0) {
          this.symbols[cs.index] = this.addCommon(cs);
          continue;
        }
        const ext = this.external(cs.name);
        if (cs.type >> 4 === IMAGE_SYM_DTYPE_FUNCTION) ext.callable = true;
        this.symbols[cs.index] = ext;
        if (cs.name.startsWith(IMPORT_PREFIX) && cs.name.length > IMPORT_PREFIX.length) {
          // Import address table entries are taken to hold functions (data imports from the host are rare).
          const imported = this.external(cs.name.slice(IMPORT_PREFIX.length));
          imported.callable = true;
          this.imports.set(cs.index, imported);
        }
        continue;
      }
      const scope = cs.storageClass === IMAGE_SYM_CLASS_EXTERNAL ? Scope.Default : Scope.Local;
      if (cs.sectionNumber === IMAGE_SYM_ABSOLUTE) {
        // Live: a definition the object exports (clang's `.weak.<name>.default.<x>`, the absolute 0 a weak
        // external without a default falls back to, is one) must survive pruning.
        this.symbols[cs.index] = graph.addAbsoluteSymbol(cs.name, cs.value, 0, Linkage.Strong, scope, scope !== Scope.Local);
        continue;
      }
      if (cs.storageClass !== IMAGE_SYM_CLASS_EXTERNAL && cs.storageClass !== IMAGE_SYM_CLASS_STATIC && cs.storageClass !== IMAGE_SYM_CLASS_LABEL) {
        continue; // function begin/end markers and other debugging records
      }
      const block = info.blocksBySection[cs.sectionNumber];
      if (block === undefined) continue; // defined in a section that is not loaded (debug info)
      if (cs.value > block.size) this.symbolError(cs, `value 0x${cs.value.toString(16)} lies past the end of its ${block.size}-byte section`);
      if (cs.sectionDefinition !== undefined || (cs.storageClass === IMAGE_SYM_CLASS_STATIC && cs.value === 0 && cs.name === sec!.name)) {
        this.symbols[cs.index] = this.sectionSymbol(block);
        continue;
      }
      let linkage = Linkage.Strong;
      const comdat = comdatOf.get(cs.sectionNumber);
      if (comdat !== undefined && comdat.leader === undefined && comdat.associatedWith === undefined && scope !== Scope.Local) {
        linkage = this.comdatLinkage(cs, comdat.selection);
      }
      const callable = cs.type >> 4 === IMAGE_SYM_DTYPE_FUNCTION || (sec!.characteristics & IMAGE_SCN_CNT_CODE) !== 0;
      const sym = graph.addDefinedSymbol(block, cs.value, cs.name, 0, linkage, scope, callable, false);
      if (comdat !== undefined && comdat.leader === undefined && comdat.associatedWith === undefined) comdat.leader = sym;
      this.symbols[cs.index] = sym;
      defined.push(sym);
    }
    for (const cs of weakExternals) this.buildWeakExternal(cs);
    computeSizes(defined);
  }

  /** The linkage of a COMDAT leader, by selection kind (as LLVM's COFF builder defines them). */
  private comdatLinkage(cs: CoffSymbol, selection: number): Linkage {
    if (selection === IMAGE_COMDAT_SELECT_NODUPLICATES) return Linkage.Strong;
    if (selection === 7) {
      this.symbolError(cs, 'leads a COMDAT with selection NEWEST, which only a linker of timestamped objects can apply', 'UnsupportedFeature');
    }
    // ANY, SAME_SIZE, EXACT_MATCH and LARGEST: the first definition linked is kept (LLVM does not compare copies).
    return Linkage.Weak;
  }

  private external(name: string, linkage = Linkage.Strong): Symbol {
    return this.graph.findExternalSymbol(name) ?? this.graph.addExternalSymbol(name, 0, linkage);
  }

  private addCommon(cs: CoffSymbol): Symbol {
    const graph = this.graph;
    const section =
      graph.findSectionByName(COFF_COMMON_SECTION_NAME) ?? graph.createSection(COFF_COMMON_SECTION_NAME, MemProt.Read | MemProt.Write);
    const log2 = this.coff.directives.commonAlignments.get(cs.name);
    // Without -aligncomm, the natural alignment of the size, at most 32 (as MSVC's linker).
    let alignment = 1;
    if (log2 !== undefined) alignment = 2 ** log2;
    else while (alignment < 32 && alignment * 2 <= cs.value) alignment *= 2;
    return graph.addCommonSymbol(cs.name, Scope.Default, section, 0, cs.value, alignment, false);
  }

  /**
   * A weak external names a default (its tag): defined here, the name becomes
   * a weak definition at the default's place, which any strong definition
   * elsewhere overrides; otherwise the name is a weak reference.
   */
  private buildWeakExternal(cs: CoffSymbol): void {
    const aux = cs.weakExternal;
    if (aux === undefined) this.symbolError(cs, 'is a weak external without its auxiliary record');
    if (aux.tagIndex >= this.coff.symbols.length || this.coff.symbols[aux.tagIndex] === undefined) {
      this.symbolError(cs, `names default symbol index ${aux.tagIndex}, which is not a symbol`);
    }
    const tag = this.symbols[aux.tagIndex];
    if (tag !== undefined && tag.isDefined()) {
      const existing = this.graph.findExternalSymbol(cs.name);
      if (existing !== undefined) this.graph.makeDefined(existing, tag.block, tag.offset, tag.size, Linkage.Weak, Scope.Default, false);
      this.symbols[cs.index] =
        existing ?? this.graph.addDefinedSymbol(tag.block, tag.offset, cs.name, tag.size, Linkage.Weak, Scope.Default, tag.callable, false);
      return;
    }
    this.symbols[cs.index] = this.external(cs.name, Linkage.Weak);
  }

  /** `/alternatename:a=b`: an undefined `a` becomes a weak alias of `b` when `b` is defined here. */
  private applyAlternateNames(): void {
    const graph = this.graph;
    const definedByName = new Map<string, Symbol>();
    graph.forEachDefinedSymbol((s) => {
      if (s.name !== undefined) definedByName.set(s.name, s);
    });
    for (const [from, to] of this.coff.directives.alternateNames) {
      const ref = graph.findExternalSymbol(from);
      const target = definedByName.get(to);
      if (ref === undefined || target === undefined) continue;
      graph.makeDefined(ref, target.block, target.offset, target.size, Linkage.Weak, Scope.Default, false);
    }
  }

  /** An ASSOCIATIVE COMDAT lives as long as its parent: a keep-alive edge from the parent's block. */
  private linkAssociativeSections(): void {
    for (const comdat of this.info.comdats) {
      if (comdat.associatedWith === undefined) continue;
      const child = this.info.blocksBySection[comdat.section.number];
      const parent = this.info.blocksBySection[comdat.associatedWith];
      if (child === undefined || parent === undefined) continue;
      parent.appendEdge(EdgeKinds.KeepAlive, 0, this.sectionSymbol(child), 0);
    }
  }

  private buildRelocations(): void {
    const { coff, arch, graph } = this;
    // The graph's edge storage in one step: one edge per relocation, and a
    // spare slot per block; the storage leaves room for what the link adds.
    let edges = 0;
    for (const sec of coff.sections) if (sec.relocations.length > 0) edges += sec.relocations.length + 1;
    graph.reserveEdges(edges);
    for (const sec of coff.sections) {
      const block = this.info.blocksBySection[sec.number];
      if (block === undefined || sec.relocations.length === 0) continue;
      if (block.isZeroFill()) {
        throw new JITLinkError('MalformedObject', `zero-fill section has ${sec.relocations.length} relocations`, {
          file: this.file,
          section: sec.name,
          offset: sec.headerOffset,
        });
      }
      block.reserveEdges(block.edgeCount + sec.relocations.length);
      for (const rel of sec.relocations) {
        const where = { file: this.file, section: sec.name, offset: rel.entryOffset };
        if (rel.symbolIndex >= coff.symbols.length) {
          throw new JITLinkError(
            'MalformedObject',
            `relocation names symbol index ${rel.symbolIndex}; the symbol table has ${coff.symbols.length} entries`,
            where,
          );
        }
        const cs = coff.symbols[rel.symbolIndex];
        if (cs === undefined) {
          throw new JITLinkError('MalformedObject', `relocation names symbol index ${rel.symbolIndex}, an auxiliary record`, where);
        }
        const imported = this.imports.get(rel.symbolIndex);
        const target = imported ?? this.symbols[rel.symbolIndex];
        if (target === undefined) {
          throw new JITLinkError('MalformedObject', `relocation refers to symbol ${cs.name}, which is in no loaded section`, where);
        }
        const site: CoffRelocationSite = {
          graph,
          block,
          offsetInBlock: rel.offset,
          file: this.file,
          section: sec.name,
          entryOffset: rel.entryOffset,
          throughImportTable: imported !== undefined,
        };
        arch.addRelocationEdge(rel, target, site);
      }
    }
    // `__imp_` externals that only stood for their import entry are no longer referenced.
    if (this.imports.size === 0) return;
    const referenced = referencedSymbols(graph);
    for (const index of this.imports.keys()) {
      const sym = this.symbols[index];
      if (sym !== undefined && sym.isExternal() && sym.inGraph && !referenced.has(sym)) graph.removeExternalSymbol(sym);
    }
  }

  /** `.pdata` describes functions nothing else ties it to: each function's block keeps its unwind entry alive. */
  private keepUnwindInfoWithFunctions(): void {
    for (const sec of this.coff.sections) {
      if (sec.name !== '.pdata') continue;
      const pdata = this.info.blocksBySection[sec.number];
      if (pdata === undefined) continue;
      const keep = this.sectionSymbol(pdata);
      const seen = new Set<Block>();
      for (let i = 0; i < pdata.edgeCount; i++) {
        const target = pdata.edgeTarget(i);
        if (!target.isDefined() || (target.block.section.prot & MemProt.Exec) === 0 || seen.has(target.block)) continue;
        seen.add(target.block);
        target.block.appendEdge(EdgeKinds.KeepAlive, 0, keep, 0);
      }
    }
  }

  /** Initializer sections and `/include:` symbols are live roots. */
  private markRoots(): void {
    for (const sec of this.coff.sections) {
      const block = this.info.blocksBySection[sec.number];
      if (block !== undefined && isCoffInitializerSection(sec.name)) this.sectionSymbol(block).live = true;
    }
    const includes = new Set(this.coff.directives.includes);
    if (includes.size === 0) return;
    this.graph.forEachDefinedSymbol((s) => {
      if (s.name !== undefined && includes.has(s.name)) s.live = true;
    });
  }
}

function referencedSymbols(graph: LinkGraph): Set<Symbol> {
  const out = new Set<Symbol>();
  for (const block of graph.blockList()) for (let i = 0; i < block.edgeCount; i++) out.add(block.edgeTarget(i));
  return out;
}

/** COFF symbols have no size: each extends to the next symbol of its block, or the block's end. */
function computeSizes(defined: Symbol[]): void {
  const byBlock = new Map<Block, Symbol[]>();
  for (const s of defined) {
    const list = byBlock.get(s.block);
    if (list === undefined) byBlock.set(s.block, [s]);
    else list.push(s);
  }
  byBlock.forEach((list, block) => {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < list.length; i++) {
      let end = block.size;
      for (let j = i + 1; j < list.length; j++) {
        if (list[j]!.offset > list[i]!.offset) {
          end = list[j]!.offset;
          break;
        }
      }
      list[i]!.size = end - list[i]!.offset;
    }
  });
}
