/**
 * The MachO platform pieces on a real clang-19 x86_64-apple-macos11 object:
 * Darwin names resolve to host names (process symbols, or absolute
 * definitions the dylib has), __mod_init_func initializers run in table
 * order, and thread-local templates are loaded as TLS blocks, through an
 * executor that records its calls.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BackendRegistry,
  InMemoryMemoryManager,
  type ExecutorProcessControl,
  type LoadedThreadLocalModule,
  type TargetAddress,
  type ThreadLocalImage,
} from '@jitlink/core';
import { createMachOBackend } from '@jitlink/macho';
import { TLV_GET_ADDR, x86_64MachO } from '@jitlink/arch-x86-64/macho';
import { absoluteSymbols, ExecutionSession, ObjectLinkingLayer } from '../src/index.js';
import { DarwinNameGenerator, MachOPlatform } from '../src/macho/index.js';

const object = readFileSync(path.resolve(__dirname, '../../../test-corpus/obj-macho/x86_64/O2/ctors/ctors.o'));

/** Just what the platform and the generator use: symbol lookup and calls, recorded. */
function fakeExecutor(processSymbols: Record<string, TargetAddress>) {
  const calls: TargetAddress[] = [];
  const lookups: string[] = [];
  const executor = {
    async lookupSymbols(names: readonly string[]) {
      lookups.push(...names);
      return new Map(names.map((n) => [n, processSymbols[n] ?? 0] as [string, number]));
    },
    async callVoid(address: TargetAddress) {
      calls.push(address);
    },
  } as unknown as ExecutorProcessControl;
  return { executor, calls, lookups };
}

test('Darwin names: _printf is the process printf, _atexit the dylib\'s own atexit, _main never the host\'s', async () => {
  const { executor, lookups } = fakeExecutor({ printf: 0x5000, main: 0x6000 });
  const session = new ExecutionSession();
  const dylib = session.createJITDylib('main');
  dylib.defineAbsolute(absoluteSymbols([['atexit', 0x7000]], { callable: true }));
  dylib.addGenerator(new DarwinNameGenerator(executor, (n) => n !== '_main'));
  expect(await session.lookupOne([dylib], '_printf')).toBe(0x5000);
  expect(await session.lookupOne([dylib], '_atexit')).toBe(0x7000);
  await expect(session.lookupOne([dylib], '_main')).rejects.toThrow(/_main/);
  await expect(session.lookupOne([dylib], 'printf')).rejects.toThrow(/printf/);
  expect(lookups).toEqual(['printf']);
});

test('__mod_init_func initializers run, in table order, before the entry point is called', async () => {
  const { executor, calls } = fakeExecutor({ printf: 0x5000, puts: 0x5100 });
  const registry = new BackendRegistry();
  registry.register(createMachOBackend(x86_64MachO));
  const session = new ExecutionSession();
  session.errorReporter = (e) => {
    throw e;
  };
  const layer = new ObjectLinkingLayer(session, { memoryManager: new InMemoryMemoryManager(), registry });
  const platform = MachOPlatform.create(layer, executor);
  const initializers: TargetAddress[] = [];
  layer.addPlugin({
    modifyPassConfig(_mr, _graph, config) {
      config.postFixupPasses.push((g) => {
        for (const name of ['_init_first', '_init_second']) initializers.push([...g.definedSymbols()].find((s) => s.name === name)!.address);
      });
    },
    notifyFailed: () => undefined,
    notifyRemovingResources: () => undefined,
    notifyTransferringResources: () => undefined,
  });
  const dylib = session.createJITDylib('main');
  dylib.addGenerator(new DarwinNameGenerator(executor));
  layer.add(dylib, registry.createLinkGraph(new Uint8Array(object), { name: 'ctors.o' }));
  expect(await session.lookupOne([dylib], '_main')).toBeGreaterThan(0);
  expect(calls).toEqual([]);
  await platform.runInitializers();
  expect(calls).toEqual(initializers);
  // Each table runs once.
  await platform.runInitializers();
  expect(calls).toEqual(initializers);
  await platform.runFinalizers();
  expect(calls).toEqual(initializers); // ctors.o has no __mod_term_func
  await session.endSession();
});

test("thread-local variables: the template is loaded as one TLS block, descriptors hold each variable's thread-pointer offset, and removal unloads it", async () => {
  const images: ThreadLocalImage[] = [];
  let unloaded = 0;
  const { executor } = fakeExecutor({});
  Object.assign(executor, {
    triple: 'x86_64-unknown-linux-gnu',
    async loadThreadLocalModule(image: ThreadLocalImage): Promise<LoadedThreadLocalModule> {
      images.push(image);
      return { moduleId: 5, threadPointerOffset: -1024, unload: async () => void unloaded++ };
    },
  });
  const registry = new BackendRegistry();
  registry.register(createMachOBackend(x86_64MachO));
  const session = new ExecutionSession();
  session.errorReporter = (e) => {
    throw e;
  };
  const layer = new ObjectLinkingLayer(session, { memoryManager: new InMemoryMemoryManager(), registry });
  MachOPlatform.create(layer, executor);
  const descriptors = new Map<string, { thunk: Uint8Array; offset: bigint }>();
  layer.addPlugin({
    modifyPassConfig(_mr, _graph, config) {
      config.postFixupPasses.push((g) => {
        const bytesAt = (address: number, size: number) => {
          const block = [...g.blocks()].find((b) => address >= b.address && address + size <= b.address + b.size)!;
          return block.getContent().subarray(address - block.address, address - block.address + size);
        };
        for (const sym of g.definedSymbols()) {
          if (sym.block.section.name !== '__DATA,__thread_vars' || sym.name === undefined) continue;
          const view = new DataView(sym.block.getContent().buffer, sym.block.getContent().byteOffset);
          const thunk = bytesAt(Number(view.getBigUint64(sym.offset, true)), TLV_GET_ADDR.length);
          descriptors.set(sym.name, { thunk: thunk.slice(), offset: view.getBigInt64(sym.offset + 16, true) });
        }
      });
    },
    notifyFailed: () => undefined,
    notifyRemovingResources: () => undefined,
    notifyTransferringResources: () => undefined,
  });
  const dylib = session.createJITDylib('main');
  const tracker = dylib.createResourceTracker();
  const vars = readFileSync(path.resolve(__dirname, '../../../test-corpus/obj-macho/x86_64/O2/tlv/tlv_vars.o'));
  layer.add(dylib, registry.createLinkGraph(new Uint8Array(vars), { name: 'tlv_vars.o' }), { tracker });
  await session.lookupOne([dylib], '_tlv_bump_local');
  // __thread_data (tlv_counter = 7, tlv_name = "init", tlv_local = 100), then __thread_bss (tlv_zero, 64 bytes).
  expect(images).toHaveLength(1);
  const image = images[0]!;
  const view = new DataView(image.initImage.buffer, image.initImage.byteOffset);
  expect(view.getInt32(0, true)).toBe(7);
  expect(new TextDecoder().decode(image.initImage.subarray(16, 20))).toBe('init');
  expect(view.getInt32(32, true)).toBe(100);
  expect(image.memorySize).toBe(48 + 64);
  expect([...descriptors.keys()].sort()).toEqual(['_tlv_counter', '_tlv_local', '_tlv_name', '_tlv_zero']);
  for (const d of descriptors.values()) expect([...d.thunk]).toEqual([...TLV_GET_ADDR]);
  expect(descriptors.get('_tlv_counter')!.offset).toBe(-1024n);
  expect(descriptors.get('_tlv_name')!.offset).toBe(-1024n + 16n);
  expect(descriptors.get('_tlv_local')!.offset).toBe(-1024n + 32n);
  expect(descriptors.get('_tlv_zero')!.offset).toBe(-1024n + 48n);
  expect(unloaded).toBe(0);
  await tracker.remove();
  expect(unloaded).toBe(1);
  await session.endSession();
});
