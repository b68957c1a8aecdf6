/**
 * GOT and PLT-stub construction for AArch64 (a post-prune pass), on core's
 * TableManager: one builder per link, created by the passes that use it.
 *
 * - `$__GOT` (RW-): one 8-byte entry per target symbol, a Pointer64 edge to
 *   the target; GOT requests (the edge-kind table's `request` rows, MachO's
 *   TLVP loads among them) are pointed at the entry and given their final kind.
 * - `$__STUBS` (R-X): one 12-byte stub per external or absolute callee of a
 *   Branch26PCRel edge: `adrp x16, entry; ldr x16, [x16, :lo12:entry];
 *   br x16` (x16 is IP0, which the ABI leaves to veneers and PLT entries).
 * - The GOT base `_GLOBAL_OFFSET_TABLE_` (measured from by GotPageOffset15,
 *   and named by the ADRP of `-mcmodel=small -fPIC` code that uses
 *   LD64_GOTPAGE_LO15) is defined at the start of `$__GOT` when needed.
 */
import {
  EdgeKinds,
  JITLinkError,
  MemProt,
  createTableEntryIndex,
  findTableBase,
  TableManager,
  toBigInt,
  visitExistingEdges,
  type Block,
  type EdgeKind,
  type LinkGraph,
  type Symbol,
  type TableFormat,
} from '@jitlink/core';
import { AARCH64_EDGE_KIND_INFO, AArch64Formula as Fm, aarch64TLSRelocationName, AArch64EdgeKinds as K } from './edge-kinds.js';
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

/** The GOT table: 8-byte entries, each a Pointer64 edge to its target. */
const GOT_FORMAT: TableFormat = {
  sectionName: GOT_SECTION_NAME,
  sectionProt: MemProt.Read | MemProt.Write,
  entrySize: GOT_ENTRY_SIZE,
  alignment: GOT_ENTRY_SIZE,
  template: new Uint8Array(GOT_ENTRY_SIZE),
  callable: false,
  // After the zero-size GOT base block (address 0), if there is one.
  blockAddress: GOT_ENTRY_SIZE,
  addEntryEdges(block, offset, target) {
    block.appendEdge(K.Pointer64, offset, target, 0);
  },
};

/** The stub table: a Page21 and a PageOffset12 edge to the target's GOT entry in `got`. */
function stubFormat(got: TableManager): TableFormat {
  return {
    sectionName: STUBS_SECTION_NAME,
    sectionProt: MemProt.Read | MemProt.Exec,
    entrySize: STUB_SIZE,
    alignment: 4,
    template: STUB_TEMPLATE,
    callable: true,
    addEntryEdges(block, offset, target) {
      const entry = got.getOrCreateEntry(target);
      block.appendEdge(K.Page21, offset, entry, 0);
      block.appendEdge(K.PageOffset12, offset + 4, entry, 0);
    },
  };
}

/**
 * The symbol whose address is the graph's GOT base: the `_GLOBAL_OFFSET_TABLE_`
 * the GOT/PLT pass defined in `$__GOT`, else an absolute or defined one
 * (graphs built by hand). Only GotPageOffset15 fixups ask.
 */
export function findGOTBase(graph: LinkGraph): Symbol | undefined {
  return findTableBase(graph, GOT_SECTION_NAME, GOT_SYMBOL_NAME);
}

const F = EdgeKinds.FirstRelocation;

/** What the GOT/PLT pass does with an edge. */
const Action = {
  None: 0,
  /** Measures from the GOT base: define it. */
  GOTRelative: 1,
  /** A GOT request: lower it to the entry (EdgeKindInfo.request). */
  GOTRequest: 2,
  /** A call that goes through a stub unless its callee is defined here. */
  StubCall: 3,
  /** Thread-local: not supported yet. */
  Unsupported: 4,
} as const;

/** The pass's action per kind (index kind - FirstRelocation), read from the edge-kind table once. */
const EDGE_ACTIONS: readonly number[] = AARCH64_EDGE_KIND_INFO.map((info) => {
  if (info.request?.table === 'GOT') return Action.GOTRequest;
  if (info.formula === Fm.GotPageOffset15) return Action.GOTRelative;
  if (info.formula === Fm.Unsupported) return Action.Unsupported;
  if (info.kind === K.Branch26PCRel) return Action.StubCall;
  return Action.None;
});

/**
 * GOT entries and stubs of one graph for one link (the AArch64 passes create
 * it), keyed by target symbol: entries are anonymous symbols in one table
 * block per section, made by core's TableManager.
 */
export class AArch64GOTAndStubs {
  /** The GOT: one entry per target symbol. */
  readonly got: TableManager;
  /** The stubs: one per external or absolute callee. */
  readonly stubs: TableManager;
  private gotBase: Symbol | undefined;
  private needsGOTBase = false;

  constructor(private readonly graph: LinkGraph) {
    this.got = new TableManager(graph, GOT_FORMAT);
    this.stubs = new TableManager(graph, stubFormat(this.got));
  }

  /** The GOT entry for `target`, created on first request. */
  getGOTEntry(target: Symbol): Symbol {
    return this.got.getOrCreateEntry(target);
  }

  /** The stub for `target`, created (with its GOT entry) on first request. */
  getStub(target: Symbol): Symbol {
    this.got.getOrCreateEntry(target);
    return this.stubs.getOrCreateEntry(target);
  }

  /** The callee of each stub, for the stub bypass. */
  stubCallees(): Map<Symbol, Symbol> {
    const callees = new Map<Symbol, Symbol>();
    this.stubs.forEachEntry((stub, target) => callees.set(stub, target));
    return callees;
  }

  /** The target of each GOT entry, for GOT-load relaxation. */
  gotTargets(): Map<Symbol, Symbol> {
    const targets = new Map<Symbol, Symbol>();
    this.got.forEachEntry((entry, target) => targets.set(entry, target));
    return targets;
  }

  /** Defines `_GLOBAL_OFFSET_TABLE_` at the start of `$__GOT` (an external reference becomes it). */
  defineGOTBase(): Symbol {
    return (this.gotBase ??= this.got.defineBase(GOT_SYMBOL_NAME));
  }

  /** Lowers every GOT request and every call to a callee outside the graph (the post-prune pass). */
  run(): void {
    const graph = this.graph;
    if (graph.findExternalSymbol(GOT_SYMBOL_NAME) !== undefined) this.defineGOTBase();
    visitExistingEdges(graph, this.visitEdge, [this.got, this.stubs]);
    if (this.needsGOTBase) this.defineGOTBase();
  }

  // A property, not a method: the walk calls it for every edge, without a wrapper.
  private readonly visitEdge = (block: Block, i: number, kind: EdgeKind): void => {
    switch (EDGE_ACTIONS[kind - F] ?? Action.None) {
      case Action.None:
        return;
      case Action.GOTRelative:
        this.needsGOTBase = true;
        return;
      case Action.GOTRequest: {
        const becomes = AARCH64_EDGE_KIND_INFO[kind - F]!.request!.becomes;
        block.setEdgeTarget(i, this.got.getOrCreateEntry(block.edgeTarget(i)));
        block.setEdgeKind(i, becomes);
        if (EDGE_ACTIONS[becomes - F] === Action.GOTRelative) this.needsGOTBase = true;
        return;
      }
      case Action.StubCall: {
        const target = block.edgeTarget(i);
        if (!target.isDefined()) block.setEdgeTarget(i, this.getStub(target));
        return;
      }
      case Action.Unsupported:
        throw tlsNotSupported(aarch64TLSRelocationName(kind), this.graph.name, block.section.name, block.address + block.edgeOffset(i));
    }
  };
}

/** True when `sym` is a stub built by this module. */
export function isStub(sym: Symbol): boolean {
  return sym.isDefined() && sym.block.section.name === STUBS_SECTION_NAME;
}

/**
 * The target of the edge of `block` at `offset` with `kind`: edge `guess`
 * if it is that one (as in the tables this module builds), else the first
 * such edge, else undefined.
 */
function edgeTargetAt(block: Block, offset: number, kind: EdgeKind, guess: number): Symbol | undefined {
  const count = block.edgeCount;
  if (guess < count && block.edgeOffset(guess) === offset && block.edgeKind(guess) === kind) return block.edgeTarget(guess);
  for (let i = 0; i < count; i++) {
    if (block.edgeOffset(i) === offset && block.edgeKind(i) === kind) return block.edgeTarget(i);
  }
  return undefined;
}

/** The symbol a GOT entry points to, if `entry` has the shape this module builds. */
export function gotEntryTarget(entry: Symbol): Symbol | undefined {
  if (!entry.isDefined() || entry.block.section.name !== GOT_SECTION_NAME || entry.size !== GOT_ENTRY_SIZE) {
    return undefined;
  }
  // In a GOT table, entry k (at offset 8k) has edge k.
  return edgeTargetAt(entry.block, entry.offset, K.Pointer64, entry.offset / GOT_ENTRY_SIZE);
}

/** The GOT entry a stub jumps through, if `stub` has the shape this module builds. */
export function stubGOTEntry(stub: Symbol): Symbol | undefined {
  if (!isStub(stub)) return undefined;
  // In a stub table, stub k (at offset 12k) has edges 2k and 2k + 1.
  return edgeTargetAt(stub.block, stub.offset, K.Page21, (2 * stub.offset) / STUB_SIZE);
}

/** The symbol a stub serves (through its GOT entry), if `stub` has the shape this module builds. */
export function stubTarget(stub: Symbol): Symbol | undefined {
  const entry = stubGOTEntry(stub);
  return entry === undefined ? undefined : gotEntryTarget(entry);
}

/** The graph's GOT entries and stubs by target name, read from the linked tables (a cache for tools; no pass reads it). */
export const aarch64TableSymbols: (graph: LinkGraph) => { got: Map<string, Symbol>; stub: Map<string, Symbol> } = createTableEntryIndex({
  got: { sectionName: GOT_SECTION_NAME, entryTarget: gotEntryTarget },
  stub: { sectionName: STUBS_SECTION_NAME, entryTarget: stubTarget },
});

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

/** Builds the GOT, the stubs and the GOT base of `graph`; returns the builder (its tables, for the later passes). */
export function buildAArch64GOTAndStubs(graph: LinkGraph): AArch64GOTAndStubs {
  if (graph.pointerSize !== 8) {
    throw new JITLinkError('InvalidArgument', `aarch64 GOT/PLT pass run on a ${graph.pointerSize * 8}-bit graph ${graph.name}`);
  }
  const builder = new AArch64GOTAndStubs(graph);
  builder.run();
  return builder;
}
