/**
 * DebuggerSupportPlugin and PerfSupportPlugin on real -g objects
 * (test-corpus/obj/debug), linked into a simulated slab, with an executor
 * that records what it is asked to register.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BackendRegistry,
  JITLinkError,
  MemProt,
  SlabMemoryManager,
  type ExecutorProcessControl,
  type LinkGraph,
  type PerfFunction,
} from '@jitlink/core';
import { createElfBackend, parseElf } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { ExecutionSession, ObjectLinkingLayer, PerfSupportPlugin, PhonyExternalsGenerator } from '../src/index.js';
import { createElfDebuggerSupport } from '../src/elf/index.js';

const DEBUG = resolve(__dirname, '../../../test-corpus/obj/debug');
const read = (name: string) => new Uint8Array(readFileSync(join(DEBUG, name)));

function setup() {
  const registered: { name: string; bytes: Uint8Array; removed: boolean }[] = [];
  const functions: PerfFunction[] = [];
  const executor = {
    triple: 'x86_64-unknown-linux-gnu',
    registerDebugObject: async (bytes: Uint8Array, name: string) => {
      const entry = { name, bytes, removed: false };
      registered.push(entry);
      return { deregister: async () => void (entry.removed = true) };
    },
    registerPerfFunctions: async (fs: readonly PerfFunction[]) => void functions.push(...fs),
  } as unknown as ExecutorProcessControl;
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const session = new ExecutionSession();
  session.errorReporter = () => undefined;
  const layer = new ObjectLinkingLayer(session, { memoryManager: new SlabMemoryManager({ size: 4 << 20, baseAddress: 0x7f00_0000_0000 }), registry });
  const graphs = new Map<string, LinkGraph>();
  layer.observer = { phase: (p, g) => void (p === 'done' && graphs.set(g.name, g)) };
  const main = session.createJITDylib('main');
  main.addGenerator(new PhonyExternalsGenerator());
  return { executor, registered, functions, session, layer, main, graphs };
}

describe('DebuggerSupportPlugin (ELF)', () => {
  test('registers each linked object with its sections at their addresses, before the lookup answers; removal deregisters', async () => {
    const { executor, registered, session, layer, main, graphs } = setup();
    layer.addPlugin(createElfDebuggerSupport(executor));
    const leafTracker = main.createResourceTracker();
    layer.add(main, read('debug_main.o'), { name: 'debug_main.o' });
    layer.add(main, read('debug_leaf.o'), { name: 'debug_leaf.o', tracker: leafTracker });
    const mainAddress = await session.lookupOne([main], 'main');
    expect(registered.map((r) => r.name).sort()).toEqual(['debug_leaf.o', 'debug_main.o']);
    for (const r of registered) {
      const elf = parseElf(r.bytes, r.name);
      const text = graphs.get(r.name)!.findSectionByName('.text')!;
      expect(elf.sections.find((s) => s.name === '.text')!.address).toBe(text.range().start);
    }
    const mainText = parseElf(registered.find((r) => r.name === 'debug_main.o')!.bytes, 'debug_main.o').sections.find((s) => s.name === '.text')!;
    expect(mainText.address).toBe(mainAddress); // main is first in its .text
    await leafTracker.remove();
    expect(registered.map((r) => [r.name, r.removed]).sort()).toEqual([
      ['debug_leaf.o', true],
      ['debug_main.o', false],
    ]);
  });

  test('an executor without a GDB JIT interface is refused by name', () => {
    const executor = { triple: 'x86_64-unknown-linux-gnu' } as unknown as ExecutorProcessControl;
    expect(() => createElfDebuggerSupport(executor)).toThrow(/debugger support: this executor \(x86_64-unknown-linux-gnu\) has no GDB JIT interface/);
  });
});

describe('PerfSupportPlugin', () => {
  test('announces every named function with its size and linked bytes', async () => {
    const { executor, functions, session, layer, main, graphs } = setup();
    layer.addPlugin(new PerfSupportPlugin(executor));
    layer.add(main, read('perf_hot.o'), { name: 'perf_hot.o' });
    await session.lookupOne([main], 'main');
    expect(functions.map((f) => f.name)).toEqual(['hot_spin', 'cold_helper', 'main']);
    const graph = graphs.get('perf_hot.o')!;
    for (const f of functions) {
      const sym = [...graph.definedSymbols()].find((s) => s.name === f.name)!;
      expect(f.address).toBe(sym.address);
      expect(f.size).toBe(sym.size);
      expect(sym.block.section.prot & MemProt.Exec).toBe(MemProt.Exec);
      expect(f.code).toEqual(sym.block.getContent().subarray(sym.offset, sym.offset + sym.size));
    }
  });
});

describe('DebuggerSupportPlugin without an interface in the executor', () => {
  function refusing() {
    const context = setup();
    let asked = 0;
    (context.executor as { registerDebugObject: unknown }).registerDebugObject = async () => {
      asked++;
      throw new JITLinkError('UnsupportedFeature', 'no GDB JIT interface here');
    };
    return { ...context, asked: () => asked };
  }

  test('required (the default): the link fails with the executor\'s error', async () => {
    const { executor, session, layer, main } = refusing();
    layer.addPlugin(createElfDebuggerSupport(executor));
    layer.add(main, read('perf_hot.o'), { name: 'perf_hot.o' });
    await expect(session.lookupOne([main], 'main')).rejects.toThrow(/no GDB JIT interface here/);
  });

  test('not required: linking goes on, and the executor is not asked again', async () => {
    const { executor, session, layer, main, asked } = refusing();
    layer.addPlugin(createElfDebuggerSupport(executor, { required: false }));
    layer.add(main, read('debug_leaf.o'), { name: 'debug_leaf.o' });
    await session.lookupOne([main], 'jitted_leaf');
    expect(asked()).toBe(1);
    layer.add(main, read('perf_hot.o'), { name: 'perf_hot.o' });
    await session.lookupOne([main], 'hot_spin');
    expect(asked()).toBe(1);
  });
});
