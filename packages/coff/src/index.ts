export type { CoffArchSupport, CoffRelocation, CoffRelocationSite } from './arch-support.js';
export * from './constants.js';
export {
  coffRelocationTypes,
  createCoffEdgeLowering,
  readCoffImplicitAddend,
  type CoffLoweredKinds,
  type CoffRelocationTypes,
} from './relocations.js';
export { parseCoff, type CoffFile, type CoffSection, type CoffSymbol, type CoffRelocationEntry, type CoffSectionDefinition, type CoffWeakExternal } from './read/file.js';
export { readCoffHeader, isBigobjHeader, type CoffHeader } from './read/header.js';
export { parseDirectives, type CoffDirectives } from './read/directives.js';
export {
  createCoffLinkGraph,
  buildCoffLinkGraph,
  getCoffGraphInfo,
  isLoadedCoffSection,
  isCoffInitializerSection,
  COFF_COMMON_SECTION_NAME,
  IMPORT_PREFIX,
  type CoffComdat,
  type CoffGraphInfo,
} from './builder.js';
export { coffFormatSniffer, coffArchName } from './identify.js';
export { defineImageBase, graphImageBase, IMAGE_BASE_SYMBOL_NAME } from './image-base.js';
export { createCoffBackend } from './backend.js';
export { readCoffDefinitions, readCoffDefinitionRanges } from './definitions.js';
export { createHostCallBridges, createHostEntryBridge, hostBridgeName, HOST_BRIDGE_SECTION_NAME, HOST_CALL_BRIDGE_PREFIX } from './bridge.js';
export { coffInitializerPhase, coffTerminatorPhase, type CoffInitializerPhase } from './initializers.js';
export {
  addHostCallThunkPasses,
  hostCallRefusal,
  HOST_FUNCTIONS_CALLING_BACK,
  HOST_FUNCTIONS_WITH_FLOATING_POINT_PARAMETERS,
  HOST_THUNKS_SECTION_NAME,
} from './host-thunks.js';
