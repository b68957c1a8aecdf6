export type { ElfArchSupport, ElfRelocation, ElfRelocationSite } from './arch-support.js';
export * from './constants.js';
export {
  parseElf,
  scanElfSymbols,
  readElfSymbolScanRanges,
  type ElfSymbolScan,
  readRelocation,
  readString,
  sectionContent,
  decodeName,
  type ElfFile,
  type ElfHeader,
  type ElfSectionHeader,
  type ElfSymbol,
  type ElfSymbolColumns,
  type ElfRelocationSection,
  type ElfSectionGroup,
  type ElfRawRelocation,
} from './reader.js';
export {
  createElfLinkGraph,
  buildElfLinkGraph,
  getElfGraphInfo,
  getElfComdatGroups,
  ELF_COMMON_SECTION_NAME,
  type CreateElfLinkGraphOptions,
  type ElfComdatGroup,
  type ElfGraphInfo,
  type ElfSourceObject,
} from './builder.js';
export { decodeElf, buildElfLinkGraphFromDecoded, decodedElfTransferList, type DecodedElf } from './decoded.js';
export { discardElfComdatGroup } from './comdat.js';
export { readElfDefinitions, readElfObject, type ParsedElf } from './definitions.js';
export { createElfBackend } from './backend.js';
export { elfFormatSniffer, elfArchName, checkElfRelocatable } from './identify.js';
export {
  initializerSectionInfo,
  compareInitializerSections,
  DEFAULT_INIT_PRIORITY,
  type InitializerSectionInfo,
} from './initializers.js';
export {
  mergeElfLinkGraphs,
  mergeElfGraphInfo,
  defineSectionBoundarySymbols,
  sectionOfBoundarySymbol,
} from './merge.js';
export { mergeObjectsSharingSections } from './shared-sections.js';
export {
  getThreadLocalResolver,
  setThreadLocalResolver,
  writeTLSModule,
  type ThreadLocalLocation,
  type ThreadLocalResolver,
  type TLSModuleImage,
} from './tls-module.js';
export { writeElfDebugObjects, withLoadAddresses, type ElfDebugObject } from './debug-object.js';
export {
  writeJITDebugModule,
  JIT_REGISTER_CODE_SYMBOL,
  JIT_DESCRIPTOR_SYMBOL,
  JIT_DESCRIPTOR_SIZE,
  JIT_CODE_ENTRY_SIZE,
  JIT_NOACTION,
  JIT_REGISTER_FN,
  JIT_UNREGISTER_FN,
  type JITDebugModuleOptions,
} from './jit-debug-module.js';
