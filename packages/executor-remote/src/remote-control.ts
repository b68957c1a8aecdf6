/**
 * ExecutorProcessControl over a simple-remote-EPC connection: memory,
 * symbol lookup and calls all become wrapper-function calls to the
 * executor's bootstrap functions (LLVM 19's names and signatures).
 */
import {
  JITLinkError,
  formatAddress,
  type AllocAction,
  type BackendRegistry,
  type ExecutorProcessControl,
  type JITRuntimeServices,
  type JITLinkMemoryManager,
  type LoadedThreadLocalModule,
  type PointerWrite,
  type RegisteredDebugObject,
  type TargetAddress,
  type ThreadLocalImage,
  type ThreadLocalPlace,
  alignUp,
} from '@jitlink/core';
import { writeTLSModule } from '@jitlink/elf';
import { CXX_LIBRARIES, MATH_LIBRARIES } from '@jitlink/executor';
import type { EPCConnection } from './connection.js';
import { BootstrapNames, REQUIRED_BOOTSTRAP_SYMBOLS, type ExecutorInfo } from './protocol.js';
import { RemoteMemoryManager } from './remote-memory-manager.js';
import { RemoteRuntimeServices } from './runtime-services.js';
import { SharedMemoryManager } from './shared-memory-manager.js';
import { SPSReader, SPSWriter, readSPSError, readSPSExpected } from './sps.js';

/** LLVM's registration function for debug objects (an allocation action), and jitlink-executor's counterpart. */
const GDB_REGISTER_ACTION = 'llvm_orc_registerJITLoaderGDBAllocAction';
const GDB_DEREGISTER_ACTION = 'jitlink_deregisterJITLoaderGDBAllocAction';

/** The services the ELF platform names in allocation actions, and the executor functions behind them. */
const SERVICE_WRAPPERS: Readonly<Record<string, string>> = {
  registerEHFrame: BootstrapNames.registerEHFrame,
  deregisterEHFrame: BootstrapNames.deregisterEHFrame,
};

export interface RemoteControlOptions {
  /** 'shared': the SharedMemoryManager (an executor on this machine); default 'copy'. */
  memory?: 'copy' | 'shared';
  /** Called by dispose after the hangup (e.g. to reap the executor process). */
  onDispose?: () => Promise<void>;
  /** Builds the memory manager (default: the copying RemoteMemoryManager). */
  /**
   * Backends for linking the executor runtime (exit-handler services); without
   * it the control offers no createRuntimeServices.
   */
  registry?: BackendRegistry;
  memoryManager?: (control: RemoteExecutorProcessControl) => JITLinkMemoryManager & { releaseAll(): Promise<void> };
}

export class RemoteExecutorProcessControl implements ExecutorProcessControl {
  readonly triple: string;
  readonly pageSize: number;
  readonly memoryManager: JITLinkMemoryManager & { releaseAll(): Promise<void> };
  /** Everything the executor announced at setup. */
  readonly info: ExecutorInfo;
  private readonly dylibHandles = new Map<string, TargetAddress>();
  private processHandle: TargetAddress = 0;
  private disposed = false;
  private runtimeLibraries: Promise<void> | undefined;
  private readonly runtimeServices: RemoteRuntimeServices[] = [];
  /** The executor's GDB JIT interface functions, once looked up. */
  private gdbFunctions: Promise<{ register: TargetAddress; deregister: TargetAddress | undefined }> | undefined;
  /** Reservations holding registered debug objects, released (and so deregistered) at dispose. */
  private readonly debugObjects = new Set<TargetAddress>();
  /** atexit/__cxa_atexit/__dso_handle for a session's linked code, from a runtime linked into the executor. */
  readonly createRuntimeServices?: () => Promise<JITRuntimeServices>;

  private constructor(
    readonly connection: EPCConnection,
    info: ExecutorInfo,
    private readonly options: RemoteControlOptions,
  ) {
    this.info = info;
    this.triple = info.triple;
    this.pageSize = info.pageSize;
    this.memoryManager = options.memoryManager
      ? options.memoryManager(this)
      : options.memory === 'shared'
        ? new SharedMemoryManager(this)
        : new RemoteMemoryManager(this);
    const registry = options.registry;
    if (registry) {
      this.createRuntimeServices = async () => {
        const services = await RemoteRuntimeServices.create(this, registry);
        this.runtimeServices.push(services);
        return services;
      };
    }
  }

  /** Waits for the executor's setup message, checks it, and opens the executor's own symbol table. */
  static async create(connection: EPCConnection, options: RemoteControlOptions = {}): Promise<RemoteExecutorProcessControl> {
    const info = await connection.waitForSetup();
    const missing = REQUIRED_BOOTSTRAP_SYMBOLS.filter((name) => !info.bootstrapSymbols.has(name));
    if (missing.length > 0) {
      throw new JITLinkError('LinkFailed', `${connection.peer} does not provide ${missing.join(', ')} (not an LLVM 19 executor?)`);
    }
    const control = new RemoteExecutorProcessControl(connection, info, options);
    control.processHandle = await control.openDylib('');
    return control;
  }

  get peer(): string {
    return this.connection.peer;
  }

  /** Address of a bootstrap symbol; an error naming it when the executor lacks it. */
  bootstrapSymbol(name: string): TargetAddress {
    const address = this.info.bootstrapSymbols.get(name);
    if (address === undefined) throw new JITLinkError('UnsupportedFeature', `${this.peer} does not provide ${name}`);
    return address;
  }

  /**
   * Calls a bootstrap wrapper function and decodes its result, which must be
   * consumed exactly. A result that does not decode means the peer cannot be
   * trusted: the connection is closed and every later call fails the same way.
   */
  async call<T>(name: string, args: Uint8Array, what: string, decode: (r: SPSReader) => T): Promise<T> {
    const body = await this.connection.callWrapper(this.bootstrapSymbol(name), args, what);
    const r = new SPSReader(body, { peer: this.peer, what: `result of ${what}` });
    let value: T;
    try {
      value = decode(r);
      r.end();
    } catch (e) {
      if (e instanceof JITLinkError && e.code === 'MalformedObject') this.connection.abort(e);
      throw e;
    }
    return value;
  }

  private async callError(name: string, args: Uint8Array, what: string): Promise<void> {
    const error = await this.call(name, args, what, readSPSError);
    if (error !== undefined) throw new JITLinkError('LinkFailed', `${this.peer}: ${what} failed: ${error}`);
  }

  // --- memory -----------------------------------------------------------

  async reserve(size: number): Promise<TargetAddress> {
    const instance = this.bootstrapSymbol(BootstrapNames.memoryManagerInstance);
    const what = `reserve of 0x${size.toString(16)} bytes`;
    return this.call(BootstrapNames.memoryReserve, new SPSWriter().addr(instance).u64(size).finish(), what, (r) => {
      const at = r.offset;
      const base = readSPSExpected(r, (rr) => rr.addr('reserved address'));
      if (base === 0 || base % this.pageSize !== 0) r.fail(`reserved address ${formatAddress(base)} is not page aligned`, at);
      return base;
    });
  }

  /** True when the executor can reserve memory below 2 GiB (jitlink-executor's reserveLow service). */
  get canReserveLow(): boolean {
    return this.info.bootstrapSymbols.has(BootstrapNames.memoryReserveLow);
  }

  /** Reserves memory that ends below 2 GiB, for code with absolute 32-bit addresses. */
  async reserveLow(size: number): Promise<TargetAddress> {
    const instance = this.bootstrapSymbol(BootstrapNames.memoryManagerInstance);
    const what = `reserve of 0x${size.toString(16)} bytes below 2 GiB`;
    return this.call(BootstrapNames.memoryReserveLow, new SPSWriter().addr(instance).u64(size).finish(), what, (r) => {
      const at = r.offset;
      const base = readSPSExpected(r, (rr) => rr.addr('reserved address'));
      if (base === 0 || base % this.pageSize !== 0 || base + size > 0x8000_0000) {
        r.fail(`reserved address ${formatAddress(base)} is not page aligned or does not end below 2 GiB`, at);
      }
      return base;
    });
  }

  /** Sends a finalize request (segments and actions already serialized after the instance). */
  async finalizeMemory(request: Uint8Array, graphName: string, _size: number): Promise<void> {
    const instance = this.bootstrapSymbol(BootstrapNames.memoryManagerInstance);
    const args = new SPSWriter().addr(instance).raw(request).finish();
    await this.callError(BootstrapNames.memoryFinalize, args, `finalize of ${graphName}`);
  }

  async deallocate(bases: readonly TargetAddress[]): Promise<void> {
    const instance = this.bootstrapSymbol(BootstrapNames.memoryManagerInstance);
    const w = new SPSWriter().addr(instance).u64(bases.length);
    for (const b of bases) w.addr(b);
    await this.callError(BootstrapNames.memoryDeallocate, w.finish(), `deallocate of ${bases.map(formatAddress).join(', ')}`);
  }

  /**
   * Serializes allocation actions as pairs of wrapper-function calls
   * (function address, SPS argument bytes). Named services map to the
   * executor's wrappers; raw C functions cannot be called this way.
   */
  writeAllocActions(w: SPSWriter, actions: readonly AllocAction[], graphName: string): void {
    w.u64(actions.length);
    for (const action of actions) {
      this.writeActionCall(w, action.finalize, graphName);
      if (action.dealloc) this.writeActionCall(w, action.dealloc, graphName);
      else w.addr(0).u64(0);
    }
  }

  private writeActionCall(w: SPSWriter, call: AllocAction['finalize'], graphName: string): void {
    if (typeof call.fn !== 'string') {
      throw new JITLinkError(
        'UnsupportedFeature',
        `${graphName}: allocation action calls ${formatAddress(call.fn)} directly; ${this.peer} runs only wrapper functions`,
      );
    }
    const wrapper = SERVICE_WRAPPERS[call.fn];
    if (!wrapper) throw new JITLinkError('UnsupportedFeature', `${graphName}: allocation action names an unknown executor service "${call.fn}"`);
    const [start, size] = call.args;
    if (call.args.length !== 2 || start === undefined || size === undefined) {
      throw new JITLinkError('InvalidArgument', `${call.fn} takes [start, size], got ${call.args.length} arguments`);
    }
    // Argument: an ExecutorAddrRange (start, end).
    const arg = new SPSWriter().addr(start).addr(start + size).finish();
    w.addr(this.bootstrapSymbol(wrapper)).bytes(arg);
  }

  /** Writes bytes into executor memory (which must be writable there). */
  async writeMemory(address: TargetAddress, bytes: Uint8Array): Promise<void> {
    const w = new SPSWriter().u64(1).addr(address).bytes(bytes);
    await this.call(BootstrapNames.writeBuffers, w.finish(), `write of ${bytes.length} bytes at ${formatAddress(address)}`, () => undefined);
  }

  /** Stores pointers, each with one aligned 8-byte store (the executor's uint64 writes are atomic when aligned). */
  async writePointers(writes: readonly PointerWrite[]): Promise<void> {
    const w = new SPSWriter().u64(writes.length);
    for (const { address, value } of writes) {
      if (address % 8 !== 0) throw new JITLinkError('InvalidArgument', `pointer store at ${formatAddress(address)} is not 8-byte aligned`);
      w.addr(address).addr(value);
    }
    await this.call(BootstrapNames.writeUInt64s, w.finish(), `store of ${writes.length} pointers`, () => undefined);
  }

  // --- symbols ----------------------------------------------------------

  /** dlopen in the executor; "" opens the executor's own global symbol table. Returns the handle. */
  async openDylib(path: string): Promise<TargetAddress> {
    const existing = this.dylibHandles.get(path);
    if (existing !== undefined) return existing;
    const instance = this.bootstrapSymbol(BootstrapNames.dylibManagerInstance);
    const args = new SPSWriter().addr(instance).string(path).u64(0).finish();
    const handle = await this.call(BootstrapNames.dylibOpen, args, `open of "${path}"`, (r) =>
      readSPSExpected(r, (rr) => rr.addr('dylib handle')),
    );
    this.dylibHandles.set(path, handle);
    return handle;
  }

  async loadLibrary(name: string): Promise<void> {
    await this.openDylib(name);
  }

  /** Looks names up in one dylib handle; missing names are absent from the result. */
  private async lookupIn(handle: TargetAddress, names: readonly string[]): Promise<Map<string, TargetAddress>> {
    const instance = this.bootstrapSymbol(BootstrapNames.dylibManagerInstance);
    const w = new SPSWriter().addr(instance).addr(handle).u64(names.length);
    for (const name of names) w.string(name).bool(false);
    const result = new Map<string, TargetAddress>();
    await this.call(BootstrapNames.dylibLookup, w.finish(), `lookup of ${names.length} symbols`, (r) => readSPSExpected(r, (rr) => {
      const n = rr.count('lookup results', 10);
      if (n !== names.length) rr.fail(`${n} lookup results for ${names.length} names`);
      for (const name of names) {
        const address = rr.addr(`address of ${name}`);
        rr.u8('symbol flags');
        rr.u8('target flags');
        if (address !== 0) result.set(name, address);
      }
    }));
    return result;
  }

  async lookupSymbols(names: readonly string[]): Promise<Map<string, TargetAddress>> {
    if (names.length === 0) return new Map();
    const result = await this.lookupIn(this.processHandle, names);
    let missing = names.filter((n) => !result.has(n));
    // As in process: the C++ runtime and libm are loaded when JIT'd code needs them.
    // Concurrent lookups share one load.
    if (missing.length > 0) {
      this.runtimeLibraries ??= (async () => {
        for (const lib of [...CXX_LIBRARIES, ...MATH_LIBRARIES]) await this.openDylib(lib).catch(() => undefined);
      })();
      await this.runtimeLibraries;
    }
    for (const [path, handle] of this.dylibHandles) {
      if (missing.length === 0) break;
      if (path === '') continue;
      const found = await this.lookupIn(handle, missing);
      for (const [name, address] of found) result.set(name, address);
      missing = missing.filter((n) => !result.has(n));
    }
    return result;
  }

  // --- debuggers ----------------------------------------------------------

  /**
   * Puts a debug object into executor memory (a read-only reservation of its
   * own) and registers it with the executor's GDB JIT interface from the
   * allocation's finalize action, LLVM's llvm_orc_registerJITLoaderGDBAllocAction
   * (an ExecutorAddrRange and auto-register = true). Where the executor also
   * exports jitlink_deregisterJITLoaderGDBAllocAction (jitlink-executor), it is
   * the dealloc action, so releasing the reservation takes the object out of
   * the debugger's list; LLVM's executor keeps it listed.
   */
  async registerDebugObject(object: Uint8Array, name: string): Promise<RegisteredDebugObject> {
    this.gdbFunctions ??= this.lookupIn(this.processHandle, [GDB_REGISTER_ACTION, GDB_DEREGISTER_ACTION]).then((found) => {
      const register = found.get(GDB_REGISTER_ACTION);
      if (register === undefined) throw new JITLinkError('UnsupportedFeature', `${this.peer} has no GDB JIT interface (${GDB_REGISTER_ACTION})`);
      return { register, deregister: found.get(GDB_DEREGISTER_ACTION) };
    });
    const { register, deregister } = await this.gdbFunctions;
    const size = alignUp(Math.max(object.length, 1), this.pageSize);
    const base = await this.reserve(size);
    const range = new SPSWriter().addr(base).addr(base + object.length);
    const w = new SPSWriter().u64(1).u8(1 /* read-only */).addr(base).u64(object.length).bytes(object);
    w.u64(1).addr(register).bytes(new SPSWriter().addr(base).addr(base + object.length).bool(true).finish());
    if (deregister !== undefined) w.addr(deregister).bytes(range.finish());
    else w.addr(0).u64(0);
    try {
      await this.finalizeMemory(w.finish(), `debug object of ${name}`, size);
    } catch (e) {
      await this.deallocate([base]).catch(() => undefined);
      throw e;
    }
    this.debugObjects.add(base);
    return {
      deregister: async () => {
        if (this.debugObjects.delete(base) && !this.disposed) await this.deallocate([base]);
      },
    };
  }

  // --- running code -----------------------------------------------------

  async runAsMain(address: TargetAddress, args: readonly string[]): Promise<number> {
    const w = new SPSWriter().addr(address).u64(args.length);
    for (const a of args) w.string(a);
    const result = await this.call(BootstrapNames.runAsMain, w.finish(), `main at ${formatAddress(address)}`, (r) => r.i64('main result'));
    // main's int, as the executor widened it.
    return Number(BigInt.asIntN(32, result));
  }

  /** Calls `int fn(int)`. */
  async runAsIntFunction(address: TargetAddress, arg: number): Promise<number> {
    const w = new SPSWriter().addr(address).i32(arg);
    return this.call(BootstrapNames.runAsIntFunction, w.finish(), `call of ${formatAddress(address)}`, (r) => r.i32('result'));
  }

  async callVoid(address: TargetAddress, args: readonly TargetAddress[] = []): Promise<void> {
    if (args.length > 0) {
      throw new JITLinkError('UnsupportedFeature', `${this.peer} calls functions with no arguments only (got ${args.length})`);
    }
    await this.call(BootstrapNames.runAsVoidFunction, new SPSWriter().addr(address).finish(), `call of ${formatAddress(address)}`, (r) => r.i32('result'));
  }

  // --- thread-local storage ---------------------------------------------

  /**
   * Loads a graph's TLS block in the executor: the shared object holding its
   * PT_TLS segment is sent to the executor's TLS service, which writes it to a
   * temporary file and dlopens it there, so the executor's loader owns every
   * thread's copy. Executors without the service (LLVM's) get a clear error.
   */
  async loadThreadLocalModule(image: ThreadLocalImage, name: string): Promise<LoadedThreadLocalModule> {
    if (!this.info.bootstrapSymbols.has(BootstrapNames.tlsLoad)) {
      throw new JITLinkError(
        'UnsupportedFeature',
        `${name}: thread-local storage needs an executor with a TLS service (${BootstrapNames.tlsLoad}, as jitlink-executor has); ${this.peer} has none`,
        { file: name },
      );
    }
    const args = new SPSWriter().bytes(writeTLSModule(image)).finish();
    const loaded = await this.call(BootstrapNames.tlsLoad, args, `load of the thread-local storage of ${name}`, (r) =>
      readSPSExpected(r, (rr) => ({
        handle: rr.addr('TLS module handle'),
        moduleId: rr.u64('TLS module id'),
        threadPointerOffset: Number(rr.i64('TLS offset from the thread pointer')),
      })),
    );
    return {
      moduleId: loaded.moduleId,
      threadPointerOffset: loaded.threadPointerOffset,
      unload: async () => {
        if (this.disposed || this.connection.error) return;
        const w = new SPSWriter().addr(loaded.handle);
        await this.callError(BootstrapNames.tlsUnload, w.finish(), `unload of the thread-local storage of ${name}`);
      },
    };
  }

  /** Where thread-local variables of the executor's libraries live (jitlink-executor's TLS service). */
  async locateThreadLocals(addresses: readonly TargetAddress[]): Promise<(ThreadLocalPlace | undefined)[]> {
    if (!this.info.bootstrapSymbols.has(BootstrapNames.tlsLocate)) {
      throw new JITLinkError(
        'UnsupportedFeature',
        `thread-locals of the executor's libraries need an executor with a TLS service (${BootstrapNames.tlsLocate}); ${this.peer} has none`,
      );
    }
    const w = new SPSWriter().u64(addresses.length);
    for (const a of addresses) w.addr(a);
    return this.call(BootstrapNames.tlsLocate, w.finish(), `location of ${addresses.length} thread-local variables`, (r) => {
      const n = r.count('thread-local locations', 25);
      if (n !== addresses.length) r.fail(`${n} thread-local locations for ${addresses.length} addresses`);
      return addresses.map(() => {
        const moduleId = r.u64('TLS module id');
        const blockOffset = r.u64('offset in the TLS block');
        const offset = Number(r.i64('TLS offset from the thread pointer'));
        const inStatic = r.bool('static TLS');
        return moduleId === 0 ? undefined : { moduleId, blockOffset, threadPointerOffset: inStatic ? offset : undefined };
      });
    });
  }

  /** fflush(NULL) in the executor (an int argument of 0 is a null pointer on the supported ABIs). */
  async flushOutput(): Promise<void> {
    const fflush = (await this.lookupIn(this.processHandle, ['fflush'])).get('fflush');
    if (fflush !== undefined) await this.runAsIntFunction(fflush, 0);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    let error: unknown;
    if (!this.connection.error) {
      try {
        // Exit handlers registered by linked code run while its memory is still mapped.
        for (const services of this.runtimeServices.splice(0)) await services.runAtExitHandlers();
        await this.flushOutput();
        // Debuggers stop listing code that is about to be unmapped.
        const debugObjects = [...this.debugObjects];
        this.debugObjects.clear();
        if (debugObjects.length > 0) await this.deallocate(debugObjects);
        await this.memoryManager.releaseAll();
      } catch (e) {
        error = e;
      }
    }
    this.connection.hangup();
    await this.options.onDispose?.();
    if (error) throw error;
  }
}
