import {
  Block,
  Edge,
  JITLinkError,
  Linkage,
  MemProt,
  Scope,
  MemLifetime,
  allocGroup,
  computeSegmentLayout,
  mergeLinkGraphs,
  printLinkGraph,
} from '../src/index.js';
import { Delta32, Pointer64, toyGraph } from './helpers.js';

const RX = MemProt.Read | MemProt.Exec;
const RW = MemProt.Read | MemProt.Write;

describe('LinkGraph', () => {
  test('sections: create, find, ordinals, duplicates rejected', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const data = g.createSection('.data', RW);
    expect(g.findSectionByName('.text')).toBe(text);
    expect(g.findSectionByName('.nope')).toBeUndefined();
    expect([text.ordinal, data.ordinal]).toEqual([0, 1]);
    expect(text.lifetime).toBe(MemLifetime.Standard);
    expect(() => g.createSection('.text', RX)).toThrow(JITLinkError);
    expect([...g.sections()].map((s) => s.name)).toEqual(['.text', '.data']);
  });

  test('blocks: content, zero-fill, mutable on demand, validation', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const b = g.createContentBlock(text, bytes, 0x100, 4, 0);
    expect(b.getContent()).toBe(bytes);
    expect(b.isContentMutable()).toBe(false);
    const m = b.getMutableContent(g);
    expect(m).not.toBe(bytes);
    m[0] = 9;
    expect(bytes[0]).toBe(1); // the input is never modified
    expect(b.getContent()[0]).toBe(9);
    const z = g.createZeroFillBlock(text, 64, 0x200, 16, 8);
    expect(z.isZeroFill()).toBe(true);
    expect(z.size).toBe(64);
    expect(() => z.getContent()).toThrow(/zero-fill/);
    expect(() => g.createContentBlock(text, bytes, 0, 3, 0)).toThrow(/power of two/);
    expect(() => g.createContentBlock(text, bytes, 0, 4, 4)).toThrow(/alignment offset/);
    const mut = g.createMutableContentBlock(text, new Uint8Array(2), 0x300, 1, 0);
    expect(mut.isContentMutable()).toBe(true);
    expect([...g.blocks()]).toEqual([b, z, mut]);
    expect(g.blockList()).toEqual([...g.blocks()]);
  });

  test('array snapshots and forEachDefinedSymbol see what the iterators see, across sections', () => {
    const g = toyGraph();
    expect(g.sectionList()).toEqual([]);
    expect(g.blockList()).toEqual([]);
    const text = g.createSection('.text', RX);
    const data = g.createSection('.data', RW);
    g.createSection('.empty', RW);
    const t0 = g.createContentBlock(text, new Uint8Array(8), 0x10, 1, 0);
    const d0 = g.createContentBlock(data, new Uint8Array(8), 0x40, 1, 0);
    const t1 = g.createContentBlock(text, new Uint8Array(8), 0x20, 1, 0);
    const f = g.addDefinedSymbol(t0, 0, 'f', 4, Linkage.Strong, Scope.Default, true, false);
    const v = g.addDefinedSymbol(d0, 4, 'v', 4, Linkage.Weak, Scope.Hidden, false, false);
    const anon = g.addAnonymousSymbol(t1, 2, 1, false, false);
    g.addExternalSymbol('ext', 0);
    expect(g.sectionList().map((s) => s.name)).toEqual(['.text', '.data', '.empty']);
    expect(g.blockList()).toEqual([t0, t1, d0]);
    expect(g.blockList()).toEqual([...g.blocks()]);
    const seen: unknown[] = [];
    g.forEachDefinedSymbol((sym) => seen.push(sym));
    expect(seen).toEqual([f, anon, v]);
    expect(seen).toEqual([...g.definedSymbols()]);
    // Snapshots: changing the graph afterwards does not change them.
    const blocks = g.blockList();
    g.removeDefinedSymbol(anon);
    g.removeBlock(t1);
    expect(blocks).toHaveLength(3);
    expect(g.blockList()).toEqual([t0, d0]);
  });

  test('section members: a Set\'s behaviour (insertion order, has/delete, deleting and adding while iterating)', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const data = g.createSection('.data', RW);
    const blocks = Array.from({ length: 40 }, (_, i) => g.createContentBlock(text, new Uint8Array(8), 0x1000 + i * 8, 8, 0));
    const syms = blocks.map((b, i) => g.addDefinedSymbol(b, 0, `s${i}`, 8, Linkage.Strong, Scope.Default, true, false));
    expect(text.blocks.size).toBe(40);
    expect([...text.blocks]).toEqual(blocks);
    expect(text.symbols.has(syms[3]!)).toBe(true);
    expect(data.symbols.has(syms[3]!)).toBe(false);

    // Deleting most members while iterating visits each one once, in order.
    const seen: string[] = [];
    for (const sym of text.symbols) {
      seen.push(sym.name!);
      if (Number(sym.name!.slice(1)) % 4 !== 0) g.removeDefinedSymbol(sym);
    }
    expect(seen).toEqual(syms.map((s) => s.name));
    expect(text.symbols.size).toBe(10);
    expect(text.symbols.has(syms[1]!)).toBe(false);
    // Holes are squeezed out once no iteration is under way; order and membership hold.
    g.removeDefinedSymbol(syms[0]!);
    g.removeDefinedSymbol(syms[4]!);
    const kept = syms.filter((_, i) => i % 4 === 0 && i > 4);
    expect([...text.symbols]).toEqual(kept);
    expect(kept.every((s) => text.symbols.has(s))).toBe(true);
    const order: string[] = [];
    text.symbols.forEach((s) => order.push(s.name!));
    expect(order).toEqual(kept.map((s) => s.name));

    // A member added during forEach is visited, as in a Set.
    const visited: Block[] = [];
    let added: Block | undefined;
    data.blocks.forEach((b) => visited.push(b));
    g.createContentBlock(data, new Uint8Array(8), 0x9000, 8, 0);
    data.blocks.forEach((b) => {
      visited.push(b);
      if (added === undefined) added = g.createContentBlock(data, new Uint8Array(8), 0x9008, 8, 0);
    });
    expect(visited.length).toBe(2);
    expect(visited[1]).toBe(added);

    // Moving a symbol to another section's block moves its membership.
    const d = [...data.blocks][0]!;
    g.transferDefinedSymbol(kept[0]!, d, 0);
    expect(data.symbols.has(kept[0]!)).toBe(true);
    expect(text.symbols.has(kept[0]!)).toBe(false);
    expect([...text.symbols]).toEqual(kept.slice(1));
    expect([...text.symbols.entries()][0]).toEqual([kept[1], kept[1]]);
  });

  test('symbols: defined, anonymous, external, absolute, common', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const b = g.createContentBlock(text, new Uint8Array(16), 0x1000, 16, 0);
    const main = g.addDefinedSymbol(b, 4, 'main', 8, Linkage.Strong, Scope.Default, true, false);
    const anon = g.addAnonymousSymbol(b, 0, 4, false, false);
    const ext = g.addExternalSymbol('printf', 0, Linkage.Strong);
    const weakExt = g.addExternalSymbol('maybe', 0, Linkage.Weak);
    const abs = g.addAbsoluteSymbol('ABS', 0x1234, 0, Linkage.Strong, Scope.Default, true);
    const bss = g.createSection('.bss', RW);
    const common = g.addCommonSymbol('counter', Scope.Default, bss, 0x2000, 40, 8, false);
    expect(main.address).toBe(0x1004);
    expect(main.callable).toBe(true);
    expect(main.block).toBe(b);
    expect(anon.hasName()).toBe(false);
    expect(anon.scope).toBe(Scope.Local);
    expect(ext.isExternal()).toBe(true);
    expect(weakExt.linkage).toBe(Linkage.Weak);
    expect(abs.isAbsolute()).toBe(true);
    expect(abs.address).toBe(0x1234);
    expect(common.linkage).toBe(Linkage.Weak);
    expect(common.block.isZeroFill()).toBe(true);
    expect(common.block.alignment).toBe(8);
    expect([...g.definedSymbols()]).toEqual([main, anon, common]);
    expect([...g.externalSymbols()]).toEqual([ext, weakExt]);
    expect([...g.absoluteSymbols()]).toEqual([abs]);
    expect(() => g.addExternalSymbol('printf', 0)).toThrow(/duplicate external/);
    expect(() => g.addDefinedSymbol(b, 17, 'past', 0, Linkage.Strong, Scope.Local, false, false)).toThrow(
      /outside/,
    );
    expect(() => ext.block).toThrow(JITLinkError);
  });

  test('makeExternal, makeDefined, makeAbsolute keep edges valid', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const b = g.createContentBlock(text, new Uint8Array(16), 0, 1, 0);
    const foo = g.addDefinedSymbol(b, 0, 'foo', 4, Linkage.Weak, Scope.Default, true, false);
    const edge = b.addEdge(Delta32, 8, foo, 0);
    g.makeExternal(foo);
    expect(foo.isExternal()).toBe(true);
    expect(g.findExternalSymbol('foo')).toBe(foo);
    expect(edge.target).toBe(foo);
    expect(text.symbols.size).toBe(0);
    expect(b.symbolCount).toBe(0);
    g.makeDefined(foo, b, 2, 2, Linkage.Strong, Scope.Hidden, true);
    expect(foo.isDefined()).toBe(true);
    expect(foo.address).toBe(2);
    expect(g.findExternalSymbol('foo')).toBeUndefined();
    expect(text.symbols.has(foo)).toBe(true);
    g.makeAbsolute(foo, 0x4000);
    expect(foo.isAbsolute()).toBe(true);
    expect([...g.absoluteSymbols()]).toEqual([foo]);
    expect(edge.target.address).toBe(0x4000);
  });

  test('removal rules: referenced addressables cannot be removed', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const b = g.createContentBlock(text, new Uint8Array(8), 0, 1, 0);
    const s = g.addDefinedSymbol(b, 0, 's', 8, Linkage.Strong, Scope.Default, false, false);
    expect(() => g.removeBlock(b)).toThrow(/still defined/);
    g.removeDefinedSymbol(s);
    expect(s.inGraph).toBe(false);
    expect(() => g.removeDefinedSymbol(s)).toThrow(JITLinkError);
    g.removeBlock(b);
    expect(text.blocks.size).toBe(0);
    expect(() => g.removeBlock(b)).toThrow(JITLinkError);

    const ext = g.addExternalSymbol('ext', 0);
    const abs = g.addAbsoluteSymbol('abs', 5, 0, Linkage.Strong, Scope.Default, false);
    expect(() => g.removeExternalSymbol(abs)).toThrow(/not an external/);
    expect(() => g.removeAbsoluteSymbol(ext)).toThrow(/not an absolute/);
    g.removeExternalSymbol(ext);
    g.removeAbsoluteSymbol(abs);
    expect([...g.externalSymbols()]).toEqual([]);
    expect([...g.absoluteSymbols()]).toEqual([]);
  });

  test('an edge to a removed symbol is reported at fixup time, not silently patched', async () => {
    const { link } = await import('../src/index.js');
    const { InMemoryMemoryManager } = await import('../src/index.js');
    const { toyTarget } = await import('./helpers.js');
    const { recordingContext } = await import('./context.js');
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const b = g.createContentBlock(text, new Uint8Array(8), 0, 1, 0);
    g.addDefinedSymbol(b, 0, 'root', 8, Linkage.Strong, Scope.Default, false, true);
    const victim = g.addDefinedSymbol(b, 4, 'victim', 0, Linkage.Strong, Scope.Default, false, true);
    b.addEdge(Pointer64, 0, victim, 0);
    const ctx = recordingContext(new InMemoryMemoryManager());
    ctx.modify = (_g, config) => config.postPrunePasses.push((graph) => graph.removeDefinedSymbol(victim));
    await link(g, ctx, toyTarget);
    expect(ctx.failures).toHaveLength(1);
    expect(ctx.failures[0]!.message).toMatch(/targets victim, which was removed/);
  });

  test('splitBlock moves edges and symbols by offset and keeps alignment', () => {
    const g = toyGraph();
    const data = g.createSection('.data', RW);
    const content = Uint8Array.from({ length: 32 }, (_, i) => i);
    const b = g.createContentBlock(data, content, 0x1000, 8, 0);
    const target = g.addExternalSymbol('t', 0);
    const left0 = g.addDefinedSymbol(b, 0, 'l0', 8, Linkage.Strong, Scope.Default, false, false);
    const straddle = g.addDefinedSymbol(b, 8, 'straddle', 16, Linkage.Strong, Scope.Default, false, false);
    const right = g.addDefinedSymbol(b, 20, 'r', 4, Linkage.Strong, Scope.Default, false, false);
    const e1 = b.addEdge(Pointer64, 0, target, 1);
    const e2 = b.addEdge(Pointer64, 12, target, 2);
    const e3 = b.addEdge(Pointer64, 24, target, 3);

    const left = g.splitBlock(b, 12);
    expect(left).not.toBe(b);
    expect(left.size).toBe(12);
    expect(b.size).toBe(20);
    expect(left.address).toBe(0x1000);
    expect(b.address).toBe(0x100c);
    expect(left.getContent()[11]).toBe(11);
    expect(b.getContent()[0]).toBe(12);
    expect(left.alignment).toBe(8);
    expect(b.alignmentOffset).toBe(4); // 12 mod 8
    expect(left.edges).toEqual([e1]);
    expect(b.edges).toEqual([e2, e3]);
    expect([e2.offset, e3.offset]).toEqual([0, 12]);
    expect(left0.block).toBe(left);
    expect(straddle.block).toBe(left);
    expect(straddle.size).toBe(4); // clamped to the left half
    expect(right.block).toBe(b);
    expect(right.offset).toBe(8);
    expect(left.symbolCount).toBe(2);
    expect(b.symbolCount).toBe(1);
    expect(g.splitBlock(b, b.size)).toBe(b);
    expect(() => g.splitBlock(b, 0)).toThrow(JITLinkError);
    expect(() => g.splitBlock(b, 21)).toThrow(JITLinkError);

    const z = g.createZeroFillBlock(data, 100, 0x3000, 4, 0);
    const zl = g.splitBlock(z, 40);
    expect([zl.size, z.size, zl.isZeroFill(), z.isZeroFill()]).toEqual([40, 60, true, true]);
  });

  test('edges by value: indexed access, reservation, removal, split, and Edge objects on demand', () => {
    const g = toyGraph();
    const data = g.createSection('.data', RW);
    const b = g.createContentBlock(data, new Uint8Array(32), 0x1000, 8, 0);
    const t = g.addExternalSymbol('t', 0);
    const u = g.addExternalSymbol('u', 0);
    expect(b.edgeCount).toBe(0);
    b.reserveEdges(2); // room for two; the rest grow the storage
    b.appendEdge(Pointer64, 0, t, 1);
    b.appendEdge(Delta32, 8, u, -4);
    b.appendEdge(Pointer64, 16, t, 2 ** 40); // a non-small addend stays exact
    b.appendEdge(Pointer64, 24, u, 3);
    const row = (i: number) => [b.edgeKind(i), b.edgeOffset(i), b.edgeTarget(i), b.edgeAddend(i)];
    expect(b.edgeCount).toBe(4);
    expect([0, 1, 2, 3].map(row)).toEqual([
      [Pointer64, 0, t, 1],
      [Delta32, 8, u, -4],
      [Pointer64, 16, t, 2 ** 40],
      [Pointer64, 24, u, 3],
    ]);
    b.setEdgeKind(1, Pointer64);
    b.setEdgeTarget(1, t);
    b.setEdgeOffset(1, 4);
    b.setEdgeAddend(1, 7);
    expect(row(1)).toEqual([Pointer64, 4, t, 7]);
    const scratch = new Edge(0, 0, u, 0);
    expect(b.readEdge(2, scratch)).toBe(scratch);
    expect([scratch.kind, scratch.offset, scratch.target, scratch.addend]).toEqual([
      Pointer64,
      16,
      t,
      2 ** 40,
    ]);
    b.removeEdgeAt(0);
    expect(b.edgeCount).toBe(3);
    expect(row(0)).toEqual([Pointer64, 4, t, 7]);
    expect(() => b.removeEdgeAt(3)).toThrow(JITLinkError);

    // Splitting moves edges by value.
    const left = g.splitBlock(b, 16);
    expect([left.edgeCount, b.edgeCount]).toEqual([1, 2]);
    expect([b.edgeOffset(0), b.edgeOffset(1)]).toEqual([0, 8]);

    // Asking for Edge objects keeps the order; from then on both views agree.
    const edges = b.edges;
    expect(edges.map((e) => [e.kind, e.offset, e.target, e.addend])).toEqual([
      [Pointer64, 0, t, 2 ** 40],
      [Pointer64, 8, u, 3],
    ]);
    expect(b.edges).toBe(edges);
    edges[0]!.addend = 5;
    expect(b.edgeAddend(0)).toBe(5);
    b.setEdgeTarget(1, t);
    expect(edges[1]!.target).toBe(t);
    const added = b.addEdge(Delta32, 12, u, 0);
    b.appendEdge(Delta32, 16, u, 0);
    expect(b.edgeCount).toBe(4);
    expect(b.edges[2]).toBe(added);
    b.removeEdge(added);
    expect(b.edges.map((e) => e.offset)).toEqual([0, 8, 16]);
  });
  test('edge arena: addends and offsets stay exact up to 2^53, whatever their sign', () => {
    const g = toyGraph();
    const bss = g.createSection('.bss', RW);
    // A zero-fill block larger than 4 GiB, so that edge offsets need more than 32 bits.
    const big = g.createZeroFillBlock(bss, 2 ** 34, 0, 8, 0);
    const t = g.addExternalSymbol('t', 0);
    const values = [
      2 ** 40,
      2 ** 40 + 1,
      -(2 ** 40) - 3,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 31,
      -(2 ** 31) - 1,
    ];
    values.forEach((addend, i) => big.appendEdge(Pointer64, 2 ** 33 + i * 8, t, addend));
    expect(values.map((_, i) => big.edgeAddend(i))).toEqual(values);
    expect(values.map((_, i) => big.edgeOffset(i))).toEqual(values.map((_, i) => 2 ** 33 + i * 8));
    big.setEdgeAddend(0, -(2 ** 52) + 7);
    expect(big.edgeAddend(0)).toBe(-(2 ** 52) + 7);
  });

  test('edge arena: ranges that outgrow their room move without losing or mixing edges', () => {
    const g = toyGraph();
    const data = g.createSection('.data', RW);
    const targets = [0, 1, 2, 3, 4].map((n) => g.addExternalSymbol(`t${n}`, 0));
    const blocks = [0, 1, 2].map((n) =>
      g.createContentBlock(data, new Uint8Array(4096), 0x1000 * (n + 1), 8, 0),
    );
    blocks[1]!.reserveEdges(3);
    // Appends interleaved across blocks: each block's range fills up and moves
    // to the arena's end several times, past the arena's own growth.
    for (let i = 0; i < 300; i++) {
      for (let b = 0; b < blocks.length; b++) {
        blocks[b]!.appendEdge(2 + b, i * 8, targets[(i + b) % targets.length]!, b * 1_000_000 + i);
      }
    }
    const rows = (b: number) =>
      Array.from({ length: blocks[b]!.edgeCount }, (_, i) => [
        blocks[b]!.edgeKind(i),
        blocks[b]!.edgeOffset(i),
        blocks[b]!.edgeTarget(i).name,
        blocks[b]!.edgeAddend(i),
      ]);
    const expected = (b: number, from = 0) =>
      Array.from({ length: 300 - from }, (_, k) => {
        const i = k + from;
        return [2 + b, i * 8, `t${(i + b) % targets.length}`, b * 1_000_000 + i];
      });
    for (let b = 0; b < blocks.length; b++) expect(rows(b)).toEqual(expected(b));

    // Reservation on a block that already has edges keeps them.
    blocks[0]!.reserveEdges(1000);
    expect(rows(0)).toEqual(expected(0));

    // Removal shifts the rest of the block's range only.
    blocks[2]!.removeEdgeAt(0);
    expect(rows(2)).toEqual(expected(2, 1));
    expect(rows(1)).toEqual(expected(1));

    // A split appends to the new block (growing the arena) while compacting the old range.
    const left = g.splitBlock(blocks[1]!, 1200);
    expect(left.edgeCount).toBe(150);
    expect(blocks[1]!.edgeCount).toBe(150);
    expect(blocks[1]!.edgeOffset(0)).toBe(0);
    expect(blocks[1]!.edgeTarget(149).name).toBe(`t${(299 + 1) % 5}`);
    expect(left.edgeAddend(149)).toBe(1_000_149);
    expect(rows(0)).toEqual(expected(0));
  });

  test('edge arena: a graph-level reservation holds the blocks\' reservations and edges without regrowing', () => {
    const g = toyGraph();
    const data = g.createSection('.data', RW);
    const t = g.addExternalSymbol('t', 0);
    const columns = () => (g as unknown as { edgeArena: { kinds: Int32Array } }).edgeArena.kinds;
    expect(columns().length).toBe(0); // nothing allocated before the first edge
    g.reserveEdges(100 * 11);
    const reserved = columns();
    for (let b = 0; b < 100; b++) {
      const block = g.createContentBlock(data, new Uint8Array(80), 0x1000 + b * 80, 8, 0);
      block.reserveEdges(10); // and its spare slot: 11 slots
      for (let i = 0; i < 10; i++) block.appendEdge(Pointer64, i * 8, t, b * 10 + i);
    }
    expect(columns()).toBe(reserved);
    const blocks = g.blockList();
    expect(blocks.map((b) => b.edgeAddend(9))).toEqual(blocks.map((_, b) => b * 10 + 9));
  });

  test('edge arena: a graph-level reservation leaves a quarter more and 64 slots for the edges the link\'s passes add', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const got = g.createSection('$__GOT', RW);
    const t = g.addExternalSymbol('t', 0);
    const columns = () => (g as unknown as { edgeArena: { kinds: Int32Array } }).edgeArena.kinds;
    // A builder reserves its relocations (with their spare slots)...
    g.reserveEdges(400);
    const reserved = columns();
    const code = g.createContentBlock(text, new Uint8Array(4096), 0x1000, 16, 0);
    code.reserveEdges(399);
    for (let i = 0; i < 399; i++) code.appendEdge(Delta32, i * 8, t, i);
    // ...then passes add a quarter as many and 64 more (table entries, one
    // edge each) without replacing the columns.
    for (let i = 0; i < 164; i++) {
      const entry = g.createContentBlock(got, new Uint8Array(8), 0x10000 + i * 8, 8, 0);
      entry.appendEdge(Pointer64, 0, t, i);
    }
    expect(columns()).toBe(reserved);
    expect([code.edgeAddend(0), code.edgeAddend(398), [...got.blocks][163]!.edgeAddend(0)]).toEqual([0, 398, 163]);
    // Growing past the reservation replaces the columns; every edge is kept.
    for (let i = 0; i < 2000; i++) code.appendEdge(Pointer64, 16, t, i);
    expect(columns()).not.toBe(reserved);
    expect([code.edgeCount, code.edgeAddend(398), code.edgeAddend(2398)]).toEqual([2399, 398, 1999]);
  });

  test('edge arena: an edge index outside the block, a target from another graph, or a non-integer kind is refused', () => {
    const g = toyGraph();
    const data = g.createSection('.data', RW);
    const a = g.createContentBlock(data, new Uint8Array(16), 0x1000, 8, 0);
    const b = g.createContentBlock(data, new Uint8Array(16), 0x2000, 8, 0);
    const t = g.addExternalSymbol('t', 0);
    a.appendEdge(Pointer64, 0, t, 0);
    b.appendEdge(Pointer64, 8, t, 0);
    // Index 1 of `a` would be `b`'s edge in the arena: it must not be read.
    expect(() => a.edgeOffset(1)).toThrow(/edge index 1 is out of range/);
    expect(() => a.edgeTarget(-1)).toThrow(JITLinkError);
    expect(() => a.setEdgeAddend(1, 0)).toThrow(JITLinkError);

    const other = toyGraph();
    const stranger = other.addExternalSymbol('t', 0);
    expect(() => a.appendEdge(Pointer64, 8, stranger, 0)).toThrow(/not a symbol of this graph/);
    expect(() => a.setEdgeTarget(0, stranger)).toThrow(JITLinkError);
    expect(() => a.appendEdge(2 ** 32, 8, t, 0)).toThrow(/not a 32-bit integer/);
    expect(a.edgeCount).toBe(1);
    expect(a.edgeTarget(0)).toBe(t);
  });

  test('allocateString / allocateContent copy into graph-owned memory', () => {
    const g = toyGraph();
    expect(Array.from(g.allocateString('hi'))).toEqual([0x68, 0x69]);
    const src = new Uint8Array([1, 2]);
    const copy = g.allocateContent(src);
    copy[0] = 7;
    expect(src[0]).toBe(1);
  });

  test('mayHaveEdgeOfKind: false only when no edge has one of the kinds', () => {
    const DELTA32_ONLY = new Uint8Array(Delta32 + 1);
    DELTA32_ONLY[Delta32] = 1;
    const g = toyGraph();
    expect(g.mayHaveEdgeOfKind(DELTA32_ONLY)).toBe(false);
    const text = g.createSection('.text', RX);
    const b = g.createContentBlock(text, new Uint8Array(16), 0, 4, 0);
    const ext = g.addExternalSymbol('puts', 0);
    b.appendEdge(Pointer64, 0, ext, 0);
    expect(g.mayHaveEdgeOfKind(DELTA32_ONLY)).toBe(false);
    // Kinds beyond the table are none of them.
    b.appendEdge(Delta32 + 7, 8, ext, 0);
    expect(g.mayHaveEdgeOfKind(DELTA32_ONLY)).toBe(false);
    b.setEdgeKind(1, Delta32);
    expect(g.mayHaveEdgeOfKind(DELTA32_ONLY)).toBe(true);
    b.setEdgeKind(1, Pointer64);
    expect(g.mayHaveEdgeOfKind(DELTA32_ONLY)).toBe(false);
    // Edges kept as objects are not in the column: the answer is then "maybe".
    const c = g.createContentBlock(text, new Uint8Array(8), 0x20, 4, 0);
    c.addEdge(Pointer64, 0, ext, 0);
    expect(g.mayHaveEdgeOfKind(DELTA32_ONLY)).toBe(true);
  });

  test('mayHaveEdgeOfKind sees the edges a merged graph brings', () => {
    const DELTA32_ONLY = new Uint8Array(Delta32 + 1);
    DELTA32_ONLY[Delta32] = 1;
    const a = toyGraph('a.o');
    a.createContentBlock(a.createSection('.text', RX), new Uint8Array(8), 0, 4, 0);
    const b = toyGraph('b.o');
    const bBlock = b.createContentBlock(b.createSection('.data', RW), new Uint8Array(8), 0, 4, 0);
    bBlock.appendEdge(Delta32, 0, b.addExternalSymbol('x', 0), 0);
    mergeLinkGraphs(a, b);
    expect(a.mayHaveEdgeOfKind(DELTA32_ONLY)).toBe(true);
  });

  test('printer shows sections, blocks, symbols and edges with kind names', () => {
    const g = toyGraph('print.o');
    const text = g.createSection('.text', RX);
    const b = g.createContentBlock(text, new Uint8Array(16), 0x1000, 16, 0);
    g.addDefinedSymbol(b, 0, 'main', 16, Linkage.Strong, Scope.Default, true, true);
    const ext = g.addExternalSymbol('puts', 0);
    b.addEdge(Delta32, 4, ext, -4);
    const text2 = printLinkGraph(g);
    expect(text2).toContain('section .text (R-X, ordinal 0)');
    expect(text2).toContain('block 0x0000000000001000 size = 0x00000010, align = 16, alignment-offset = 0');
    expect(text2).toMatch(
      /0x0000000000001000 \(block \+ 0x00000000\): size: 0x00000010, linkage: strong, scope: default, live, callable {2}- {2}main/,
    );
    expect(text2).toContain('addend = -0x00000004, kind = Delta32, target = puts');
    expect(text2).toContain('external symbols:');
  });
});

describe('computeSegmentLayout', () => {
  test('orders blocks by section ordinal then address (whatever order they were created in), content before zero-fill', () => {
    const g = toyGraph();
    const text = g.createSection('.text', RX);
    const text2 = g.createSection('.text.b', RX);
    const data = g.createSection('.data', RW);
    const late = g.createContentBlock(text, new Uint8Array(3), 0x300, 1, 0);
    const early = g.createContentBlock(text, new Uint8Array(5), 0x100, 4, 0);
    const zero = g.createZeroFillBlock(text, 16, 0x50, 16, 0);
    const other = g.createContentBlock(text2, new Uint8Array(2), 0x10, 8, 2);
    const d = g.createContentBlock(data, new Uint8Array(8), 0, 8, 0);
    const layout = computeSegmentLayout(g);
    const rx = layout.segments.find((s) => s.request.group === allocGroup(RX, MemLifetime.Standard))!;
    expect(rx.blocks).toEqual([early, late, other, zero]);
    // early at 0 (5 bytes), late at 5 (3 bytes), other at 8k + 2 => 10, zero-fill aligned to 16 after them.
    expect(rx.offsets).toEqual([0, 5, 10, 16]);
    expect(rx.request).toEqual({ group: rx.request.group, alignment: 16, contentSize: 12, zeroFillSize: 20 });
    const rw = layout.segments.find((s) => s.request.group === allocGroup(RW, MemLifetime.Standard))!;
    expect(rw.blocks).toEqual([d]);
    // Layout does not reorder the section's own set.
    expect([...text.blocks]).toEqual([late, early, zero]);
  });

  test('follows section ordinals, not creation order, and lists segments by group', () => {
    const g = toyGraph();
    const first = g.createSection('.text.first', RX);
    const data = g.createSection('.data', RW);
    const second = g.createSection('.text.second', RX);
    const a = g.createContentBlock(first, new Uint8Array(4), 0, 4, 0);
    const d = g.createContentBlock(data, new Uint8Array(8), 0, 8, 0);
    const b = g.createContentBlock(second, new Uint8Array(4), 0, 4, 0);
    first.ordinal = second.ordinal + 1;
    data.ordinal = first.ordinal + 1; // RW (3) comes after RX (5): segments are still listed by group
    const layout = computeSegmentLayout(g);
    const rx = layout.segments.find((s) => s.request.group === allocGroup(RX, MemLifetime.Standard))!;
    expect(rx.blocks).toEqual([b, a]);
    const groups = layout.segments.map((s) => s.request.group);
    expect(groups).toEqual([...groups].sort((x, y) => x - y));
    expect(layout.request.segments).toEqual(layout.segments.map((s) => s.request));
    expect(layout.segments.find((s) => s.blocks.includes(d))!.blocks).toEqual([d]);
  });
});
