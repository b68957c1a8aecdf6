import {
  EdgeKinds,
  JITLinkError,
  LinkGraph,
  Linkage,
  MemProt,
  Scope,
  link,
  type Block,
  type Edge,
  type JITLinkAllocation,
  type JITLinkContext,
  type LinkTarget,
} from '@jitlink/core';
import { InProcessMemoryManager, ProcessSymbols, callIntPtr, runAsMain } from '../src/index.js';
import { ARGC_PLUS_STRLEN_ARGV1, describeX64, permsAt } from './helpers.js';


const Pointer64 = EdgeKinds.FirstRelocation;
const PCRel32 = EdgeKinds.FirstRelocation + 1;

/** Just enough of x86-64 for these graphs: T+A (64-bit) and T-(P+4)+A (32-bit signed). */
const tinyX64: LinkTarget = {
  applyFixup(_graph: LinkGraph, block: Block, edge: Edge, _content: Uint8Array, view: DataView) {
    const target = edge.target.address + edge.addend;
    if (edge.kind === Pointer64) {
      view.setBigUint64(edge.offset, BigInt.asUintN(64, BigInt(target)), true);
    } else if (edge.kind === PCRel32) {
      const value = target - (block.address + edge.offset + 4);
      if (value < -0x8000_0000 || value > 0x7fff_ffff)
        throw new JITLinkError('FixupOutOfRange', `PCRel32 out of range: ${value}`);
      view.setInt32(edge.offset, value, true);
    } else {
      throw new JITLinkError('UnsupportedRelocation', `edge kind ${edge.kind}`);
    }
  },
};

function context(memory: InProcessMemoryManager, symbols: ProcessSymbols) {
  const outcome: { allocation?: JITLinkAllocation; error?: Error } = {};
  const ctx: JITLinkContext = {
    getMemoryManager: () => memory,
    lookup: async (request) => symbols.resolve(request),
    notifyResolved: () => {},
    notifyFinalized: (allocation) => {
      outcome.allocation = allocation;
    },
    notifyFailed: (error) => {
      outcome.error = error;
    },
    shouldAddDefaultTargetPasses: () => false,
    getMarkLivePass: () => undefined,
    modifyPassConfig: () => {},
  };
  return { ctx, outcome };
}

describeX64('linking a LinkGraph into this process', () => {
  let manager: InProcessMemoryManager;
  afterEach(async () => {
    await manager.dispose();
  });

  it('links a code block and calls the linked symbol', async () => {
    manager = new InProcessMemoryManager();
    const graph = new LinkGraph({
      name: 'main.o',
      triple: 'x86_64-unknown-linux-gnu',
      pointerSize: 8,
      endianness: 'little',
    });
    const text = graph.createSection('.text', MemProt.Read | MemProt.Exec);
    const block = graph.createContentBlock(text, ARGC_PLUS_STRLEN_ARGV1, 0, 16, 0);
    const main = graph.addDefinedSymbol(
      block,
      0,
      'main',
      ARGC_PLUS_STRLEN_ARGV1.length,
      Linkage.Strong,
      Scope.Default,
      true,
      true,
    );
    const { ctx, outcome } = context(manager, new ProcessSymbols());
    await link(graph, ctx, tinyX64);
    expect(outcome.error).toBeUndefined();
    expect(main.address % 16).toBe(0);
    expect(permsAt(main.address)).toBe('r-xp');
    expect(runAsMain(main.address, ['main.o', 'linked'])).toBe(2 + 6);
    await outcome.allocation!.deallocate();
    expect(manager.stats().liveAllocations).toBe(0);
  });

  it('resolves external symbols from the process and applies fixups across segments', async () => {
    manager = new InProcessMemoryManager();
    const graph = new LinkGraph({
      name: 'thunk.o',
      triple: 'x86_64-unknown-linux-gnu',
      pointerSize: 8,
      endianness: 'little',
    });
    // thunk: jmp qword ptr [rip + strlen_ptr]
    const text = graph.createSection('.text', MemProt.Read | MemProt.Exec);
    const thunkBlock = graph.createContentBlock(text, Uint8Array.of(0xff, 0x25, 0, 0, 0, 0), 0, 16, 0);
    const thunk = graph.addDefinedSymbol(
      thunkBlock,
      0,
      'call_strlen',
      6,
      Linkage.Strong,
      Scope.Default,
      true,
      true,
    );
    const data = graph.createSection('.data', MemProt.Read | MemProt.Write);
    const pointerBlock = graph.createContentBlock(data, new Uint8Array(8), 0x100, 8, 0);
    const pointer = graph.addAnonymousSymbol(pointerBlock, 0, 8, false, false);
    const rodata = graph.createSection('.rodata', MemProt.Read);
    const textBlock = graph.createContentBlock(
      rodata,
      new TextEncoder().encode('seventeen letters\0'),
      0x200,
      1,
      0,
    );
    const message = graph.addDefinedSymbol(
      textBlock,
      0,
      'message',
      18,
      Linkage.Strong,
      Scope.Default,
      false,
      true,
    );
    const strlen = graph.addExternalSymbol('strlen', 0);
    thunkBlock.addEdge(PCRel32, 2, pointer, 0);
    pointerBlock.addEdge(Pointer64, 0, strlen, 0);

    const symbols = new ProcessSymbols();
    const { ctx, outcome } = context(manager, symbols);
    await link(graph, ctx, tinyX64);
    expect(outcome.error).toBeUndefined();
    expect(strlen.address).toBe(symbols.lookup('strlen'));
    expect(permsAt(message.address)).toBe('r--p');
    expect(permsAt(pointer.address)).toBe('rw-p');
    expect(callIntPtr(thunk.address, message.address)).toBe(17);
  });

  it('reports missing externals and frees the memory of a failed link', async () => {
    manager = new InProcessMemoryManager();
    const graph = new LinkGraph({
      name: 'missing.o',
      triple: 'x86_64-unknown-linux-gnu',
      pointerSize: 8,
      endianness: 'little',
    });
    const data = graph.createSection('.data', MemProt.Read | MemProt.Write);
    const block = graph.createContentBlock(data, new Uint8Array(8), 0, 8, 0);
    graph.addDefinedSymbol(block, 0, 'table', 8, Linkage.Strong, Scope.Default, false, true);
    block.addEdge(Pointer64, 0, graph.addExternalSymbol('jitlink_not_defined_anywhere', 0), 0);
    const { ctx, outcome } = context(manager, new ProcessSymbols());
    await link(graph, ctx, tinyX64);
    expect(outcome.error).toBeInstanceOf(JITLinkError);
    expect(outcome.error!.message).toMatch(/jitlink_not_defined_anywhere/);
    expect(manager.stats().liveAllocations).toBe(0);
    expect(manager.stats().committedBytes).toBe(0);
  });
});
