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
  GOTAndStubs,
  GOTStubAction,
  JITLinkError,
  MemProt,
  createTableEntryIndex,
  findTableBase,
  pointerGOT,
  readTableEntry,
  toBigInt,
  type GOTAndStubsFormat,
  type LinkGraph,
  type Symbol,
  type TableEntryShape,
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

const KIND_COUNT = EdgeKinds.FirstRelocation + AARCH64_EDGE_KIND_INFO.length;

/** The pass's action per kind, read from the edge-kind table once. */
const ACTIONS = new Uint8Array(KIND_COUNT);
/** The kind each GOT request becomes. */
const REQUEST_BECOMES = new Int32Array(KIND_COUNT);
for (const info of AARCH64_EDGE_KIND_INFO) {
  if (info.request?.table === 'GOT') {
    ACTIONS[info.kind] = GOTStubAction.GOTRequest;
    REQUEST_BECOMES[info.kind] = info.request.becomes;
  } else if (info.formula === Fm.GotPageOffset15) ACTIONS[info.kind] = GOTStubAction.GOTRelative;
  else if (info.formula === Fm.Unsupported) ACTIONS[info.kind] = GOTStubAction.Unsupported;
  else if (info.kind === K.Branch26PCRel) ACTIONS[info.kind] = GOTStubAction.StubCall;
}

/** The GOT: 8-byte entries, each a Pointer64 edge to its target. */
const GOT = pointerGOT(GOT_SECTION_NAME, GOT_ENTRY_SIZE, K.Pointer64);

/**
 * The GOT (8-byte entries, each a Pointer64 edge to its target) and the stubs
 * (a Page21 and a PageOffset12 edge to the target's GOT entry).
 */
const AARCH64_GOT_AND_STUBS: GOTAndStubsFormat = {
  got: GOT.format,
  stubs: {
    sectionName: STUBS_SECTION_NAME,
    sectionProt: MemProt.Read | MemProt.Exec,
    entrySize: STUB_SIZE,
    alignment: 4,
    template: STUB_TEMPLATE,
    callable: true,
    addStubEdges(block, offset, gotEntry) {
      block.appendEdge(K.Page21, offset, gotEntry, 0);
      block.appendEdge(K.PageOffset12, offset + 4, gotEntry, 0);
    },
  },
  gotBaseName: GOT_SYMBOL_NAME,
  actions: ACTIONS,
  requestBecomes: REQUEST_BECOMES,
  unsupportedEdge: (graph, block, i, kind) =>
    tlsNotSupported(aarch64TLSRelocationName(kind), graph.name, block.section.name, block.address + block.edgeOffset(i)),
};

/** Where a stub names its GOT entry: the first of its two edges, the ADRP's Page21. */
const STUB_SHAPE: TableEntryShape = {
  sectionName: STUBS_SECTION_NAME,
  entrySize: STUB_SIZE,
  edgesPerEntry: 2,
  edgeIndex: 0,
  edgeOffset: 0,
  edgeKind: K.Page21,
};

/**
 * The symbol whose address is the graph's GOT base: the `_GLOBAL_OFFSET_TABLE_`
 * the GOT/PLT pass defined in `$__GOT`, else an absolute or defined one
 * (graphs built by hand). Only GotPageOffset15 fixups ask.
 */
export function findGOTBase(graph: LinkGraph): Symbol | undefined {
  return findTableBase(graph, GOT_SECTION_NAME, GOT_SYMBOL_NAME);
}

/**
 * GOT entries and stubs of one graph for one link (the AArch64 passes create
 * it): core's GOTAndStubs with AArch64's tables.
 */
export class AArch64GOTAndStubs extends GOTAndStubs {
  constructor(graph: LinkGraph) {
    super(graph, AARCH64_GOT_AND_STUBS);
  }
}

/** True when `sym` is a stub built by this module. */
export function isStub(sym: Symbol): boolean {
  return sym.isDefined() && sym.block.section.name === STUBS_SECTION_NAME;
}

/** The symbol a GOT entry points to, if `entry` has the shape this module builds. */
export function gotEntryTarget(entry: Symbol): Symbol | undefined {
  return readTableEntry(GOT.entryShape, entry);
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
