export {
  X86_64EdgeKinds,
  X86_64_POINTER_SIZE,
  getX86_64EdgeKindName,
  isX86_64TLSEdgeKind,
  x86_64EdgeKindInfo,
  X86_64_EDGE_KIND_INFO,
  X86_64Formula,
  ABSOLUTE_32_ADVICE,
  type X86_64EdgeKindName,
} from './edge-kinds.js';
export { applyFixup } from './fixups.js';
export {
  buildGOTAndStubs,
  findGOTBase,
  gotEntryTarget,
  isStub,
  redirectUnreachableFunctionPointers,
  stubGOTEntry,
  GOTAndStubsBuilder,
  GOT_ENTRY_SIZE,
  GOT_SECTION_NAME,
  GOT_SYMBOL_NAME,
  STUB_SIZE,
  STUBS_SECTION_NAME,
} from './got-plt.js';
export { optimizeGOTAndStubAccesses, relaxGOTLoad, bypassStub } from './relax.js';
export { addX86_64Passes, X86_64_EH_FRAME_OPTIONS, x86_64LinkTarget } from './passes.js';
export { tlsNotSupported } from './diagnostics.js';
export { classifyMangledName, type MangledNameKind } from './cxx-names.js';
export { decodeX86_64Instruction, x86_64InstructionDecoder } from './decode.js';
export { addX86_64SelfRelocations } from './self-relocations.js';
export { x86_64Tools } from './tools.js';
export { createX86_64RedirectableStub } from './redirectable-stub.js';
