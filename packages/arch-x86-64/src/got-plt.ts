/**
 * GOT and PLT-stub construction (a post-prune pass).
 *
 * - `$__GOT` (RW-): one 8-byte entry per target symbol, holding a Pointer64
 *   edge to the target. Request* edges are pointed at the entry and given
 *   their final kind. A graph's entries are anonymous symbols in one table
 *   block, as its stubs are in another.
 * - `$__STUBS` (R-X): one 6-byte `jmp *entry(%rip)` (ff 25 disp32) per
 *   external or absolute callee of a BranchPCRel32ToPtrJumpStubBypassable
 *   edge; the disp32 is a PCRel32 edge to the callee's GOT entry. Calls to
 *   callees defined in the graph become plain BranchPCRel32.
 * - The GOT base: when the graph references `_GLOBAL_OFFSET_TABLE_` (the
 *   GOTPC32/GOTPC64 relocations of -mcmodel=large code) or has GOT-relative
 *   edges, the external `_GLOBAL_OFFSET_TABLE_` is defined (local scope, as
 *   each graph has its own GOT) at the start of `$__GOT`, which is created
 *   even when it holds no entries.
 * - Canonical stubs for non-PIC function addresses: a Pointer32 or
 *   Pointer32Signed edge to an external symbol whose mangled name says it is
 *   a function gets a stub up front, because its address is only known after
 *   allocation. The pre-fixup pass `redirectUnreachableFunctionPointers` then
 *   points the edge at the stub only if the real address does not fit, which
 *   makes the stub the function's address for this code (as a static linker
 *   makes a PLT entry the canonical address in a non-PIC executable). Data
 *   is never redirected: a pointer to a stub is no pointer to the data.
 */
import {
  EdgeKinds,
  fitsRange,
  JITLinkError,
  MemProt,
  findTableBase,
  TableManager,
  visitExistingEdges,
  type Block,
  type EdgeKind,
  type LinkGraph,
  type Symbol,
  type TableFormat,
} from '@jitlink/core';
import { classifyMangledName } from './cxx-names.js';
import { tlsNotSupported } from './diagnostics.js';
import {
  getX86_64EdgeKindName,
  x86_64EdgeKindInfo,
  X86_64_EDGE_KIND_INFO,
  X86_64EdgeKinds as K,
  X86_64Formula,
} from './edge-kinds.js';

export const GOT_SECTION_NAME = '$__GOT';
export const STUBS_SECTION_NAME = '$__STUBS';
export const GOT_SYMBOL_NAME = '_GLOBAL_OFFSET_TABLE_';
export const GOT_ENTRY_SIZE = 8;
export const STUB_SIZE = 6;

/** `jmp *0(%rip)`: the disp32 at offset 2 is filled by the stub's PCRel32 edge. */
const STUB_TEMPLATE = new Uint8Array([0xff, 0x25, 0x00, 0x00, 0x00, 0x00]);

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

/** The stub table: `jmp *entry(%rip)`, the disp32 a PCRel32 edge to the target's GOT entry in `got`. */
function stubFormat(got: TableManager): TableFormat {
  return {
    sectionName: STUBS_SECTION_NAME,
    sectionProt: MemProt.Read | MemProt.Exec,
    entrySize: STUB_SIZE,
    alignment: 1,
    template: STUB_TEMPLATE,
    callable: true,
    addEntryEdges(block, offset, target) {
      block.appendEdge(K.PCRel32, offset + 2, got.getOrCreateEntry(target), 0);
    },
  };
}

/**
 * The symbol whose address is the graph's GOT base: the `_GLOBAL_OFFSET_TABLE_`
 * the GOT/PLT pass defined in `$__GOT`, else an absolute or defined one
 * (graphs built by hand). Only Delta64FromGOT fixups (-mcmodel=large code) ask.
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
  /** May be a non-PIC function address: give it a stub for redirection. */
  AbsolutePointer32: 3,
  /** A call that goes through a stub unless its callee is defined here. */
  StubCall: 4,
  /** TLS: not supported yet. */
  Unsupported: 5,
} as const;

/** The pass's action per kind (index kind - FirstRelocation), read from the edge-kind table once. */
const EDGE_ACTIONS: readonly number[] = X86_64_EDGE_KIND_INFO.map((info) => {
  if (info.request?.table === 'GOT') return Action.GOTRequest;
  if (info.formula === X86_64Formula.DeltaFromGOT) return Action.GOTRelative;
  if (info.formula === X86_64Formula.Unsupported) return Action.Unsupported;
  if (info.kind === K.Pointer32 || info.kind === K.Pointer32Signed) return Action.AbsolutePointer32;
  if (info.kind === K.BranchPCRel32ToPtrJumpStubBypassable) return Action.StubCall;
  return Action.None;
});

/** The kinds the pass acts on (indexed by kind), for visitExistingEdges to skip the others. */
const VISITED_KINDS = new Uint8Array(F + EDGE_ACTIONS.length);
for (let k = 0; k < EDGE_ACTIONS.length; k++) if (EDGE_ACTIONS[k] !== Action.None) VISITED_KINDS[F + k] = 1;

/**
 * Builds GOT entries and jump stubs for one graph (one builder per link; the
 * x86-64 passes create it). Entries are anonymous symbols in one table block
 * per section, made by core's TableManager.
 */
export class GOTAndStubsBuilder {
  /** The GOT: one entry per target symbol. */
  readonly got: TableManager;
  /** The jump stubs: one per external or absolute callee. */
  readonly stubs: TableManager;
  private gotBase: Symbol | undefined;
  /** run() saw a Pointer32/Pointer32Signed edge (addend 0) to an external symbol. */
  private hasExternalPointer32 = false;
  /** run() saw an edge that measures from the GOT base. */
  private needsGOTBase = false;

  constructor(private readonly graph: LinkGraph) {
    this.got = new TableManager(graph, GOT_FORMAT);
    this.stubs = new TableManager(graph, stubFormat(this.got));
  }

  /** The GOT entry for `target`, created on first request. */
  getGOTEntry(target: Symbol): Symbol {
    return this.got.getOrCreateEntry(target);
  }

  /** The jump stub for `target`, created (with its GOT entry) on first request. */
  getStub(target: Symbol): Symbol {
    // The GOT entry first, so `$__GOT` precedes `$__STUBS` as it always has.
    this.got.getOrCreateEntry(target);
    return this.stubs.getOrCreateEntry(target);
  }

  /** The GOT entry made for `target`, if any (jitlink-check's got_addr). */
  findGOTEntry(target: Symbol): Symbol | undefined {
    return this.got.findEntry(target);
  }

  /** The stub made for `target`, if any (jitlink-check's stub_addr). */
  findStub(target: Symbol): Symbol | undefined {
    return this.stubs.findEntry(target);
  }

  /**
   * Defines the GOT base at the start of `$__GOT` (creating the section if
   * needed). An external `_GLOBAL_OFFSET_TABLE_` becomes that definition.
   */
  defineGOTBase(): Symbol {
    return (this.gotBase ??= this.got.defineBase(GOT_SYMBOL_NAME));
  }

  /** Lowers every Request* and stub-call edge in the graph (the post-prune pass). */
  run(): void {
    const graph = this.graph;
    // Code that names the GOT (GOTPC32/64: -mcmodel=large) gets its base before any
    // entry, so that it is the first symbol of `$__GOT`, where findGOTBase looks first.
    if (graph.findExternalSymbol(GOT_SYMBOL_NAME) !== undefined) this.defineGOTBase();
    visitExistingEdges(graph, this.visitEdge, [this.got, this.stubs], VISITED_KINDS);
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
        // Point the edge at the target's entry, as the kind it becomes.
        const becomes = x86_64EdgeKindInfo(kind)!.request!.becomes;
        block.setEdgeTarget(i, this.got.getOrCreateEntry(block.edgeTarget(i)));
        block.setEdgeKind(i, becomes);
        if (EDGE_ACTIONS[becomes - F] === Action.GOTRelative) this.needsGOTBase = true;
        return;
      }
      case Action.AbsolutePointer32: {
        const target = block.edgeTarget(i);
        if (!target.isDefined() && block.edgeAddend(i) === 0) {
          this.hasExternalPointer32 = true;
          if (target.name !== undefined && classifyMangledName(target.name) === 'function') {
            this.getStub(target);
          }
        }
        return;
      }
      case Action.StubCall: {
        const target = block.edgeTarget(i);
        if (target.isDefined()) {
          if (!isStub(target)) block.setEdgeKind(i, K.BranchPCRel32);
        } else {
          block.setEdgeTarget(i, this.getStub(target));
        }
        return;
      }
      case Action.Unsupported:
        throw tlsNotSupported(
          getX86_64EdgeKindName(kind),
          this.graph.name,
          block.section.name,
          block.address + block.edgeOffset(i),
        );
    }
  };

  /**
   * The pre-fixup pass for non-PIC code: Pointer32 / Pointer32Signed edges to
   * an external function that run() gave a stub, whose resolved address does
   * not fit the field, are pointed at the stub instead.
   */
  redirectUnreachableFunctionPointers(): void {
    // Only non-PIC code has such edges; run() noted whether this graph does.
    if (!this.hasExternalPointer32 || this.stubs.size === 0) return;
    redirectPointers(this.graph, (target) => this.stubs.findEntry(target));
  }
}

/** True when `sym` is a jump stub built by this module. */
export function isStub(sym: Symbol): boolean {
  return sym.isDefined() && sym.block.section.name === STUBS_SECTION_NAME;
}

/** The GOT entry a stub jumps through, if `stub` has the shape this module builds. */
export function stubGOTEntry(stub: Symbol): Symbol | undefined {
  if (!isStub(stub)) return undefined;
  const block = stub.block;
  // In a stub table, stub k (at offset 6k) has edge k.
  const i = edgeIndexAt(block, stub.offset + 2, stub.offset / STUB_SIZE);
  if (i < 0 || block.edgeKind(i) !== K.PCRel32) return undefined;
  return block.edgeTarget(i);
}

/** The symbol a stub serves (through its GOT entry), if `stub` has the shape this module builds. */
export function stubTarget(stub: Symbol): Symbol | undefined {
  const entry = stubGOTEntry(stub);
  return entry === undefined ? undefined : gotEntryTarget(entry);
}

/** The symbol a GOT entry points to, if `entry` has the shape this module builds. */
export function gotEntryTarget(entry: Symbol): Symbol | undefined {
  if (!entry.isDefined()) return undefined;
  const block = entry.block;
  if (block.section.name !== GOT_SECTION_NAME || entry.size !== GOT_ENTRY_SIZE) return undefined;
  if (entry.offset + GOT_ENTRY_SIZE > block.size) return undefined;
  // In a GOT table, entry k (at offset 8k) has edge k.
  const i = edgeIndexAt(block, entry.offset, entry.offset / GOT_ENTRY_SIZE);
  if (i < 0 || block.edgeKind(i) !== K.Pointer64 || block.edgeAddend(i) !== 0) return undefined;
  return block.edgeTarget(i);
}

/**
 * Index of the edge at `offset` in `block`, or -1: edge `guess` if it is
 * there (as in the tables this module builds), else by bisection (edges in
 * offset order), else (blocks built otherwise) one edge after another.
 */
function edgeIndexAt(block: Block, offset: number, guess: number): number {
  const count = block.edgeCount;
  if (guess < count && block.edgeOffset(guess) === offset) return guess;
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (block.edgeOffset(mid) < offset) lo = mid + 1;
    else hi = mid;
  }
  if (lo < count && block.edgeOffset(lo) === offset) return lo;
  for (let i = 0; i < count; i++) if (block.edgeOffset(i) === offset) return i;
  return -1;
}

/**
 * Points Pointer32 / Pointer32Signed edges (addend 0) to external symbols
 * whose resolved address does not fit the field at their stub, if `stubOf`
 * gives one.
 */
function redirectPointers(graph: LinkGraph, stubOf: (target: Symbol) => Symbol | undefined): void {
  const blocks = graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const edgeCount = block.edgeCount;
    for (let i = 0; i < edgeCount; i++) {
      const kind = block.edgeKind(i);
      if (kind !== K.Pointer32 && kind !== K.Pointer32Signed) continue;
      const target = block.edgeTarget(i);
      if (target.isDefined() || block.edgeAddend(i) !== 0) continue;
      if (fitsRange(x86_64EdgeKindInfo(kind)!.range, target.address)) continue;
      const stub = stubOf(target);
      if (stub !== undefined) block.setEdgeTarget(i, stub);
    }
  }
}

/**
 * The pre-fixup redirection of unreachable function pointers (see
 * GOTAndStubsBuilder.redirectUnreachableFunctionPointers) for a graph whose
 * stubs were built by another builder: finds the stubs by reading `$__STUBS`.
 */
export function redirectUnreachableFunctionPointers(graph: LinkGraph): void {
  const section = graph.findSectionByName(STUBS_SECTION_NAME);
  if (section === undefined) return;
  let stubsByTarget: Map<Symbol, Symbol> | undefined;
  redirectPointers(graph, (target) => {
    if (stubsByTarget === undefined) {
      stubsByTarget = new Map();
      for (const sym of section.symbols) {
        const target = stubTarget(sym);
        if (target !== undefined) stubsByTarget.set(target, sym);
      }
    }
    return stubsByTarget.get(target);
  });
}

/** Builds the GOT, the jump stubs and the GOT base for `graph`; returns the builder (its tables, for lookups). */
export function buildGOTAndStubs(graph: LinkGraph): GOTAndStubsBuilder {
  if (graph.pointerSize !== 8) {
    throw new JITLinkError(
      'InvalidArgument',
      `x86-64 GOT/PLT pass run on a ${graph.pointerSize * 8}-bit graph ${graph.name}`,
    );
  }
  const builder = new GOTAndStubsBuilder(graph);
  builder.run();
  return builder;
}
