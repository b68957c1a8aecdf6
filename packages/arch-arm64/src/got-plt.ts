/**
 * GOT and PLT-stub construction for AArch64 (a post-prune pass).
 *
 * - `$__GOT` (RW-): one 8-byte entry per target symbol, a Pointer64 edge to
 *   the target; RequestGOTAndTransformTo* edges are pointed at the entry and
 *   given their final kind.
 * - `$__STUBS` (R-X): one 12-byte stub per external or absolute callee of a
 *   Branch26PCRel edge: `adrp x16, entry; ldr x16, [x16, :lo12:entry];
 *   br x16` (x16 is IP0, which the ABI leaves to veneers and PLT entries).
 * - The GOT base `_GLOBAL_OFFSET_TABLE_` (measured from by GotPageOffset15,
 *   and named by the ADRP of `-mcmodel=small -fPIC` code that uses
 *   LD64_GOTPAGE_LO15) is defined at the start of `$__GOT` when needed.
 *
 * Entries of a graph share one table block per section, each an anonymous
 * symbol at its offset with its own edge (as in the x86-64 package). This is
 * kept minimal behind `AArch64GOTAndStubs` until core provides a generic
 * table manager.
 */
import {
  JITLinkError,
  Linkage,
  MemProt,
  Scope,
  toBigInt,
  type Block,
  type EdgeKind,
  type LinkGraph,
  type Section,
  type Symbol,
} from '@jitlink/core';
import { aarch64EdgeKindInfo, AArch64EdgeKinds as K } from './edge-kinds.js';
import { tlsNotSupported } from './diagnostics.js';

export const GOT_SECTION_NAME = '$__GOT';
export const STUBS_SECTION_NAME = '$__STUBS';
export const GOT_SYMBOL_NAME = '_GLOBAL_OFFSET_TABLE_';
export const GOT_ENTRY_SIZE = 8;
export const STUB_SIZE = 12;

/** adrp x16, 0; ldr x16, [x16]; br x16 (fields filled by the stub's Page21 and PageOffset12 edges). */
const STUB_WORDS = [0x90000010, 0xf9400210, 0xd61f0200];
const STUB_TEMPLATE = new Uint8Array(STUB_SIZE);
STUB_WORDS.forEach((w, i) => new DataView(STUB_TEMPLATE.buffer).setUint32(4 * i, w, true));
const EMPTY = new Uint8Array(0);

const gotBases = new WeakMap<LinkGraph, Symbol>();

/** The graph's GOT base: the one the pass defined, else a defined or absolute `_GLOBAL_OFFSET_TABLE_`. */
export function findGOTBase(graph: LinkGraph): Symbol | undefined {
  const known = gotBases.get(graph);
  if (known !== undefined && known.inGraph) return known;
  for (const sym of graph.absoluteSymbols()) if (sym.name === GOT_SYMBOL_NAME) return remember(graph, sym);
  for (const sym of graph.definedSymbols()) if (sym.name === GOT_SYMBOL_NAME) return remember(graph, sym);
  return undefined;
}

function remember(graph: LinkGraph, sym: Symbol): Symbol {
  gotBases.set(graph, sym);
  return sym;
}

/** Fixed-size entries appended to one block; the content is trimmed to them by `sync`. */
class Table {
  readonly block: Block;
  private bytes: Uint8Array;
  private used = 0;

  constructor(
    graph: LinkGraph,
    section: Section,
    private readonly entrySize: number,
    alignment: number,
    private readonly template: Uint8Array,
  ) {
    this.bytes = new Uint8Array(entrySize * 16);
    this.block = graph.createMutableContentBlock(section, this.bytes.subarray(0, 0), 0, alignment, 0);
  }

  append(): number {
    const offset = this.used;
    if (offset + this.entrySize > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes.subarray(0, offset));
      this.bytes = grown;
    }
    this.bytes.set(this.template, offset);
    this.used = offset + this.entrySize;
    // Symbols are added at the entry's offset, so the block must already cover it.
    this.block.setMutableContent(this.bytes.subarray(0, this.used));
    return offset;
  }
}

/** GOT entries and stubs of one graph, keyed by target symbol. */
export class AArch64GOTAndStubs {
  private got: Table | undefined;
  private stubTable: Table | undefined;
  private readonly entries = new Map<Symbol, Symbol>();
  private readonly stubs = new Map<Symbol, Symbol>();

  constructor(private readonly graph: LinkGraph) {}

  private section(name: string, prot: MemProt): Section {
    return this.graph.findSectionByName(name) ?? this.graph.createSection(name, prot);
  }

  /** The GOT entry for `target`, created on first request. */
  getGOTEntry(target: Symbol): Symbol {
    let entry = this.entries.get(target);
    if (entry !== undefined) return entry;
    const table = (this.got ??= new Table(
      this.graph,
      this.section(GOT_SECTION_NAME, MemProt.Read | MemProt.Write),
      GOT_ENTRY_SIZE,
      GOT_ENTRY_SIZE,
      new Uint8Array(GOT_ENTRY_SIZE),
    ));
    const offset = table.append();
    table.block.appendEdge(K.Pointer64, offset, target, 0);
    entry = this.graph.addAnonymousSymbol(table.block, offset, GOT_ENTRY_SIZE, false, true);
    this.entries.set(target, entry);
    return entry;
  }

  /** The stub for `target`, created (with its GOT entry) on first request. */
  getStub(target: Symbol): Symbol {
    let stub = this.stubs.get(target);
    if (stub !== undefined) return stub;
    const entry = this.getGOTEntry(target);
    const table = (this.stubTable ??= new Table(
      this.graph,
      this.section(STUBS_SECTION_NAME, MemProt.Read | MemProt.Exec),
      STUB_SIZE,
      4,
      STUB_TEMPLATE,
    ));
    const offset = table.append();
    table.block.appendEdge(K.Page21, offset, entry, 0);
    table.block.appendEdge(K.PageOffset12, offset + 4, entry, 0);
    stub = this.graph.addAnonymousSymbol(table.block, offset, STUB_SIZE, true, true);
    this.stubs.set(target, stub);
    return stub;
  }

  /** Defines `_GLOBAL_OFFSET_TABLE_` at the start of `$__GOT` (an external reference becomes it). */
  defineGOTBase(): Symbol {
    const existing = findGOTBase(this.graph);
    if (existing !== undefined) return existing;
    const section = this.section(GOT_SECTION_NAME, MemProt.Read | MemProt.Write);
    // A zero-size block ordered before the table (address 0 in the section).
    const block = this.graph.createContentBlock(section, EMPTY, 0, GOT_ENTRY_SIZE, 0);
    const external = this.graph.findExternalSymbol(GOT_SYMBOL_NAME);
    if (external !== undefined) {
      this.graph.makeDefined(external, block, 0, 0, Linkage.Strong, Scope.Local, true);
      return remember(this.graph, external);
    }
    return remember(
      this.graph,
      this.graph.addDefinedSymbol(block, 0, GOT_SYMBOL_NAME, 0, Linkage.Strong, Scope.Local, false, true),
    );
  }

  private lower(block: Block, i: number, kind: EdgeKind): void {
    block.setEdgeTarget(i, this.getGOTEntry(block.edgeTarget(i)));
    block.setEdgeKind(i, kind);
  }

  /** Lowers every GOT request and every call to a callee outside the graph. */
  run(): void {
    const graph = this.graph;
    let needsGOTBase = graph.findExternalSymbol(GOT_SYMBOL_NAME) !== undefined;
    const blocks = graph.blockList();
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      const count = block.edgeCount;
      for (let i = 0; i < count; i++) {
        const kind = block.edgeKind(i);
        switch (kind) {
          case K.RequestGOTAndTransformToPage21:
            this.lower(block, i, K.Page21);
            break;
          case K.RequestGOTAndTransformToPageOffset12:
            this.lower(block, i, K.PageOffset12);
            break;
          case K.RequestGOTAndTransformToPageOffset15:
            this.lower(block, i, K.GotPageOffset15);
            needsGOTBase = true;
            break;
          case K.RequestGOTAndTransformToDelta32:
            this.lower(block, i, K.Delta32);
            break;
          case K.RequestGOTAndTransformToLDRLiteral19:
            this.lower(block, i, K.LDRLiteral19);
            break;
          case K.GotPageOffset15:
            needsGOTBase = true;
            break;
          case K.Branch26PCRel: {
            const target = block.edgeTarget(i);
            if (!target.isDefined()) block.setEdgeTarget(i, this.getStub(target));
            break;
          }
          default: {
            const tls = aarch64EdgeKindInfo(kind)?.tlsRelocation;
            if (tls !== undefined) {
              throw tlsNotSupported(tls, graph.name, block.section.name, block.address + block.edgeOffset(i));
            }
          }
        }
      }
    }
    if (needsGOTBase) this.defineGOTBase();
  }
}

/** True when `sym` is a stub built by this module. */
export function isStub(sym: Symbol): boolean {
  return sym.isDefined() && sym.block.section.name === STUBS_SECTION_NAME;
}

/** The edge of `block` at `offset` with `kind`, or undefined. */
function edgeTargetAt(block: Block, offset: number, kind: EdgeKind): Symbol | undefined {
  for (let i = 0; i < block.edgeCount; i++) {
    if (block.edgeOffset(i) === offset && block.edgeKind(i) === kind) return block.edgeTarget(i);
  }
  return undefined;
}

/** The symbol a GOT entry points to, if `entry` has the shape this module builds. */
export function gotEntryTarget(entry: Symbol): Symbol | undefined {
  if (!entry.isDefined() || entry.block.section.name !== GOT_SECTION_NAME || entry.size !== GOT_ENTRY_SIZE) {
    return undefined;
  }
  return edgeTargetAt(entry.block, entry.offset, K.Pointer64);
}

/** The GOT entry a stub jumps through, if `stub` has the shape this module builds. */
export function stubGOTEntry(stub: Symbol): Symbol | undefined {
  if (!isStub(stub)) return undefined;
  return edgeTargetAt(stub.block, stub.offset, K.Page21);
}

const tableIndexes = new WeakMap<LinkGraph, { gotCount: number; stubCount: number; got: Map<string, Symbol>; stub: Map<string, Symbol> }>();

/** The graph's GOT entries and stubs by target name (indexed again only when the tables grew). */
export function aarch64TableSymbols(graph: LinkGraph): { got: Map<string, Symbol>; stub: Map<string, Symbol> } {
  const got = graph.findSectionByName(GOT_SECTION_NAME)?.symbols;
  const stubs = graph.findSectionByName(STUBS_SECTION_NAME)?.symbols;
  const known = tableIndexes.get(graph);
  if (known !== undefined && known.gotCount === (got?.size ?? 0) && known.stubCount === (stubs?.size ?? 0)) return known;
  const index = { gotCount: got?.size ?? 0, stubCount: stubs?.size ?? 0, got: new Map<string, Symbol>(), stub: new Map<string, Symbol>() };
  for (const entry of got ?? []) {
    const target = gotEntryTarget(entry);
    if (target?.name !== undefined) index.got.set(target.name, entry);
  }
  for (const stub of stubs ?? []) {
    const entry = stubGOTEntry(stub);
    const target = entry === undefined ? undefined : gotEntryTarget(entry);
    if (target?.name !== undefined) index.stub.set(target.name, stub);
  }
  tableIndexes.set(graph, index);
  return index;
}

/**
 * GOT entries and stubs of a linked AArch64 graph by target symbol name, as
 * addresses: core's `GraphCheckTables`, for jitlink-check's `got_addr` and
 * `stub_addr`.
 */
export function aarch64CheckTables(graph: LinkGraph): { gotEntries: Map<string, bigint>; stubs: Map<string, bigint> } {
  const { got, stub } = aarch64TableSymbols(graph);
  const address = (m: Map<string, Symbol>) => new Map([...m].map(([name, sym]) => [name, toBigInt(sym.address)] as const));
  return { gotEntries: address(got), stubs: address(stub) };
}

/** The post-prune pass: builds the GOT, the stubs and the GOT base of `graph`. */
export function buildAArch64GOTAndStubs(graph: LinkGraph): void {
  if (graph.pointerSize !== 8) {
    throw new JITLinkError('InvalidArgument', `aarch64 GOT/PLT pass run on a ${graph.pointerSize * 8}-bit graph ${graph.name}`);
  }
  new AArch64GOTAndStubs(graph).run();
}
