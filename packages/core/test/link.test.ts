import {
  InMemoryMemoryManager,
  JITLinkError,
  link,
  prune,
  Linkage,
  MemLifetime,
  MemProt,
  Scope,
  SlabMemoryManager,
  type JITLinkAllocation,
  type JITLinkMemoryManager,
  type LinkGraph,
  type LinkTarget,
  type SegmentsRequest,
} from '../src/index.js';
import { recordingContext } from './context.js';
import { Delta32, Pointer64, toyGraph, toyTarget } from './helpers.js';

const RX = MemProt.Read | MemProt.Exec;
const RW = MemProt.Read | MemProt.Write;
const R = MemProt.Read;

/** main -> helper (Delta32), main -> printf (external); orphan is unreachable. */
function smallProgram(): LinkGraph {
  const g = toyGraph('prog.o');
  const text = g.createSection('.text', RX);
  const data = g.createSection('.data', RW);
  const mainBlock = g.createContentBlock(text, new Uint8Array(16), 0, 16, 0);
  const helperBlock = g.createContentBlock(text, new Uint8Array(8), 16, 4, 0);
  const orphanBlock = g.createContentBlock(text, new Uint8Array(8), 24, 4, 0);
  const dataBlock = g.createContentBlock(data, new Uint8Array(8), 0, 8, 0);
  const main = g.addDefinedSymbol(mainBlock, 0, 'main', 16, Linkage.Strong, Scope.Default, true, true);
  const helper = g.addDefinedSymbol(helperBlock, 0, 'helper', 8, Linkage.Strong, Scope.Local, true, false);
  g.addDefinedSymbol(orphanBlock, 0, 'orphan', 8, Linkage.Strong, Scope.Local, true, false);
  const ptr = g.addDefinedSymbol(dataBlock, 0, 'ptr', 8, Linkage.Strong, Scope.Local, false, false);
  const printf = g.addExternalSymbol('printf', 0);
  g.addExternalSymbol('unused_external', 0);
  mainBlock.addEdge(Delta32, 1, helper, -4);
  mainBlock.addEdge(Delta32, 6, printf, -4);
  mainBlock.addEdge(Delta32, 11, ptr, -4);
  dataBlock.addEdge(Pointer64, 0, main, 0);
  return g;
}

function liveOnlyMain(g: LinkGraph): void {
  for (const s of g.definedSymbols()) s.live = s.name === 'main';
}

describe('generic link algorithm', () => {
  test('links, resolves externals and applies fixups', async () => {
    const mem = new InMemoryMemoryManager({ baseAddress: 0x100000 });
    const ctx = recordingContext(mem, new Map([['printf', 0x180000]]));
    ctx.markLive = liveOnlyMain;
    const g = smallProgram();
    await link(g, ctx, toyTarget);
    expect(ctx.failures).toEqual([]);
    expect(ctx.events).toEqual(['notifyResolved', 'lookup', 'notifyFinalized']);
    const main = [...g.definedSymbols()].find((s) => s.name === 'main')!;
    const helper = [...g.definedSymbols()].find((s) => s.name === 'helper')!;
    const ptr = [...g.definedSymbols()].find((s) => s.name === 'ptr')!;
    const code = new DataView(main.block.getContent().buffer, main.block.getContent().byteOffset);
    expect(code.getInt32(1, true)).toBe(helper.address - (main.address + 1) - 4);
    expect(code.getInt32(6, true)).toBe(0x180000 - (main.address + 6) - 4);
    expect(code.getInt32(11, true)).toBe(ptr.address - (main.address + 11) - 4);
    const data = new DataView(ptr.block.getContent().buffer, ptr.block.getContent().byteOffset);
    expect(Number(data.getBigUint64(0, true))).toBe(main.address);
  });

  test('dead-stripping keeps exactly what is reachable from live roots', async () => {
    const ctx = recordingContext(new InMemoryMemoryManager(), new Map([['printf', 0x1000]]));
    ctx.markLive = liveOnlyMain;
    const g = smallProgram();
    await link(g, ctx, toyTarget);
    const names = [...g.definedSymbols()].map((s) => s.name).sort();
    expect(names).toEqual(['helper', 'main', 'ptr']);
    expect([...g.externalSymbols()].map((s) => s.name)).toEqual(['printf']);
    expect(g.findSectionByName('.text')!.blocks.size).toBe(2);
    expect(g.findSectionByName('.data')!.blocks.size).toBe(1);
  });

  test('default mark-live keeps every defined symbol', async () => {
    const ctx = recordingContext(new InMemoryMemoryManager(), new Map([['printf', 0x1000]]));
    const g = smallProgram();
    await link(g, ctx, toyTarget);
    expect(ctx.failures).toEqual([]);
    expect([...g.definedSymbols()].map((s) => s.name).sort()).toEqual(['helper', 'main', 'orphan', 'ptr']);
    // Externals nobody references are still dropped.
    expect([...g.externalSymbols()].map((s) => s.name)).toEqual(['printf']);
  });

  test('KeepAlive edges keep their targets and apply no fixup', async () => {
    const ctx = recordingContext(new InMemoryMemoryManager());
    ctx.markLive = (g) => {
      for (const s of g.definedSymbols()) s.live = s.name === 'f';
    };
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const eh = g.createSection('.eh_frame', R);
    const fb = g.createContentBlock(text, new Uint8Array([0xc3]), 0, 1, 0);
    const fde = g.createContentBlock(eh, new Uint8Array(4), 0, 4, 0);
    g.addDefinedSymbol(fb, 0, 'f', 1, Linkage.Strong, Scope.Default, true, false);
    const fdeSym = g.addAnonymousSymbol(fde, 0, 4, false, false);
    fb.addEdge(1, 0, fdeSym, 0);
    await link(g, ctx, toyTarget);
    expect(ctx.failures).toEqual([]);
    expect(eh.blocks.size).toBe(1);
    expect(Array.from(fb.getContent())).toEqual([0xc3]);
  });

  test('passes run in the documented order; a post-prune pass can add blocks that get allocated', async () => {
    const order: string[] = [];
    const ctx = recordingContext(new InMemoryMemoryManager(), new Map([['printf', 0x1000]]));
    const target: LinkTarget = {
      ...toyTarget,
      addDefaultPasses(_g, config) {
        config.prePrunePasses.push(() => void order.push('target pre-prune'));
      },
    };
    const origResolved = ctx.notifyResolved;
    ctx.notifyResolved = (g) => {
      order.push('notifyResolved');
      return origResolved(g);
    };
    const origLookup = ctx.lookup;
    ctx.lookup = (r, g) => {
      order.push('lookup');
      return origLookup(r, g);
    };
    ctx.notifyFinalized = () => void order.push('notifyFinalized');
    ctx.markLive = (g) => {
      order.push('mark-live');
      for (const s of g.definedSymbols()) s.live = true;
    };
    let added: { address: number } | undefined;
    ctx.modify = (_g, config) => {
      config.prePrunePasses.push(() => void order.push('pre-prune'));
      config.postPrunePasses.push((g) => {
        order.push('post-prune');
        const sec = g.createSection('$__GOT', RW);
        const b = g.createContentBlock(sec, new Uint8Array(8), 0, 8, 0);
        const s = g.addAnonymousSymbol(b, 0, 8, false, true);
        b.addEdge(
          Pointer64,
          0,
          [...g.definedSymbols()].find((x) => x.name === 'main')!,
          0,
        );
        added = b;
        void s;
      });
      config.postAllocationPasses.push(() => void order.push('post-allocation'));
      config.preFixupPasses.push(() => void order.push('pre-fixup'));
      config.postFixupPasses.push(async () => {
        await Promise.resolve();
        order.push('post-fixup');
      });
    };
    const mem = new InMemoryMemoryManager();
    const orig = mem.allocate.bind(mem);
    mem.allocate = async (d, r) => {
      order.push('allocate');
      const a = await orig(d, r);
      const fin = a.finalize.bind(a);
      a.finalize = async (acts) => {
        order.push('finalize');
        return fin(acts);
      };
      return a;
    };
    ctx.getMemoryManager = () => mem;
    await link(smallProgram(), ctx, target);
    expect(ctx.failures).toEqual([]);
    expect(order).toEqual([
      'target pre-prune',
      'pre-prune',
      'mark-live',
      'post-prune',
      'allocate',
      'post-allocation',
      'notifyResolved',
      'lookup',
      'pre-fixup',
      'post-fixup',
      'finalize',
      'notifyFinalized',
    ]);
    expect(added!.address).toBeGreaterThanOrEqual(0x10000);
  });

  test('a pass list mixing synchronous and asynchronous passes runs in order, including passes appended while it runs', async () => {
    const order: string[] = [];
    const ctx = recordingContext(new InMemoryMemoryManager(), new Map([['printf', 0x1000]]));
    ctx.modify = (_g, config) => {
      config.prePrunePasses.push(
        () => void order.push('a'),
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          order.push('b (async)');
          config.prePrunePasses.push(() => void order.push('appended'));
        },
        () => void order.push('c'),
      );
      config.postPrunePasses.push(() => void order.push('post-prune'));
    };
    await link(smallProgram(), ctx, toyTarget);
    expect(ctx.failures).toEqual([]);
    expect(order).toEqual(['a', 'b (async)', 'c', 'appended', 'post-prune']);
  });

  test('a synchronous pass that throws fails the link like an asynchronous one', async () => {
    const ctx = recordingContext(new InMemoryMemoryManager(), new Map([['printf', 0x1000]]));
    ctx.modify = (_g, config) => {
      config.postPrunePasses.push(() => {
        throw new Error('sync boom');
      });
    };
    await link(smallProgram(), ctx, toyTarget);
    expect(ctx.failures.map((e) => e.message)).toEqual(['sync boom']);
  });

  test('shouldAddDefaultTargetPasses=false skips the target passes', async () => {
    let ran = false;
    const ctx = recordingContext(new InMemoryMemoryManager(), new Map([['printf', 0x1000]]));
    ctx.shouldAddDefaultTargetPasses = () => false;
    await link(smallProgram(), ctx, {
      ...toyTarget,
      addDefaultPasses: (_g, c) => void c.prePrunePasses.push(() => void (ran = true)),
    });
    expect(ran).toBe(false);
    expect(ctx.failures).toEqual([]);
  });

  test('missing required externals fail; weak references resolve to zero', async () => {
    const ctx = recordingContext(new InMemoryMemoryManager());
    await link(smallProgram(), ctx, toyTarget);
    expect(ctx.failures).toHaveLength(1);
    expect(ctx.failures[0]).toBeInstanceOf(JITLinkError);
    expect(ctx.failures[0]!.message).toMatch(/symbols not found: \[ printf \]/);

    const ctx2 = recordingContext(new InMemoryMemoryManager());
    const g = toyGraph();
    const data = g.createSection('.data', RW);
    const b = g.createContentBlock(data, new Uint8Array(8).fill(0xff), 0, 8, 0);
    g.addDefinedSymbol(b, 0, 'p', 8, Linkage.Strong, Scope.Default, false, true);
    b.addEdge(Pointer64, 0, g.addExternalSymbol('weak_fn', 0, Linkage.Weak), 0);
    await link(g, ctx2, toyTarget);
    expect(ctx2.failures).toEqual([]);
    expect(Array.from(b.getContent())).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('errors at every stage reach notifyFailed once and free memory', () => {
  const stages = [
    'pre-prune',
    'mark-live',
    'post-prune',
    'post-allocation',
    'notifyResolved',
    'lookup',
    'pre-fixup',
    'fixup',
    'post-fixup',
    'finalize',
    'allocate',
  ] as const;
  test.each(stages)('%s', async (stage) => {
    const mem = new InMemoryMemoryManager();
    const ctx = recordingContext(mem, new Map([['printf', 0x1000]]));
    const boom = () => {
      throw new JITLinkError('LinkFailed', `boom in ${stage}`);
    };
    ctx.modify = (_g, config) => {
      if (stage === 'pre-prune') config.prePrunePasses.push(boom);
      if (stage === 'post-prune') config.postPrunePasses.push(boom);
      if (stage === 'post-allocation') config.postAllocationPasses.push(boom);
      if (stage === 'pre-fixup')
        config.preFixupPasses.push(async () => Promise.reject(new Error(`boom in ${stage}`)));
      if (stage === 'post-fixup') config.postFixupPasses.push(boom);
    };
    if (stage === 'mark-live') ctx.markLive = boom;
    if (stage === 'notifyResolved') ctx.notifyResolved = boom;
    if (stage === 'lookup') ctx.lookupHook = async () => Promise.reject(new Error('boom in lookup'));
    let target = toyTarget;
    if (stage === 'fixup') target = { applyFixup: boom };
    const manager: JITLinkMemoryManager = {
      async allocate(d, r: SegmentsRequest): Promise<JITLinkAllocation> {
        if (stage === 'allocate') boom();
        const a = await mem.allocate(d, r);
        if (stage === 'finalize') a.finalize = async () => boom();
        return a;
      },
    };
    ctx.getMemoryManager = () => manager;
    await link(smallProgram(), ctx, target);
    expect(ctx.failures).toHaveLength(1);
    expect(ctx.failures[0]!.message).toContain(`boom in ${stage}`);
    expect(ctx.events.filter((e) => e === 'notifyFailed')).toHaveLength(1);
    expect(ctx.events).not.toContain('notifyFinalized');
    expect(mem.liveAllocations).toBe(0);
  });
});

describe('layout', () => {
  test('honours alignment and alignment offset, groups by protection, orders by ordinal then address', async () => {
    const mem = new SlabMemoryManager({ baseAddress: 0x10000, pageSize: 0x1000, size: 0x100000 });
    const ctx = recordingContext(mem);
    const g = toyGraph();
    const data1 = g.createSection('.data.one', RW);
    const text = g.createSection('.text', RX);
    const data2 = g.createSection('.data.two', RW);
    const rodata = g.createSection('.rodata', R);
    const bss = g.createSection('.bss', RW);
    const dbg = g.createSection('.debug_info', R, MemLifetime.NoAlloc);
    const fin = g.createSection('.finalize_only', R, MemLifetime.Finalize);
    const blk = (sec: typeof text, size: number, addr: number, align: number, off: number) => {
      const b = g.createContentBlock(sec, new Uint8Array(size), addr, align, off);
      g.addAnonymousSymbol(b, 0, size, false, true);
      return b;
    };
    const d1a = blk(data1, 3, 0x50, 1, 0);
    const d1b = blk(data1, 9, 0x10, 8, 7); // earlier address within its section: placed first
    const t = blk(text, 5, 0, 16, 0);
    const d2 = blk(data2, 8, 0, 16, 0);
    const r = blk(rodata, 4, 0, 4, 0);
    const z = g.createZeroFillBlock(bss, 100, 0, 32, 0);
    g.addAnonymousSymbol(z, 0, 100, false, true);
    const dbgBlock = blk(dbg, 10, 0, 1, 0);
    const f = blk(fin, 4, 0, 4, 0);
    await link(g, ctx, toyTarget);
    expect(ctx.failures).toEqual([]);

    // One segment per (protection, lifetime); each page aligned.
    const rwBase = d1b.address - (d1b.address % 0x1000);
    expect(d1b.address % 8).toBe(7); // alignment offset honoured
    expect(d1b.address).toBe(rwBase + 7);
    expect(d1a.address).toBe(d1b.address + 9); // ordinal order: .data.one (d1b, d1a) then .data.two
    expect(d2.address % 16).toBe(0);
    expect(d2.address).toBeGreaterThan(d1a.address);
    expect(z.address % 32).toBe(0); // zero-fill after content in the RW segment
    expect(z.address).toBeGreaterThan(d2.address);
    expect(Math.floor(z.address / 0x1000)).toBe(Math.floor(rwBase / 0x1000));
    for (const [a, b] of [
      [t, r],
      [t, d1b],
      [r, d1b],
      [f, t],
    ] as const) {
      expect(Math.floor(a.address / 0x1000)).not.toBe(Math.floor(b.address / 0x1000));
    }
    expect(t.address % 16).toBe(0);
    expect(dbgBlock.address).toBe(0); // never allocated
    // Deterministic slab layout: segments in AllocGroup order R, RW, RX, then finalize-only.
    expect([r.address, rwBase, t.address, f.address]).toEqual([0x10000, 0x11000, 0x12000, 0x13000]);
  });

  test('64-bit target addresses stay exact above 2^53 (high-half addresses)', async () => {
    // 0xffff800000000000 as a signed 64-bit value.
    const base = -0x8000_0000_0000;
    const mem = new SlabMemoryManager({ baseAddress: base, pageSize: 0x1000, size: 0x100000 });
    const ctx = recordingContext(mem, new Map([['far', -0x1000]])); // 0xfffffffffffff000
    const g = toyGraph();
    const data = g.createSection('.data', RW);
    const b = g.createContentBlock(data, new Uint8Array(24), 0, 8, 0);
    const self = g.addDefinedSymbol(b, 0, 'self', 24, Linkage.Strong, Scope.Default, false, true);
    b.addEdge(Pointer64, 0, self, 0x10);
    b.addEdge(Pointer64, 8, g.addExternalSymbol('far', 0), 0);
    b.addEdge(Pointer64, 16, g.addAbsoluteSymbol('top', -1, 0, Linkage.Strong, Scope.Default, true), 0);
    await link(g, ctx, toyTarget);
    expect(ctx.failures).toEqual([]);
    const v = new DataView(b.getContent().buffer, b.getContent().byteOffset);
    expect(v.getBigUint64(0, true)).toBe(0xffff800000000010n);
    expect(v.getBigUint64(8, true)).toBe(0xfffffffffffff000n);
    expect(v.getBigUint64(16, true)).toBe(0xffffffffffffffffn);
  });

  test('addresses that cannot be held exactly are rejected clearly', async () => {
    const { addressFromBigInt } = await import('../src/index.js');
    expect(addressFromBigInt(0xffffffff80000000n)).toBe(-0x8000_0000);
    expect(addressFromBigInt(0x7fff_ffff_f000n)).toBe(0x7fff_ffff_f000);
    expect(() => addressFromBigInt(0x0020_0000_0000_0001n)).toThrow(
      /outside the exactly representable range/,
    );
    const ctx = recordingContext(new InMemoryMemoryManager(), new Map([['printf', 2 ** 60]]));
    await link(smallProgram(), ctx, toyTarget);
    expect(ctx.failures[0]!.message).toMatch(/inexact address for printf/);
  });
});

describe('prune', () => {
  test('removes dead absolute symbols; keeps live ones and those a live block refers to', () => {
    const g = toyGraph('abs.o');
    const text = g.createSection('.text', RX);
    const mainBlock = g.createContentBlock(text, new Uint8Array(16), 0, 16, 0);
    g.addDefinedSymbol(mainBlock, 0, 'main', 16, Linkage.Strong, Scope.Default, true, true);
    const deadBlock = g.createContentBlock(text, new Uint8Array(8), 16, 4, 0);
    g.addDefinedSymbol(deadBlock, 0, 'dead_fn', 8, Linkage.Strong, Scope.Local, true, false);
    g.addAbsoluteSymbol('kept_live', 0x1000, 0, Linkage.Strong, Scope.Default, true);
    const referenced = g.addAbsoluteSymbol('referenced', 0x2000, 0, Linkage.Strong, Scope.Default, false);
    const onlyFromDead = g.addAbsoluteSymbol('only_from_dead', 0x3000, 0, Linkage.Strong, Scope.Default, false);
    g.addAbsoluteSymbol('unreferenced', 0x4000, 0, Linkage.Strong, Scope.Default, false);
    mainBlock.addEdge(Pointer64, 0, referenced, 0);
    deadBlock.addEdge(Pointer64, 0, onlyFromDead, 0);
    prune(g);
    expect([...g.absoluteSymbols()].map((s) => s.name).sort()).toEqual(['kept_live', 'referenced']);
    expect([...g.definedSymbols()].map((s) => s.name)).toEqual(['main']);
  });
});
