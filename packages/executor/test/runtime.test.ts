import koffi, { type IKoffiRegisteredCallback } from 'koffi';
import { JITLinkError, type TargetAddress } from '@jitlink/core';
import {
  ExecutorServices,
  InProcessMemoryManager,
  ProcessSymbols,
  SelfExecutorProcessControl,
  callInt,
  callIntPtr,
  readMemory,
  runAtExitHandlers,
  runFinalizers,
  runInitializers,
} from '../src/index.js';
import { RETURN_42, RO, RW, RX, describeX64 } from './helpers.js';


/** x86-64: `void f(long *p) { *p = 7; }`. */
const STORE_7_AT_ARG0 = Uint8Array.of(0x48, 0xc7, 0x07, 0x07, 0x00, 0x00, 0x00, 0xc3);

/** Native function pointers that call back into JS, released after each test. */
const callbacks: IKoffiRegisteredCallback[] = [];
const callbackType = koffi.pointer(koffi.proto('void (intptr_t)'));
function nativeCallback(fn: (arg: number) => void): TargetAddress {
  const registered = koffi.register(fn, callbackType);
  callbacks.push(registered);
  return Number(koffi.address(registered));
}
afterEach(() => {
  for (const cb of callbacks.splice(0)) koffi.unregister(cb);
});

function writeTable(target: Uint8Array, entries: readonly (number | bigint)[]): void {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  entries.forEach((e, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(e)), true));
}

/**
 * A one-CIE, one-FDE .eh_frame (with its zero terminator) describing the
 * `size` bytes of code at `code`, for an .eh_frame placed at `at`.
 */
function minimalEHFrame(at: TargetAddress, code: TargetAddress, size: number): Uint8Array {
  const bytes = new Uint8Array(48);
  const view = new DataView(bytes.buffer);
  // CIE: length, id 0, version 1, "zR", code align 1, data align -8, RA = r16,
  // augmentation data: FDE pointers are pcrel|sdata4; def_cfa rsp+8; r16 at cfa-8.
  view.setUint32(0, 20, true);
  bytes.set([1, 0x7a, 0x52, 0, 1, 0x78, 16, 1, 0x1b, 0x0c, 0x07, 0x08, 0x90, 0x01], 8);
  // FDE: length, CIE pointer (back to offset 0), pc begin (pcrel), pc range, no augmentation data.
  view.setUint32(24, 16, true);
  view.setUint32(28, 28, true);
  view.setInt32(32, code - (at + 32), true);
  view.setUint32(36, size, true);
  // Bytes 40..43: augmentation length 0 and padding; 44..47: the terminator.
  return bytes;
}

describeX64('executor services', () => {
  let manager: InProcessMemoryManager;
  afterEach(async () => {
    await manager.dispose();
  });

  it('registers and deregisters an .eh_frame with the unwinder', async () => {
    manager = new InProcessMemoryManager();
    const symbols = new ProcessSymbols();
    symbols.load('libgcc_s.so.1');
    const findFDE = symbols.lookup('_Unwind_Find_FDE')!;
    const scratch = await manager.allocate(undefined, {
      graphName: 'bases',
      segments: [{ group: RW, alignment: 8, contentSize: 24, zeroFillSize: 0 }],
    });
    await scratch.finalize([]);
    const bases = scratch.getTargetMemory(RW);

    const allocation = await manager.allocate(undefined, {
      graphName: 'unwind.o',
      segments: [
        { group: RX, alignment: 16, contentSize: RETURN_42.length, zeroFillSize: 0 },
        { group: RO, alignment: 8, contentSize: 48, zeroFillSize: 0 },
      ],
    });
    const code = allocation.getTargetMemory(RX);
    const ehFrame = allocation.getTargetMemory(RO);
    allocation.getWorkingMemory(RX).set(RETURN_42);
    allocation.getWorkingMemory(RO).set(minimalEHFrame(ehFrame, code, RETURN_42.length));
    expect(callIntPtr(findFDE, code + 1, bases)).toBe(0);
    await allocation.finalize([
      {
        finalize: { fn: 'registerEHFrame', args: [ehFrame, 48] },
        dealloc: { fn: 'deregisterEHFrame', args: [ehFrame, 48] },
      },
    ]);
    expect(manager.services.registeredEHFrames).toEqual([ehFrame]);
    // The unwinder now finds the FDE (at offset 24) for a pc inside the code...
    expect(callIntPtr(findFDE, code + 1, bases)).toBe(ehFrame + 24);
    // ...and reports the function start through `bases->func`.
    expect(new DataView(readMemory(bases + 16, 8).buffer).getBigUint64(0, true)).toBe(BigInt(code));
    await allocation.deallocate();
    expect(manager.services.registeredEHFrames).toEqual([]);
    expect(callIntPtr(findFDE, code + 1, bases)).toBe(0);
  });

  it('accepts an empty frame list and rejects malformed frame arguments', async () => {
    manager = new InProcessMemoryManager();
    const allocation = await manager.allocate(undefined, {
      graphName: 'empty',
      segments: [{ group: RO, alignment: 8, contentSize: 8, zeroFillSize: 0 }],
    });
    const frames = allocation.getTargetMemory(RO);
    allocation.getWorkingMemory(RO).set([1, 2, 3, 4, 0, 0, 0, 0]);
    await allocation.finalize([
      {
        finalize: { fn: 'registerEHFrame', args: [frames + 4, 4] },
        dealloc: { fn: 'deregisterEHFrame', args: [frames + 4, 4] },
      },
    ]);
    const services = manager.services;
    const memory = { isReadable: (a: number, s: number) => manager.isReadable(a, s) };
    // No terminator.
    expect(() => services.run({ fn: 'registerEHFrame', args: [frames, 4] }, memory)).toThrow(
      /zero terminator/,
    );
    // Outside executor memory.
    expect(() => services.run({ fn: 'registerEHFrame', args: [0x1000, 64] }, memory)).toThrow(
      /not in executor memory/,
    );
    expect(() => services.run({ fn: 'registerEHFrame', args: [frames] }, memory)).toThrow(
      /takes \[start, size\]/,
    );
    // Deregistering what was never registered would abort the process in libgcc.
    expect(() => services.run({ fn: 'deregisterEHFrame', args: [frames, 8] }, memory)).toThrow(
      /was not registered/,
    );
    expect(() => services.run({ fn: 'unknownService', args: [] })).toThrow(JITLinkError);
    expect(() => services.run({ fn: 0, args: [] })).toThrow(JITLinkError);
    expect(() => services.run({ fn: 0x1000, args: [1.5] })).toThrow(/not an exact integer/);
    expect(() => services.run({ fn: 0x1000, args: [1, 2, 3, 4, 5, 6, 7] })).toThrow(/at most 6/);
    await allocation.deallocate();
  });

  it('lets a program register its own services', () => {
    manager = new InProcessMemoryManager({ services: new ExecutorServices() });
    const seen: number[][] = [];
    manager.services.register('note', (args) => seen.push([...args]));
    expect(manager.services.has('note')).toBe(true);
    manager.services.run({ fn: 'note', args: [1, 2] });
    expect(seen).toEqual([[1, 2]]);
  });
});

describeX64('initializers, finalizers and at-exit handlers', () => {
  it('runs pointer tables in order, skipping 0 and -1 entries, and finalizer tables backwards', async () => {
    const executor = new SelfExecutorProcessControl();
    try {
      const order: string[] = [];
      const a = nativeCallback(() => order.push('a'));
      const b = nativeCallback(() => order.push('b'));
      const c = nativeCallback(() => order.push('c'));
      const allocation = await executor.memoryManager.allocate(undefined, {
        graphName: 'tables',
        segments: [{ group: RO, alignment: 8, contentSize: 64, zeroFillSize: 0 }],
      });
      const base = allocation.getTargetMemory(RO);
      writeTable(allocation.getWorkingMemory(RO), [a, 0, b, -1, c, c, b, a]);
      await allocation.finalize([]);
      expect(
        executor.runInitializers([
          { address: base + 32, size: 8 },
          { address: base, size: 40 },
        ]),
      ).toBe(4);
      expect(order.splice(0)).toEqual(['c', 'a', 'b', 'c']);
      expect(
        executor.runFinalizers([
          { address: base + 32, size: 32 },
          { address: base, size: 24 },
        ]),
      ).toBe(6);
      expect(order.splice(0)).toEqual(['a', 'b', 'c', 'c', 'b', 'a']);
      // Tables outside JIT memory, or of a bad size, are refused before anything runs.
      expect(() => executor.runInitializers([{ address: base, size: 12 }])).toThrow(/multiple of 8/);
      expect(() => executor.runInitializers([{ address: base + 4096, size: 8 }])).toThrow(
        /not in readable executor memory/,
      );
      expect(runInitializers([{ address: base + 8, size: 0 }])).toBe(0);
      expect(runFinalizers([{ address: base + 8, size: 8 }])).toBe(0);
      expect(order).toEqual([]);
    } finally {
      await executor.dispose();
    }
  });

  it('runs __cxa_atexit handlers registered against a dso handle', async () => {
    const executor = new SelfExecutorProcessControl();
    try {
      const cxaAtExit = (await executor.lookupSymbols(['__cxa_atexit'])).get('__cxa_atexit')!;
      const allocation = await executor.memoryManager.allocate(undefined, {
        graphName: 'dtors',
        segments: [
          { group: RX, alignment: 16, contentSize: STORE_7_AT_ARG0.length, zeroFillSize: 0 },
          { group: RW, alignment: 8, contentSize: 8, zeroFillSize: 0 },
        ],
      });
      allocation.getWorkingMemory(RX).set(STORE_7_AT_ARG0);
      await allocation.finalize([]);
      const cell = allocation.getTargetMemory(RW);
      const dso = executor.createDsoHandle();
      const order: number[] = [];
      const first = nativeCallback((arg) => order.push(arg));
      expect(callInt(cxaAtExit, first, 1, dso)).toBe(0);
      expect(callInt(cxaAtExit, allocation.getTargetMemory(RX), cell, dso)).toBe(0);
      expect(callInt(cxaAtExit, first, 2, dso)).toBe(0);
      expect(allocation.getWorkingMemory(RW)[0]).toBe(0);
      executor.runAtExitHandlers(dso);
      expect(order).toEqual([2, 1]); // most recent first
      expect(allocation.getWorkingMemory(RW)[0]).toBe(7);
      runAtExitHandlers(dso); // each handler runs once
      expect(order).toEqual([2, 1]);
      expect(() => runAtExitHandlers(0)).toThrow(JITLinkError);
    } finally {
      await executor.dispose();
    }
  });

  it('runs pending at-exit handlers when the memory manager is disposed', async () => {
    const manager = new InProcessMemoryManager();
    const calls: number[] = [];
    try {
      const dso = manager.createDsoHandle();
      const cxaAtExit = new ProcessSymbols().lookup('__cxa_atexit')!;
      expect(
        callInt(
          cxaAtExit,
          nativeCallback((arg) => calls.push(arg)),
          5,
          dso,
        ),
      ).toBe(0);
    } finally {
      await manager.dispose();
    }
    expect(calls).toEqual([5]);
  });
});
