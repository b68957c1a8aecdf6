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
  type PointerWrite,
  type TargetAddress,
} from '@jitlink/core';
import { CXX_LIBRARIES, MATH_LIBRARIES } from '@jitlink/executor';
import type { EPCConnection } from './connection.js';
import { BootstrapNames, REQUIRED_BOOTSTRAP_SYMBOLS, type ExecutorInfo } from './protocol.js';
import { RemoteMemoryManager } from './remote-memory-manager.js';
import { RemoteRuntimeServices } from './runtime-services.js';
import { SharedMemoryManager } from './shared-memory-manager.js';
import { SPSReader, SPSWriter, readSPSError, readSPSExpected } from './sps.js';

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
