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
  GOTAndStubs,
  GOTStubAction,
  JITLinkError,
  MemProt,
  findTableBase,
  pointerGOT,
  readTableEntry,
  type Block,
  type EdgeKind,
  type GOTAndStubsFormat,
  type LinkGraph,
  type Symbol,
  type TableEntryShape,
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

const F = EdgeKinds.FirstRelocation;
const KIND_COUNT = F + X86_64_EDGE_KIND_INFO.length;

/** The pass's action per kind, read from the edge-kind table once. */
const ACTIONS = new Uint8Array(KIND_COUNT);
/** The kind each GOT request becomes. */
const REQUEST_BECOMES = new Int32Array(KIND_COUNT);
for (const info of X86_64_EDGE_KIND_INFO) {
  if (info.request?.table === 'GOT') {
    ACTIONS[info.kind] = GOTStubAction.GOTRequest;
    REQUEST_BECOMES[info.kind] = info.request.becomes;
  } else if (info.formula === X86_64Formula.DeltaFromGOT) ACTIONS[info.kind] = GOTStubAction.GOTRelative;
  else if (info.formula === X86_64Formula.Unsupported) ACTIONS[info.kind] = GOTStubAction.Unsupported;
  // May be a non-PIC function address: given a stub for redirection (GOTAndStubsBuilder.visitOther).
  else if (info.kind === K.Pointer32 || info.kind === K.Pointer32Signed)
    ACTIONS[info.kind] = GOTStubAction.Other;
  else if (info.kind === K.BranchPCRel32ToPtrJumpStubBypassable) ACTIONS[info.kind] = GOTStubAction.StubCall;
}

/** The GOT: 8-byte entries, each a Pointer64 edge to its target. */
const GOT = pointerGOT(GOT_SECTION_NAME, GOT_ENTRY_SIZE, K.Pointer64);

/**
 * The GOT (8-byte entries, each a Pointer64 edge to its target) and the stubs
 * (`jmp *entry(%rip)`, the disp32 a PCRel32 edge to the target's GOT entry).
 */
const X86_64_GOT_AND_STUBS: GOTAndStubsFormat = {
  got: GOT.format,
  stubs: {
    sectionName: STUBS_SECTION_NAME,
    sectionProt: MemProt.Read | MemProt.Exec,
    entrySize: STUB_SIZE,
    alignment: 1,
    template: STUB_TEMPLATE,
    callable: true,
    addStubEdges(block, offset, gotEntry) {
      block.appendEdge(K.PCRel32, offset + 2, gotEntry, 0);
    },
  },
  gotBaseName: GOT_SYMBOL_NAME,
  actions: ACTIONS,
  requestBecomes: REQUEST_BECOMES,
  // A call to a function of the graph needs no stub.
  directCallKind: K.BranchPCRel32,
  unsupportedEdge: (graph, block, i, kind) =>
    tlsNotSupported(
      getX86_64EdgeKindName(kind),
      graph.name,
      block.section.name,
      block.address + block.edgeOffset(i),
    ),
};

/** Where a stub names its GOT entry: the PCRel32 edge of its disp32. */
const STUB_SHAPE: TableEntryShape = {
  sectionName: STUBS_SECTION_NAME,
  entrySize: STUB_SIZE,
  edgesPerEntry: 1,
  edgeIndex: 0,
  edgeOffset: 2,
  edgeKind: K.PCRel32,
};

/**
 * The symbol whose address is the graph's GOT base: the `_GLOBAL_OFFSET_TABLE_`
 * the GOT/PLT pass defined in `$__GOT`, else an absolute or defined one
 * (graphs built by hand). Only Delta64FromGOT fixups (-mcmodel=large code) ask.
 */
export function findGOTBase(graph: LinkGraph): Symbol | undefined {
  return findTableBase(graph, GOT_SECTION_NAME, GOT_SYMBOL_NAME);
}

/**
 * Builds GOT entries and jump stubs for one graph (one builder per link; the
 * x86-64 passes create it): core's GOTAndStubs with x86-64's tables, and the
 * canonical stubs of non-PIC function addresses.
 */
export class GOTAndStubsBuilder extends GOTAndStubs {
  /** run() saw a Pointer32/Pointer32Signed edge (addend 0) to an external symbol. */
  private hasExternalPointer32 = false;

  constructor(graph: LinkGraph) {
    super(graph, X86_64_GOT_AND_STUBS);
  }

  /** Pointer32 / Pointer32Signed: an external function's address may need a stub. */
  protected override visitOther(block: Block, i: number, _kind: EdgeKind): void {
    const target = block.edgeTarget(i);
    if (!target.isDefined() && block.edgeAddend(i) === 0) {
      this.hasExternalPointer32 = true;
      if (target.name !== undefined && classifyMangledName(target.name) === 'function') this.getStub(target);
    }
  }

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
  return readTableEntry(STUB_SHAPE, stub);
}

/** The symbol a stub serves (through its GOT entry), if `stub` has the shape this module builds. */
export function stubTarget(stub: Symbol): Symbol | undefined {
  const entry = stubGOTEntry(stub);
  return entry === undefined ? undefined : gotEntryTarget(entry);
}

/** The symbol a GOT entry points to, if `entry` has the shape this module builds. */
export function gotEntryTarget(entry: Symbol): Symbol | undefined {
  return readTableEntry(GOT.entryShape, entry);
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
