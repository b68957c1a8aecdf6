/**
 * The MachO platform pieces on a real clang-19 x86_64-apple-macos11 object:
 * Darwin names resolve to host names (process symbols, or absolute
 * definitions the dylib has), and __mod_init_func initializers run in table
 * order, through an executor that records its calls.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BackendRegistry, InMemoryMemoryManager, type ExecutorProcessControl, type TargetAddress } from '@jitlink/core';
import { createMachOBackend } from '@jitlink/macho';
import { x86_64MachO } from '@jitlink/arch-x86-64/macho';
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
