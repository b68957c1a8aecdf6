/**
 * The linker's view of an executor process: the process that runs linked
 * code. It may be this process, another process on this machine, or a process
 * of another architecture; everything goes through this interface.
 */
import type { TargetAddress } from './address.js';
import type { JITLinkMemoryManager } from './memory-manager.js';

export interface ExecutorProcessControl {
  /** Target triple of the executor, e.g. "x86_64-unknown-linux-gnu". */
  readonly triple: string;
  readonly pageSize: number;
  readonly memoryManager: JITLinkMemoryManager;
  /** Addresses of symbols the executor process already defines (libc, libm...); missing ones are absent. */
  lookupSymbols(names: readonly string[]): Promise<Map<string, TargetAddress>>;
  /** Makes a shared library's symbols available to lookupSymbols (e.g. "libstdc++.so.6"). */
  loadLibrary?(name: string): Promise<void>;
  /** Calls `int main(int argc, char **argv)` and returns its result. argv holds exactly `args`. */
  runAsMain(address: TargetAddress, args: readonly string[]): Promise<number>;
  /** Calls `void fn(uintptr_t...)` with up to four integer arguments. */
  callVoid(address: TargetAddress, args?: readonly TargetAddress[]): Promise<void>;
  /** Creates the exit-handler services for a session (see JITRuntimeServices). */
  createRuntimeServices?(): Promise<JITRuntimeServices>;
  /**
   * Loads a thread-local storage block (an ELF PT_TLS image) so that every
   * thread of the executor, existing and future, gets its own copy; returns
   * its module id and its static offset from the thread pointer.
   */
  loadThreadLocalModule?(image: ThreadLocalImage, name: string): Promise<LoadedThreadLocalModule>;
  /**
   * Where thread-local variables of the executor's own libraries live, given
   * the addresses their symbols resolved to (the calling thread's copies):
   * their module id, offset in the module's block and offset from the thread
   * pointer; undefined for an address in no loaded TLS block.
   */
  locateThreadLocals?(addresses: readonly TargetAddress[]): Promise<(ThreadLocalPlace | undefined)[]>;
  /**
   * Stores pointer-sized values, each with one aligned store that threads
   * running in the executor see whole (redirectable calls: live re-linking).
   * Each address must be pointer-aligned and writable.
   */
  writePointers?(writes: readonly PointerWrite[]): Promise<void>;
  /** Copies `bytes` to `address` in the executor (writable memory there). */
  writeMemory?(address: TargetAddress, bytes: Uint8Array): Promise<void>;
  /** Flushes the executor's C stdio buffers. */
  flushOutput?(): Promise<void>;
  /**
   * Debuggers: adds an in-memory object file (a debug object, its sections at
   * their load addresses) to the executor's GDB JIT interface, so that a
   * debugger attached to the executor sees its symbols and debug info.
   */
  registerDebugObject?(object: Uint8Array, name: string): Promise<RegisteredDebugObject>;
  /** Profilers: announces linked functions (perf map lines, jitdump JIT_CODE_LOAD records). */
  registerPerfFunctions?(functions: readonly PerfFunction[]): Promise<void>;
  /** Releases everything the executor holds for this session. */
  dispose(): Promise<void>;
}

/** A debug object in the executor's GDB JIT interface. */
export interface RegisteredDebugObject {
  /** Takes it out again (JIT_UNREGISTER_FN), where the executor can. */
  deregister(): Promise<void>;
}

/** A linked function, for profilers. */
export interface PerfFunction {
  name: string;
  address: TargetAddress;
  size: number;
  /** Its bytes as linked (fixups applied). */
  code: Uint8Array;
}

/** One store of ExecutorProcessControl.writePointers. */
export interface PointerWrite {
  address: TargetAddress;
  value: TargetAddress;
}

/** A thread-local storage block's initial image (see ExecutorProcessControl.loadThreadLocalModule). */
export interface ThreadLocalImage {
  /** Initialized part (.tdata). */
  initImage: Uint8Array;
  /** Whole block size, the zero-filled .tbss included. */
  memorySize: number;
  alignment: number;
  /** ELF e_machine of the code using it. */
  machine: number;
  /**
   * The ELF relocation type that asks the loader for a TLS block's offset
   * from the thread pointer on that machine (R_X86_64_TPOFF64,
   * R_AARCH64_TLS_TPREL64): a module with one is placed in static TLS.
   */
  threadPointerRelocation: number;
}

/** A thread-local variable of a library loaded in the executor (see ExecutorProcessControl.locateThreadLocals). */
export interface ThreadLocalPlace {
  moduleId: number;
  blockOffset: number;
  /** Undefined for a library in dynamic TLS (loaded after start-up): its block differs per thread. */
  threadPointerOffset: number | undefined;
}

export interface LoadedThreadLocalModule {
  moduleId: number;
  threadPointerOffset: number;
  /** Frees the block in every thread. */
  unload(): Promise<void>;
}

/**
 * Process-exit services the executor provides to linked code, so that
 * handlers registered by JIT'd code run while its memory is still mapped:
 * definitions for `atexit`, `__cxa_atexit` and `__dso_handle`.
 */
export interface JITRuntimeServices {
  /** Addresses to define in the JITDylib (e.g. atexit, __cxa_atexit, __dso_handle). */
  readonly symbols: ReadonlyMap<string, TargetAddress>;
  /** Runs the registered handlers in reverse order of registration, as exit() would. */
  runAtExitHandlers(): Promise<void>;
}
