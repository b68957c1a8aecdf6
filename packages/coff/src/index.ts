export type { CoffArchSupport, CoffRelocation, CoffRelocationSite } from './arch-support.js';
export * from './constants.js';
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
export { createHostEntryBridge, hostBridgeName, HOST_BRIDGE_SECTION_NAME } from './bridge.js';
export { createHostCallThunkPass, HOST_THUNKS_SECTION_NAME } from './host-thunks.js';
