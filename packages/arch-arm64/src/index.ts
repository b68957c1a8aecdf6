export {
  AARCH64_INSTRUCTION_SIZE,
  aarch64InstructionDecoder,
  decodeAArch64Instruction,
  decodeAArch64Word,
} from './decode.js';
export {
  AArch64EdgeKinds,
  AArch64Formula,
  AARCH64_EDGE_KIND_INFO,
  AARCH64_POINTER_SIZE,
  AARCH64_TLS_RELOCATIONS,
  aarch64EdgeKindInfo,
  aarch64EdgeKinds,
  aarch64TLSRelocationKind,
  aarch64TLSRelocationName,
  getAArch64EdgeKindName,
  isAArch64TLSEdgeKind,
  type AArch64EdgeKindName,
} from './edge-kinds.js';
export { applyFixup } from './fixups.js';
export { tlsNotSupported } from './diagnostics.js';
export {
  AArch64GOTAndStubs,
  aarch64CheckTables,
  aarch64TableSymbols,
  buildAArch64GOTAndStubs,
  findGOTBase,
  gotEntryTarget,
  isStub,
  stubGOTEntry,
  GOT_ENTRY_SIZE,
  GOT_SECTION_NAME,
  GOT_SYMBOL_NAME,
  STUB_SIZE,
  STUBS_SECTION_NAME,
} from './got-plt.js';
export { AARCH64_EH_FRAME_OPTIONS, addAArch64Passes, aarch64LinkTarget } from './passes.js';
export { bypassReachableStubs, optimizeAArch64GOTAndStubAccesses, relaxGOTLoads } from './relax.js';
export { addAArch64VeneerPasses, isVeneer, VENEER_SIZE, VENEERS_SECTION_NAME } from './veneers.js';
export * as aarch64Encoders from './encoders.js';
export { aarch64Tools } from './tools.js';
export { createAArch64RedirectableStub } from './redirectable-stub.js';
