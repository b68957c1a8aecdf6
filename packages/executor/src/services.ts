/**
 * Running allocation actions: a numeric `fn` is a C function in the process,
 * a string `fn` names a service the executor provides.
 */
import {
  JITLinkError,
  formatAddress,
  toError,
  type AllocAction,
  type AllocActionCall,
  type TargetAddress,
} from '@jitlink/core';
import { joinErrors } from '@jitlink/core/internal';
import { callNative, getLibC, integerArgsSignature, nativeFunction, nativeView } from './native.js';

/** What a service may ask of the memory that holds its arguments. */
export interface ServiceMemory {
  /** True when [address, address + size) lies in live, readable executor memory. */
  isReadable(address: TargetAddress, size: number): boolean;
  /**
   * The bytes at [address, address + size) through a view the manager
   * already holds, or undefined when it has none: reading them then needs
   * a native view of their own (a koffi call and an external buffer).
   */
  viewOf?(address: TargetAddress, size: number): Uint8Array | undefined;
}

export type ExecutorService = (args: readonly TargetAddress[], memory: ServiceMemory | undefined) => void;

/** The most integer arguments a numeric action may pass (all in registers on x86-64 and AArch64). */
export const MAX_ACTION_ARGUMENTS = 6;

/**
 * Named executor services. Built in: "registerEHFrame" and "deregisterEHFrame"
 * (args: [start of an .eh_frame section ending in a 4-byte zero terminator, size]),
 * backed by libgcc's __register_frame / __deregister_frame.
 */
export class ExecutorServices {
  private readonly services = new Map<string, ExecutorService>();
  /** Start addresses handed to __register_frame and not yet deregistered. */
  private readonly registeredFrames = new Set<TargetAddress>();

  constructor() {
    this.services.set('registerEHFrame', (args, memory) => this.registerEHFrame(args, memory));
    this.services.set('deregisterEHFrame', (args) => this.deregisterEHFrame(args));
  }

  /** Adds or replaces a service. */
  register(name: string, service: ExecutorService): void {
    this.services.set(name, service);
  }

  has(name: string): boolean {
    return this.services.has(name);
  }

  /** Frames currently registered with the unwinder, by start address. */
  get registeredEHFrames(): readonly TargetAddress[] {
    return [...this.registeredFrames];
  }

  /**
   * Runs the finalize half of each action in order. If one fails, runs the
   * dealloc halves of those already run, in reverse, then throws.
   */
  runFinalizeHalves(actions: readonly AllocAction[], memory: ServiceMemory): void {
    for (let i = 0; i < actions.length; i++) {
      try {
        this.run(actions[i]!.finalize, memory);
      } catch (error) {
        const undoErrors = this.runDeallocHalves(actions.slice(0, i), memory);
        throw undoErrors.length > 0 ? joinErrors([toError(error), ...undoErrors]) : error;
      }
    }
  }

  /** Runs the dealloc halves of the actions in reverse order; returns what failed. */
  runDeallocHalves(actions: readonly AllocAction[], memory: ServiceMemory): Error[] {
    const errors: Error[] = [];
    for (let i = actions.length - 1; i >= 0; i--) {
      const call = actions[i]!.dealloc;
      if (!call) continue;
      try {
        this.run(call, memory);
      } catch (e) {
        errors.push(toError(e));
      }
    }
    return errors;
  }

  /** Runs one half of an allocation action. */
  run(call: AllocActionCall, memory?: ServiceMemory): void {
    if (typeof call.fn === 'string') {
      const service = this.services.get(call.fn);
      if (!service) {
        throw new JITLinkError(
          'UnsupportedFeature',
          `allocation action names an unknown executor service "${call.fn}"`,
        );
      }
      service(call.args, memory);
      return;
    }
    if (call.args.length > MAX_ACTION_ARGUMENTS) {
      throw new JITLinkError(
        'UnsupportedFeature',
        `allocation action at ${formatAddress(call.fn)} passes ${call.args.length} arguments; at most ${MAX_ACTION_ARGUMENTS} are supported`,
      );
    }
    for (const arg of call.args) {
      if (!Number.isSafeInteger(arg)) {
        throw new JITLinkError(
          'InvalidArgument',
          `allocation action at ${formatAddress(call.fn)}: argument ${String(arg)} is not an exact integer`,
        );
      }
    }
    callNative(call.fn, integerArgsSignature('void', call.args.length), call.args);
  }

  private frameArgs(
    name: string,
    args: readonly TargetAddress[],
    memory: ServiceMemory | undefined,
  ): TargetAddress {
    if (args.length !== 2)
      throw new JITLinkError('InvalidArgument', `${name} takes [start, size], got ${args.length} arguments`);
    const [start, size] = args as [TargetAddress, number];
    if (!Number.isSafeInteger(size) || size < 4 || !Number.isSafeInteger(start) || start <= 0) {
      throw new JITLinkError(
        'InvalidArgument',
        `${name}: invalid frame range ${formatAddress(start)} size ${size}`,
      );
    }
    if (memory && !memory.isReadable(start, size)) {
      throw new JITLinkError(
        'InvalidArgument',
        `${name}: ${formatAddress(start)}..+${size} is not in executor memory`,
      );
    }
    // A view of the terminator alone: V8 counts a view of native memory as
    // external memory of its size, and views of whole sections (megabytes on
    // large links, one per graph) brought on garbage collections.
    const terminator = memory?.viewOf?.(start + size - 4, 4) ?? nativeView(start + size - 4, 4);
    if ((terminator[0]! | terminator[1]! | terminator[2]! | terminator[3]!) !== 0) {
      throw new JITLinkError(
        'InvalidArgument',
        `${name}: the .eh_frame at ${formatAddress(start)} does not end with a zero terminator`,
      );
    }
    return start;
  }

  private registerEHFrame(args: readonly TargetAddress[], memory: ServiceMemory | undefined): void {
    const start = this.frameArgs('registerEHFrame', args, memory);
    if (this.registeredFrames.has(start)) {
      throw new JITLinkError(
        'InvalidArgument',
        `registerEHFrame: ${formatAddress(start)} is already registered`,
      );
    }
    unwinderFunction('__register_frame')(start);
    this.registeredFrames.add(start);
  }

  private deregisterEHFrame(args: readonly TargetAddress[]): void {
    const start = args[0];
    // libgcc aborts the process when asked to deregister an unknown frame.
    if (start === undefined || !this.registeredFrames.has(start)) {
      throw new JITLinkError(
        'InvalidArgument',
        `deregisterEHFrame: ${formatAddress(start ?? 0)} was not registered`,
      );
    }
    unwinderFunction('__deregister_frame')(start);
    this.registeredFrames.delete(start);
  }
}

/**
 * The unwinder's functions by name, found and bound once per process: a
 * dlsym, a pointer conversion and a generic koffi.call per registration
 * otherwise (~10 µs each, twice per graph).
 */
const unwinderFunctions = new Map<string, (frame: TargetAddress) => void>();

function unwinderFunction(name: string): (frame: TargetAddress) => void {
  let fn = unwinderFunctions.get(name);
  if (fn === undefined) {
    fn = nativeFunction(findUnwinderFunction(name), 'void (intptr_t)') as (frame: TargetAddress) => void;
    unwinderFunctions.set(name, fn);
  }
  return fn;
}

function findUnwinderFunction(name: string): TargetAddress {
  const libc = getLibC();
  let address = libc.dlsym(0, name);
  if (address === 0) {
    libc.dlopen('libgcc_s.so.1', 0x2 | 0x100);
    address = libc.dlsym(0, name);
  }
  if (address === 0)
    throw new JITLinkError('SymbolsNotFound', `${name} is not available in this process (libgcc_s.so.1)`);
  return address;
}
