/**
 * This process as the executor: core's ExecutorProcessControl over the
 * in-process memory manager, dlsym lookup and direct calls.
 */
import {
  JITLinkError,
  formatAddress,
  type ExecutorProcessControl,
  type JITRuntimeServices,
  type LoadedThreadLocalModule,
  type PerfFunction,
  type RegisteredDebugObject,
  type PointerWrite,
  type ThreadLocalImage,
  type ThreadLocalPlace,
  type TargetAddress,
} from '@jitlink/core';
import { DualMappedMemoryManager } from './dual-mapped-memory-manager.js';
import { InProcessMemoryManager, type InProcessMemoryManagerOptions } from './memory-manager.js';
import { ProcessSymbols } from './process-symbols.js';
import { InProcessRuntimeServices } from './runtime-services.js';
import { MAX_ACTION_ARGUMENTS } from './services.js';
import { loadTLSModule, locateLibraryThreadLocals } from './tls.js';
import { GDBJITInterface, type GDBJITEntry } from './gdb-jit.js';
import { PerfSupport, type PerfSupportOptions } from './perf.js';
import { nativeView, storePointer } from './native.js';
import {
  callVoid,
  flushCStdio,
  runAsMain,
  runAsMainOnThread,
  runAtExitHandlers,
  runFinalizers,
  runInitializers,
  type FunctionPointerTable,
} from './run.js';

/** The memory managers this process can use as executor (their common members). */
export type InProcessJITMemory = InProcessMemoryManager | DualMappedMemoryManager;

export interface SelfExecutorOptions extends InProcessMemoryManagerOptions {
  /**
   * 'dual-mapped': graphs share pages, code is written through a second
   * mapping (DualMappedMemoryManager). 'page-per-graph': each graph gets pages
   * of its own, protected at finalize (InProcessMemoryManager). Default:
   * 'dual-mapped' where the system allows it (memfd_create), else 'page-per-graph'.
   */
  memory?: 'dual-mapped' | 'page-per-graph';
  /**
   * Load libstdc++/libgcc_s or libm before looking up names that usually come
   * from them (see ProcessSymbols.loadLibrariesFor). Default true.
   */
  autoLoadLibraries?: boolean;
  /** Where registerPerfFunctions writes (perf map, jitdump file); see PerfSupport. */
  perf?: PerfSupportOptions;
}

/** The triple of the running process, e.g. "x86_64-unknown-linux-gnu". */
export function hostTriple(): string {
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return `${arch}-unknown-${process.platform}-gnu`;
}

export class SelfExecutorProcessControl implements ExecutorProcessControl {
  readonly triple = hostTriple();
  readonly memoryManager: InProcessJITMemory;
  readonly symbols = new ProcessSymbols();
  private readonly autoLoadLibraries: boolean;
  private readonly perfOptions: PerfSupportOptions | undefined;
  /** Profiler files, opened when the first functions are registered. */
  perf: PerfSupport | undefined;
  /** Debug objects this executor put in the GDB JIT interface and has not taken out. */
  private readonly debugEntries = new Set<GDBJITEntry>();

  constructor(options: SelfExecutorOptions = {}) {
    const memory =
      options.memory ?? (DualMappedMemoryManager.isAvailable() ? 'dual-mapped' : 'page-per-graph');
    this.memoryManager =
      memory === 'dual-mapped' ? new DualMappedMemoryManager(options) : new InProcessMemoryManager(options);
    this.autoLoadLibraries = options.autoLoadLibraries ?? true;
    this.perfOptions = options.perf;
  }

  get pageSize(): number {
    return this.memoryManager.pageSize;
  }

  async lookupSymbols(names: readonly string[]): Promise<Map<string, TargetAddress>> {
    if (this.autoLoadLibraries) this.symbols.loadLibrariesFor(names);
    const result = new Map<string, TargetAddress>();
    for (const name of names) {
      const address = this.symbols.lookup(name);
      if (address !== undefined) result.set(name, address);
    }
    return result;
  }

  async loadLibrary(name: string): Promise<void> {
    this.symbols.load(name);
  }

  async runAsMain(address: TargetAddress, args: readonly string[]): Promise<number> {
    return runAsMain(address, args);
  }

  /** runAsMain on a thread of its own: this process's JavaScript keeps running while the program does. */
  runAsMainOnThread(address: TargetAddress, args: readonly string[]): Promise<number> {
    return runAsMainOnThread(address, args);
  }

  async writePointers(writes: readonly PointerWrite[]): Promise<void> {
    for (const { address, value } of writes) storePointer(address, value);
  }

  async writeMemory(address: TargetAddress, bytes: Uint8Array): Promise<void> {
    if (!this.memoryManager.isReadable(address, bytes.length)) {
      throw new JITLinkError('InvalidArgument', `cannot write ${bytes.length} bytes at ${formatAddress(address)}: not JIT memory of this process`);
    }
    nativeView(address, bytes.length).set(bytes);
  }

  async callVoid(address: TargetAddress, args: readonly TargetAddress[] = []): Promise<void> {
    if (args.length > MAX_ACTION_ARGUMENTS)
      throw new JITLinkError('InvalidArgument', `too many arguments: ${args.length}`);
    callVoid(address, ...args);
  }

  async flushOutput(): Promise<void> {
    flushCStdio();
  }

  private readonly runtimeServices: InProcessRuntimeServices[] = [];

  async registerDebugObject(object: Uint8Array, _name: string): Promise<RegisteredDebugObject> {
    const gdb = GDBJITInterface.forThisProcess();
    const entry = gdb.register(object);
    this.debugEntries.add(entry);
    return {
      deregister: async () => {
        if (this.debugEntries.delete(entry)) gdb.deregister(entry);
      },
    };
  }

  async registerPerfFunctions(functions: readonly PerfFunction[]): Promise<void> {
    this.perf ??= new PerfSupport(this.perfOptions);
    this.perf.register(functions);
  }

  /** atexit/__cxa_atexit capture and a __dso_handle for a session's linked code. */
  async loadThreadLocalModule(image: ThreadLocalImage, name: string): Promise<LoadedThreadLocalModule> {
    const loaded = loadTLSModule(image, name);
    return { ...loaded, unload: async () => loaded.unload() };
  }

  async locateThreadLocals(addresses: readonly TargetAddress[]): Promise<(ThreadLocalPlace | undefined)[]> {
    return locateLibraryThreadLocals(addresses);
  }

  async createRuntimeServices(): Promise<JITRuntimeServices> {
    const services = new InProcessRuntimeServices(this.createDsoHandle());
    this.runtimeServices.push(services);
    return services;
  }

  /** See InProcessMemoryManager.createDsoHandle. */
  createDsoHandle(): TargetAddress {
    return this.memoryManager.createDsoHandle();
  }

  runAtExitHandlers(dsoHandle: TargetAddress): void {
    runAtExitHandlers(dsoHandle);
  }

  /** Runs .init_array-style tables that lie in JIT memory. */
  runInitializers(tables: readonly FunctionPointerTable[]): number {
    return runInitializers(tables, { isReadable: (a, s) => this.memoryManager.isReadable(a, s) });
  }

  /** Runs .fini_array-style tables that lie in JIT memory. */
  runFinalizers(tables: readonly FunctionPointerTable[]): number {
    return runFinalizers(tables, { isReadable: (a, s) => this.memoryManager.isReadable(a, s) });
  }

  async dispose(): Promise<void> {
    // Exit handlers registered by linked code run while its memory is still mapped.
    for (const services of this.runtimeServices) await services.runAtExitHandlers();
    flushCStdio();
    // Debuggers stop listing code that is about to be unmapped.
    for (const entry of this.debugEntries) GDBJITInterface.forThisProcess().deregister(entry);
    this.debugEntries.clear();
    this.perf?.close();
    await this.memoryManager.dispose();
    for (const services of this.runtimeServices.splice(0)) services.dispose();
  }
}
