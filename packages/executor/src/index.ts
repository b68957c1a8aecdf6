export { FreeRanges } from './free-ranges.js';
export {
  DualMappedAllocation,
  DualMappedMemoryManager,
  type DualMappedMemoryManagerOptions,
} from './dual-mapped-memory-manager.js';
export {
  InProcessAllocation,
  InProcessMemoryManager,
  TWO_GIB,
  type InProcessMemoryManagerOptions,
  type InProcessMemoryStats,
  type PlacementPolicy,
} from './memory-manager.js';
export { MAP_SHARED, PROT_READ, PROT_WRITE, getLibC, lastErrorText, nativeView, readMemory, storePointer, systemPageSize, type LibC } from './native.js';
export { CXX_LIBRARIES, MATH_LIBRARIES, ProcessSymbols } from './process-symbols.js';
export {
  MAX_CALL_ARGUMENTS,
  callInt,
  callIntPtr,
  callVoid,
  flushCStdio,
  runAsMain,
  runAsMainOnThread,
  exitProcessNow,
  runAtExitHandlers,
  runFinalizers,
  runFunctions,
  runInitializers,
  type FunctionPointerTable,
  type RunTablesOptions,
} from './run.js';
export {
  ExecutorServices,
  MAX_ACTION_ARGUMENTS,
  type ExecutorService,
  type ServiceMemory,
} from './services.js';
export { InProcessRuntimeServices } from './runtime-services.js';
export {
  SelfExecutorProcessControl,
  hostTriple,
  type InProcessJITMemory,
  type SelfExecutorOptions,
} from './self-executor.js';
export { loadTLSModule, type LoadedTLSModule } from './tls.js';
export {
  JSFunctions,
  cArray,
  cFunction,
  cGlobal,
  cStruct,
  parseCSignature,
  type CArrayElement,
  type CFunction,
  type CGlobal,
  type CSignature,
  type CType,
  type JSFunctionDefinition,
  type JSFunctionSymbol,
  type JSFunctionsResourceManager,
  type JSFunctionsTracker,
} from './ffi.js';
export { GDB_JIT_MODULE_NAME, GDBJITInterface, type GDBJITEntry } from './gdb-jit.js';
export { PerfSupport, createJitdumpDirectory, type PerfSupportOptions } from './perf.js';
