/**
 * What x86-64 supplies to tools through its backends (see `BackendTools` in
 * @jitlink/core): graph format, instruction decoder, GOT/stub lookup and
 * -add-self-relocations.
 */
import { createTableEntryIndex, JITLinkError, type BackendTools, type TableEntryKind } from '@jitlink/core';
import { x86_64InstructionDecoder } from './decode.js';
import { getX86_64EdgeKindName, X86_64_POINTER_SIZE } from './edge-kinds.js';
import { GOT_SECTION_NAME, gotEntryTarget, STUBS_SECTION_NAME, stubTarget } from './got-plt.js';
import { addX86_64SelfRelocations } from './self-relocations.js';
import { createX86_64RedirectableStub } from './redirectable-stub.js';

/** The graph's GOT entries and stubs by target name, read from the linked tables. */
const tableEntries = createTableEntryIndex<TableEntryKind>({
  got: { sectionName: GOT_SECTION_NAME, entryTarget: gotEntryTarget },
  stub: { sectionName: STUBS_SECTION_NAME, entryTarget: stubTarget },
});

export const x86_64Tools: BackendTools = {
  graphFormat(triple) {
    if (!triple.startsWith('x86_64')) throw new JITLinkError('UnsupportedArchitecture', `${triple} is not an x86-64 triple`);
    return { pointerSize: X86_64_POINTER_SIZE, endianness: 'little', getEdgeKindName: getX86_64EdgeKindName };
  },
  instructionDecoder: x86_64InstructionDecoder,
  findTableEntry: (graph, kind, targetName) => tableEntries(graph)[kind].get(targetName),
  addSelfRelocations: addX86_64SelfRelocations,
  createRedirectableStub: createX86_64RedirectableStub,
};
