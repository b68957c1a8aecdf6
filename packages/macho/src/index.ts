export type { MachOArchSupport, MachORelocation, MachORelocationContext } from './arch-support.js';
export * from './constants.js';
export {
  addMachOSubtractorPair,
  machoRelocationTypes,
  readMachOImplicitAddend,
  type ImplicitAddendOptions,
  type MachORelocationTypes,
  type MachOSubtractorPair,
} from './relocations.js';
export {
  parseMachO,
  readMachOHeader,
  readRelocations,
  type MachOFile,
  type MachOHeader,
  type MachOSection,
  type MachOSymbol,
  type MachORawRelocation,
  type MachOBuildVersion,
} from './read/file.js';
export { isUniversalMachO, readUniversalSlices, selectUniversalSlice, machoCpuName, type UniversalSlice } from './read/universal.js';
export {
  createMachOLinkGraph,
  buildMachOLinkGraph,
  getMachOGraphInfo,
  isLoadedMachOSection,
  COMPACT_UNWIND_SECTION,
  COMPACT_UNWIND_ENTRY_SIZE,
  THREAD_VARIABLE_DESCRIPTOR_SIZE,
  type CreateMachOLinkGraphOptions,
  type MachOGraphInfo,
} from './builder.js';
export { createMachOBackend, mangleMachOName } from './backend.js';
export { readMachODefinitions } from './definitions.js';
export { machoFormatSniffer } from './identify.js';
