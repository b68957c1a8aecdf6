/**
 * The GOT and stub pass (post-prune) that every architecture runs, written
 * once: a GOT entry per target of a GOT request, a stub (through the GOT
 * entry) per callee outside the graph, and the GOT base where an edge
 * measures from it. The architecture supplies what is its own, in a
 * `GOTAndStubsFormat`: the two tables' entries (bytes and edges), what the
 * pass does with each of its edge kinds, and the kind a request becomes.
 * What an edge kind means stays in the architecture's package.
 *
 * The same object then answers the pre-fixup relaxation of that link (which
 * entry serves whom) without a lookup: an entry's number is its offset in
 * its table block, and each table keeps its entries' targets by number.
 *
 * @example An architecture's pass (x86-64's, in short):
 * ```ts
 * const actions = new Uint8Array(K.Count);
 * actions[K.RequestGOTAndTransformToDelta32] = GOTStubAction.GOTRequest;
 * actions[K.BranchPCRel32ToPtrJumpStubBypassable] = GOTStubAction.StubCall;
 * const requestBecomes = new Int32Array(K.Count);
 * requestBecomes[K.RequestGOTAndTransformToDelta32] = K.Delta32;
 * const format: GOTAndStubsFormat = {
 *   got: GOT_FORMAT, stubs: STUB_FORMAT, gotBaseName: '_GLOBAL_OFFSET_TABLE_',
 *   actions, requestBecomes, directCallKind: K.BranchPCRel32,
 *   unsupportedEdge: (graph, block, i, kind) => new JITLinkError('UnsupportedFeature', '…'),
 * };
 * const tables = new GOTAndStubs(graph, format);
 * tables.run();                          // post-prune
 * tables.stubTarget(block.edgeTarget(i)); // pre-fixup: whom a stub calls
 * ```
 */
import type { EdgeKind } from './edge-kinds.js';
import type { JITLinkError } from './errors.js';
import type { Block, LinkGraph, Symbol } from './graph.js';
import { MemProt } from './memory-flags.js';
import { TableManager, type EdgeVisitor, type TableFormat } from './table-manager.js';
import type { TargetAddress } from './address.js';

/** What the GOT/stub pass does with an edge of a kind (`GOTAndStubsFormat.actions`). */
export const GOTStubAction = {
  /** Nothing (not visited). */
  None: 0,
  /** The edge measures from the GOT base: define it. */
  GOTRelative: 1,
  /** A GOT request: point the edge at the target's GOT entry, as `requestBecomes[kind]`. */
  GOTRequest: 2,
  /** A call that goes through a stub unless its callee is defined in the graph. */
  StubCall: 3,
  /** An edge the architecture does not support yet: `unsupportedEdge` says why. */
  Unsupported: 4,
  /** The architecture's own (`GOTAndStubs.visitOther`, in its subclass). */
  Other: 5,
} as const;
/** One of the GOTStubAction values. */
export type GOTStubAction = (typeof GOTStubAction)[keyof typeof GOTStubAction];

/** A stub table's format: as a TableFormat, but a stub's edges name its target's GOT entry. */
export interface StubTableFormat extends Omit<TableFormat, 'addEntryEdges'> {
  /** Adds the edges of a new stub at `offset` of `block`, jumping through `gotEntry`. */
  addStubEdges(block: Block, offset: number, gotEntry: Symbol): void;
}

/** What an architecture supplies to the GOT/stub pass. */
export interface GOTAndStubsFormat {
  readonly got: TableFormat;
  readonly stubs: StubTableFormat;
  /** The GOT base symbol's name (`_GLOBAL_OFFSET_TABLE_`). */
  readonly gotBaseName: string;
  /** The action per edge kind (indexed by kind; kinds beyond its length: None). */
  readonly actions: Uint8Array;
  /** The kind a GOT request becomes, indexed by kind (read for GOTRequest kinds only). */
  readonly requestBecomes: Int32Array;
  /** The kind a StubCall edge to a callee defined in the graph takes (x86-64: BranchPCRel32); by default it keeps its kind. */
  readonly directCallKind?: EdgeKind;
  /** The error for an Unsupported edge (edge `edgeIndex` of `block`). */
  unsupportedEdge(graph: LinkGraph, block: Block, edgeIndex: number, kind: EdgeKind): JITLinkError;
}

/**
 * How a pre-fixup relaxation bypasses this link's stubs (`GOTAndStubs.relaxLowered`):
 * a call of `kind` to a stub becomes a call of kind `becomes` to the stub's
 * callee when `reaches` says the callee's address is in range of the fixup.
 * The range and its formula are the architecture's.
 */
export interface StubBypass {
  readonly kind: EdgeKind;
  readonly becomes: EdgeKind;
  /** Whether a call at `fixupAddress` with `addend` reaches `calleeAddress` directly. */
  reaches(calleeAddress: TargetAddress, fixupAddress: TargetAddress, addend: number): boolean;
}

/**
 * The GOT and stubs of one graph for one link (create it in the pass that
 * needs it, or in `addDefaultPasses`, and keep it in that closure).
 */
export class GOTAndStubs {
  /** The GOT: one entry per target symbol. */
  readonly got: TableManager;
  /** The stubs: one per callee outside the graph, each through the callee's GOT entry. */
  readonly stubs: TableManager;
  private gotBase: Symbol | undefined;
  /** run() saw an edge that measures from the GOT base. */
  private needsGOTBase = false;
  private readonly lowered: Block[] = [];
  /** The format's, read per visited edge. */
  private readonly stubSectionName: string;
  private readonly directCallKind: EdgeKind;

  constructor(
    readonly graph: LinkGraph,
    readonly format: GOTAndStubsFormat,
  ) {
    this.stubSectionName = format.stubs.sectionName;
    this.directCallKind = format.directCallKind ?? -1;
    const got = new TableManager(graph, format.got);
    const stubs = format.stubs;
    this.got = got;
    this.stubs = new TableManager(graph, {
      sectionName: stubs.sectionName,
      sectionProt: stubs.sectionProt,
      entrySize: stubs.entrySize,
      alignment: stubs.alignment,
      template: stubs.template,
      callable: stubs.callable,
      blockAddress: stubs.blockAddress,
      addEntryEdges: (block, offset, target) =>
        stubs.addStubEdges(block, offset, got.getOrCreateEntry(target)),
    });
  }

  /** The GOT entry for `target`, created on first request. */
  getGOTEntry(target: Symbol): Symbol {
    return this.got.getOrCreateEntry(target);
  }

  /** The stub for `target`, created (with its GOT entry) on first request. */
  getStub(target: Symbol): Symbol {
    // The GOT entry first, so that the GOT's section precedes the stubs'.
    this.got.getOrCreateEntry(target);
    return this.stubs.getOrCreateEntry(target);
  }

  /** The GOT entry made for `target`, if any. */
  findGOTEntry(target: Symbol): Symbol | undefined {
    return this.got.findEntry(target);
  }

  /** The stub made for `target`, if any. */
  findStub(target: Symbol): Symbol | undefined {
    return this.stubs.findEntry(target);
  }

  /** The symbol a GOT entry of this link serves (undefined for any other symbol). */
  gotEntryTarget(entry: Symbol): Symbol | undefined {
    return this.got.entryTarget(entry);
  }

  /** The symbol a stub of this link calls (undefined for any other symbol). */
  stubTarget(stub: Symbol): Symbol | undefined {
    return this.stubs.entryTarget(stub);
  }

  /** True when `sym` is defined in the stubs' section (by this pass or another). */
  isStub(sym: Symbol): boolean {
    return sym.isDefined() && (sym.base as Block).section.name === this.format.stubs.sectionName;
  }

  /**
   * The blocks in which run() pointed an edge at a GOT entry or a stub, or
   * saw a call to a stub, in graph order: the edges
   * relaxation acts on are there, and a pre-fixup pass that walks these
   * instead of every block skips most of a large graph.
   */
  get loweredBlocks(): readonly Block[] {
    return this.lowered;
  }

  /** Defines the GOT base at the start of the GOT's section (an external reference becomes it). */
  defineGOTBase(): Symbol {
    return (this.gotBase ??= this.got.defineBase(this.format.gotBaseName));
  }

  /** Lowers every GOT request and every call to a callee outside the graph (the post-prune pass). */
  run(): void {
    const graph = this.graph;
    // Code that names the GOT gets its base before any entry, so that it is the
    // first symbol of the GOT's section, where findTableBase looks first.
    if (graph.findExternalSymbol(this.format.gotBaseName) !== undefined) this.defineGOTBase();
    // Stubs serve symbols outside the graph, and so do most GOT entries: sized
    // for those, the tables rarely grow (each growth moved their edges).
    let outside = 0;
    for (const _ of graph.externalSymbols()) outside++;
    for (const _ of graph.absoluteSymbols()) outside++;
    this.got.expectEntries(outside);
    this.stubs.expectEntries(outside);
    this.got.beginBatch();
    this.stubs.beginBatch();
    try {
      this.lowerEdges(graph.blockList());
    } finally {
      this.stubs.endBatch();
      this.got.endBatch();
    }
    if (this.needsGOTBase) this.defineGOTBase();
  }

  /**
   * The walk of run(): most edges are calls, and a call's kind and target are
   * read and written in the graph's edge columns here, with no call per edge
   * but for calls that need a stub (getStub, which finds an existing one by
   * the target's index); the other kinds the format acts on go through visitEdge.
   */
  private lowerEdges(blocks: readonly Block[]): void {
    const { actions } = this.format;
    const known = actions.length;
    // Counted up front: a table block that exists already gains edges as entries are made.
    const counts = new Uint32Array(blocks.length);
    for (let b = 0; b < blocks.length; b++) counts[b] = blocks[b]!.edgeCount;
    const stubSection = this.stubSectionName;
    const directCallKind = this.directCallKind;
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      const count = counts[b]!;
      if (count === 0) continue;
      const start = block.edgeSlots();
      if (start < 0) {
        // Edges kept as objects.
        for (let i = 0; i < count; i++) {
          const kind = block.edgeKind(i);
          if (kind < known && actions[kind] !== 0) this.visitEdge(block, i, kind);
        }
        continue;
      }
      // The columns are read through the arena each time: making an entry may grow them.
      const arena = block.edgeStorage;
      let listed = this.lowered[this.lowered.length - 1] === block;
      for (let j = start, end = start + count; j < end; j++) {
        const kind = arena.kinds[j]!;
        if (kind >= known || kind < 0) continue;
        const action = actions[kind]!;
        if (action === GOTStubAction.None) continue;
        if (action !== GOTStubAction.StubCall) {
          this.visitEdge(block, j - start, kind);
          listed = this.lowered[this.lowered.length - 1] === block;
          continue;
        }
        // A call: most are to functions of the graph, the rest get a stub.
        const target = arena.symbols[arena.targets[j]!]!;
        const base = target.base;
        if (!base.isDefined) {
          // The tables find an existing entry by the target's index. Making one may replace the
          // arena's columns: the stub first, then the column to write it to.
          const stubIndex = this.getStub(target).index;
          arena.targets[j] = stubIndex;
          if (!listed) {
            this.lowered.push(block);
            listed = true;
          }
        } else if ((base as Block).section.name === stubSection) {
          // A call to a stub already: relaxation may bypass it.
          if (!listed) {
            this.lowered.push(block);
            listed = true;
          }
        } else if (directCallKind >= 0) arena.kinds[j] = directCallKind;
      }
    }
  }

  /**
   * The pre-fixup relaxation's walk over the blocks run() lowered (see
   * loweredBlocks), reading edge kinds and targets in the graph's columns: a
   * call of `bypass.kind` to a stub of this link is pointed at the stub's
   * callee (as `bypass.becomes`, same offset and addend) where
   * `bypass.reaches` says so, with no call per edge but that one; every
   * other edge whose kind `k` has a non-zero `kinds[k]` (calls to stubs no
   * table of this link made included) goes to `visit`, which may change
   * that edge and the block's bytes but adds or removes no edge.
   */
  relaxLowered(kinds: Uint8Array, visit: EdgeVisitor, bypass: StubBypass): void {
    const blocks = this.lowered;
    const known = kinds.length;
    const callKind = bypass.kind;
    const stubBlock = this.stubs.block;
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      const count = block.edgeCount;
      const start = block.edgeSlots();
      if (start < 0) {
        // Edges kept as objects: visit hands each to the architecture.
        for (let i = 0; i < count; i++) {
          const kind = block.edgeKind(i);
          if (kind < known && kind >= 0 && kinds[kind] !== 0) visit(block, i, kind);
        }
        continue;
      }
      const arena = block.edgeStorage;
      const blockAddress = block.address;
      for (let j = start, end = start + count; j < end; j++) {
        const kind = arena.kinds[j]!;
        if (kind === callKind && stubBlock !== undefined) {
          const stub = arena.symbols[arena.targets[j]!]!;
          const callee = stub.base === stubBlock ? this.stubs.entryTarget(stub) : undefined;
          if (callee !== undefined) {
            const calleeAddress = callee.base.address + callee.offset;
            if (bypass.reaches(calleeAddress, blockAddress + arena.offsets[j]!, arena.addends[j]!)) {
              arena.kinds[j] = bypass.becomes;
              arena.targets[j] = callee.index;
            }
            continue;
          }
        }
        if (kind < known && kind >= 0 && kinds[kind] !== 0) visit(block, j - start, kind);
      }
    }
  }

  /** The architecture's own action (GOTStubAction.Other) on edge `i` of `block`. */
  protected visitOther(_block: Block, _i: number, _kind: EdgeKind): void {}

  // A property, not a method: the walk calls it for every visited edge, without a wrapper.
  private readonly visitEdge = (block: Block, i: number, kind: EdgeKind): void => {
    const { actions } = this.format;
    switch (actions[kind]) {
      case GOTStubAction.GOTRelative:
        this.needsGOTBase = true;
        return;
      case GOTStubAction.GOTRequest: {
        // Point the edge at the target's entry, as the kind it becomes.
        const becomes = this.format.requestBecomes[kind]!;
        // The walk goes block by block: a block is listed once.
        if (this.lowered[this.lowered.length - 1] !== block) this.lowered.push(block);
        block.setEdgeTarget(i, this.got.getOrCreateEntry(block.edgeTarget(i)));
        block.setEdgeKind(i, becomes);
        if (actions[becomes] === GOTStubAction.GOTRelative) this.needsGOTBase = true;
        return;
      }
      case GOTStubAction.StubCall: {
        // Most calls are to functions of the graph: read the target's base once, call nothing more.
        const target = block.edgeTarget(i);
        const base = target.base;
        if (!base.isDefined) {
          block.setEdgeTarget(i, this.getStub(target));
          if (this.lowered[this.lowered.length - 1] !== block) this.lowered.push(block);
        } else if ((base as Block).section.name === this.stubSectionName) {
          // A call to a stub already: relaxation may bypass it.
          if (this.lowered[this.lowered.length - 1] !== block) this.lowered.push(block);
        } else if (this.directCallKind >= 0) block.setEdgeKind(i, this.directCallKind);
        return;
      }
      case GOTStubAction.Unsupported:
        throw this.format.unsupportedEdge(this.graph, block, i, kind);
      case GOTStubAction.Other:
        this.visitOther(block, i, kind);
        return;
    }
  };
}

/**
 * Where an entry of a table names whom it serves: which of its edges (the
 * `edgeIndex`-th of the `edgesPerEntry` each entry has), at which offset in
 * the entry and of which kind. Read by `readTableEntry`.
 */
export interface TableEntryShape {
  readonly sectionName: string;
  readonly entrySize: number;
  readonly edgesPerEntry: number;
  readonly edgeIndex: number;
  readonly edgeOffset: number;
  readonly edgeKind: EdgeKind;
}

/**
 * A GOT of pointers, as every architecture here builds one: `pointerSize`-byte
 * entries (read-write, zero before fixups), each one `pointerKind` edge to its
 * target, the table placed after the zero-size GOT base block (address 0).
 * Returns the table's format (for `GOTAndStubsFormat.got`) and the shape
 * `readTableEntry` reads an entry's target back with.
 */
export function pointerGOT(
  sectionName: string,
  pointerSize: number,
  pointerKind: EdgeKind,
): { readonly format: TableFormat; readonly entryShape: TableEntryShape } {
  return {
    format: {
      sectionName,
      sectionProt: MemProt.Read | MemProt.Write,
      entrySize: pointerSize,
      alignment: pointerSize,
      template: new Uint8Array(pointerSize),
      callable: false,
      blockAddress: pointerSize,
      addEntryEdges(block, offset, target) {
        block.appendEdge(pointerKind, offset, target, 0);
      },
    },
    entryShape: { sectionName, entrySize: pointerSize, edgesPerEntry: 1, edgeIndex: 0, edgeOffset: 0, edgeKind: pointerKind },
  };
}

/**
 * The target of the edge that says whom `entry` serves, if `entry` has the
 * table's shape (a symbol of `entrySize` bytes in the table's section, with
 * that edge, addend 0, at that offset), read back from the graph: for a
 * graph whose tables were built by another link (tools, `got_addr`), or
 * symbols no table of this link made. In a table block, entry k (at offset
 * k * entrySize) has edges k * edgesPerEntry onwards; other blocks are searched.
 */
export function readTableEntry(shape: TableEntryShape, entry: Symbol): Symbol | undefined {
  if (!entry.isDefined()) return undefined;
  const block = entry.base as Block;
  if (block.section.name !== shape.sectionName || entry.size !== shape.entrySize) return undefined;
  if (entry.offset + shape.entrySize > block.size) return undefined;
  const offset = entry.offset + shape.edgeOffset;
  const i = edgeIndexAt(
    block,
    offset,
    (entry.offset / shape.entrySize) * shape.edgesPerEntry + shape.edgeIndex,
    shape.edgeKind,
  );
  if (i < 0 || block.edgeAddend(i) !== 0) return undefined;
  return block.edgeTarget(i);
}

/**
 * Index of the edge of `kind` at `offset` in `block`, or -1: edge `guess` if
 * it is that one (as in the tables TableManager builds), else by bisection
 * (edges in offset order), else one edge after another.
 */
function edgeIndexAt(block: Block, offset: number, guess: number, kind: EdgeKind): number {
  const count = block.edgeCount;
  if (guess < count && block.edgeOffset(guess) === offset && block.edgeKind(guess) === kind) return guess;
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (block.edgeOffset(mid) < offset) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < count && block.edgeOffset(i) === offset; i++) if (block.edgeKind(i) === kind) return i;
  for (let i = 0; i < count; i++) if (block.edgeOffset(i) === offset && block.edgeKind(i) === kind) return i;
  return -1;
}
