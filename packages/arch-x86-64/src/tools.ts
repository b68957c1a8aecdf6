/**
 * What x86-64 supplies to tools through its backends (see `BackendTools` in
 * @jitlink/core): graph format, instruction decoder, GOT/stub lookup and
 * -add-self-relocations.
 */
import { JITLinkError, type BackendTools, type LinkGraph, type Symbol, type TableEntryKind } from '@jitlink/core';
import { x86_64InstructionDecoder } from './decode.js';
import { getX86_64EdgeKindName, X86_64_POINTER_SIZE } from './edge-kinds.js';
import { GOT_SECTION_NAME, gotEntryTarget, STUBS_SECTION_NAME, stubGOTEntry } from './got-plt.js';
import { addX86_64SelfRelocations } from './self-relocations.js';
import { createX86_64RedirectableStub } from './redirectable-stub.js';

interface TableIndex {
  /** The table sections' symbol counts when indexed (tables only grow). */
  gotCount: number;
  stubCount: number;
  entries: Record<TableEntryKind, Map<string, Symbol>>;
}

const tableIndexes = new WeakMap<LinkGraph, TableIndex>();

/** The graph's GOT entries and stubs by target name, indexed once per table size. */
function tableIndex(graph: LinkGraph): TableIndex {
  const got = graph.findSectionByName(GOT_SECTION_NAME)?.symbols;
  const stubs = graph.findSectionByName(STUBS_SECTION_NAME)?.symbols;
  const known = tableIndexes.get(graph);
  if (known !== undefined && known.gotCount === (got?.size ?? 0) && known.stubCount === (stubs?.size ?? 0)) return known;
  const index: TableIndex = { gotCount: got?.size ?? 0, stubCount: stubs?.size ?? 0, entries: { got: new Map(), stub: new Map() } };
  for (const entry of got ?? []) {
    const target = gotEntryTarget(entry);
    if (target?.name !== undefined) index.entries.got.set(target.name, entry);
  }
  for (const stub of stubs ?? []) {
    const entry = stubGOTEntry(stub);
    const target = entry === undefined ? undefined : gotEntryTarget(entry);
    if (target?.name !== undefined) index.entries.stub.set(target.name, stub);
  }
  tableIndexes.set(graph, index);
  return index;
}

export const x86_64Tools: BackendTools = {
  graphFormat(triple) {
    if (!triple.startsWith('x86_64')) throw new JITLinkError('UnsupportedArchitecture', `${triple} is not an x86-64 triple`);
    return { pointerSize: X86_64_POINTER_SIZE, endianness: 'little', getEdgeKindName: getX86_64EdgeKindName };
  },
  instructionDecoder: x86_64InstructionDecoder,
  findTableEntry: (graph, kind, targetName) => tableIndex(graph).entries[kind].get(targetName),
  addSelfRelocations: addX86_64SelfRelocations,
  createRedirectableStub: createX86_64RedirectableStub,
};
