/**
 * `@jitlink/core`: the LinkGraph, the generic link algorithm and its passes,
 * memory-manager interfaces and simulated managers, backend registration and
 * `createLinkGraph` dispatch, archives, eh-frame passes and `jitlink-check`.
 *
 * The exports below are the public API, listed one by one so that nothing
 * becomes public by being added to a module. Helpers the project's own
 * packages share but users should not rely on live in `@jitlink/core/internal`.
 *
 * @packageDocumentation
 */
export {
  MAX_EXACT_ADDRESS,
  MIN_EXACT_ADDRESS,
  addressFromBigInt,
  addressFromHalves,
  alignUp,
  alignUpWithOffset,
  formatAddress,
  formatHex,
  isPowerOfTwo,
  isRepresentableAddress,
  readAddress64,
  toBigInt,
  writeAddress64,
  type TargetAddress,
} from './address.js';
export {
  Archive,
  isArchive,
  parseArchive,
  type ArchiveFormat,
  type ArchiveMember,
  type ArchiveSource,
  type ByteSource,
  type SymbolIndexSource,
} from './archive.js';
export {
  BackendRegistry,
  createLinkGraph,
  defaultBackendRegistry,
  registerBackend,
  registerFormatSniffer,
  type BackendTools,
  type CreateLinkGraphOptions,
  type GraphFormat,
  type LinkGraphBackend,
  type ObjectReading,
  type TableEntryKind,
} from './backend.js';
export {
  LinkedGraphsCheckerContext,
  formatCheckFailure,
  runCheckFile,
  type CheckFailure,
  type CheckReport,
  type CheckerContext,
  type DecodedInstruction,
  type DecodedOperand,
  type GraphCheckTables,
  type InstructionDecoder,
  type RegisterOperand,
} from './check/index.js';
export {
  definitionFlags,
  graphDefinitions,
  type DefinitionFlags,
  type ObjectDefinitions,
} from './definitions.js';
export {
  RANGE_64,
  edgeKindInfo,
  edgeKindTable,
  eitherRange,
  fitsRange,
  renderEdgeKindTable,
  renderMarkdownTable,
  signedRange,
  unsignedRange,
  type EdgeKindInfo,
  type FixupRange,
} from './edge-kind-info.js';
export {
  EdgeKinds,
  edgeKindNamer,
  relocationTypeNamer,
  genericEdgeKindName,
  type EdgeKind,
  type EdgeKindNamer,
} from './edge-kinds.js';
export {
  addEHFramePasses,
  createEHFrameEdgeFixerPass,
  createEHFrameNullTerminatorPass,
  createEHFrameSplitterPass,
  type EHFrameEdgeKinds,
  type EHFramePassOptions,
} from './eh-frame.js';
export { JITLinkError, toError, type JITLinkErrorCode, type JITLinkErrorLocation } from './errors.js';
export {
  type ExecutorProcessControl,
  type JITRuntimeServices,
  type LoadedThreadLocalModule,
  type PerfFunction,
  type PointerWrite,
  type RegisteredDebugObject,
  type ThreadLocalImage,
  type ThreadLocalPlace,
} from './executor-control.js';
export {
  JITDUMP_HEADER_SIZE,
  JITDUMP_MAGIC,
  JITDUMP_VERSION,
  JIT_CODE_CLOSE,
  JIT_CODE_DEBUG_INFO,
  JIT_CODE_LOAD,
  JIT_CODE_MOVE,
  JIT_CODE_UNWINDING_INFO,
  encodeJitCodeClose,
  encodeJitCodeLoad,
  encodeJitdumpHeader,
  perfMapLine,
  readJitdump,
  type JitCodeLoad,
  type Jitdump,
  type JitdumpHeader,
  type JitdumpRecord,
} from './jitdump.js';
export {
  getThreadLocalResolver,
  setThreadLocalResolver,
  type ThreadLocalLocation,
  type ThreadLocalResolver,
} from './thread-local.js';
export {
  Addressable,
  Block,
  Edge,
  LinkGraph,
  Linkage,
  Scope,
  Section,
  Symbol,
  type AllocAction,
  type AllocActionCall,
  type Endianness,
  type LinkGraphOptions,
  type SectionRange,
} from './graph.js';
export { identifyObject, type FormatSniffer, type ObjectIdentity, type SniffContext } from './identify.js';
export { computeSegmentLayout, type SegmentLayout, type SegmentPlan } from './layout.js';
export { checkLimit, type InputLimits } from './limits.js';
export {
  PassConfiguration,
  SymbolLookupFlags,
  link,
  markAllSymbolsLive,
  prune,
  type JITLinkContext,
  type LinkGraphPass,
  type LinkObserver,
  type LinkPhaseName,
  type LinkTarget,
  type LookupRequest,
  type LookupResult,
} from './link.js';
export {
  MemLifetime,
  MemProt,
  allocGroup,
  allocGroupLifetime,
  allocGroupProt,
  formatAllocGroup,
  formatMemProt,
  type AllocGroup,
} from './memory-flags.js';
export {
  DEFAULT_MAX_RESERVED_BYTES,
  InMemoryMemoryManager,
  SimulatedMemoryManager,
  SlabMemoryManager,
  segmentOfGroup,
  type AllocatedSegment,
  type JITLinkAllocation,
  type JITLinkDylib,
  type JITLinkMemoryManager,
  type SegmentRequest,
  type SegmentsRequest,
  type SimulatedMemoryOptions,
} from './memory-manager.js';
export { mergeLinkGraphs, type MergeLinkGraphsOptions } from './merge.js';
export { PartialObject } from './partial-object.js';
export { printLinkGraph } from './printer.js';
export { KNOWN_BACKENDS, describeFormat, missingBackendAdvice, type KnownBackend } from './support.js';
export { createTableEntryIndex, findTableBase, TableManager, visitExistingEdges, type EdgeVisitor, type TableFormat, type TableReader } from './table-manager.js';
export {
  GOTAndStubs,
  GOTStubAction,
  pointerGOT,
  readTableEntry,
  type GOTAndStubsFormat,
  type StubBypass,
  type StubTableFormat,
  type TableEntryShape,
} from './got-stubs.js';
export { archOfTriple, objectFormatOfTriple, parseTriple, type ObjectFormat, type Triple } from './triple.js';
