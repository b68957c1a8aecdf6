/**
 * Exit-handler services for linked code in this process. `atexit` is not a
 * dynamic symbol of glibc (it lives in libc_nonshared.a), and handlers
 * registered with the process's own exit list would run after JIT memory is
 * gone; so both `atexit` and `__cxa_atexit` are defined as native callbacks
 * that record the handlers, and runAtExitHandlers calls them in reverse
 * order of registration, as exit() does.
 */
import koffi from 'koffi';
import type { JITRuntimeServices, TargetAddress } from '@jitlink/core';
import { cProto } from './native.js';
import { callVoid } from './run.js';

interface Handler {
  fn: TargetAddress;
  arg: TargetAddress | undefined;
}

function addressOf(pointer: unknown): TargetAddress {
  return pointer === null ? 0 : Number(koffi.address(pointer));
}

// Anonymous prototypes (koffi's type names are process-wide), made when first used: importing the
// package loads no native code.
const atexitProto = () => cProto('int (void *fn)');
const cxaAtexitProto = () => cProto('int (void *fn, void *arg, void *dso)');

export class InProcessRuntimeServices implements JITRuntimeServices {
  readonly symbols: ReadonlyMap<string, TargetAddress>;
  private readonly handlers: Handler[] = [];
  private readonly callbacks: unknown[] = [];

  constructor(dsoHandle: TargetAddress) {
    const atexit = koffi.register((fn: unknown) => {
      this.handlers.push({ fn: addressOf(fn), arg: undefined });
      return 0;
    }, koffi.pointer(atexitProto()));
    const cxaAtexit = koffi.register((fn: unknown, arg: unknown) => {
      this.handlers.push({ fn: addressOf(fn), arg: addressOf(arg) });
      return 0;
    }, koffi.pointer(cxaAtexitProto()));
    this.callbacks.push(atexit, cxaAtexit);
    this.symbols = new Map([
      ['atexit', addressOf(atexit)],
      ['__cxa_atexit', addressOf(cxaAtexit)],
      ['__dso_handle', dsoHandle],
    ]);
  }

  /** Handlers registered so far and not yet run. */
  get pendingHandlers(): number {
    return this.handlers.length;
  }

  async runAtExitHandlers(): Promise<void> {
    // A handler may register more handlers; keep going until the list is empty.
    while (this.handlers.length > 0) {
      const h = this.handlers.pop()!;
      if (h.arg === undefined) callVoid(h.fn);
      else callVoid(h.fn, h.arg);
    }
  }

  /** Releases the native callbacks. Handlers not yet run are dropped. */
  dispose(): void {
    this.handlers.length = 0;
    for (const cb of this.callbacks.splice(0)) koffi.unregister(cb as never);
  }
}
