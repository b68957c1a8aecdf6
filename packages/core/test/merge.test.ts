import {
  computeSegmentLayout,
  graphDefinitions,
  JITLinkError,
  LinkGraph,
  Linkage,
  mergeLinkGraphs,
  MemProt,
  prune,
  Scope,
  type Block,
  type Section,
} from '../src/index.js';
import { countGraphOperations, Delta32, expectLinear, Pointer64, toyGraph } from './helpers.js';

const RX = MemProt.Read | MemProt.Exec;
const R = MemProt.Read;
const RW = MemProt.Read | MemProt.Write;

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

function blocksByAddress(section: Section): Block[] {
  return [...section.blocks].sort((a, b) => a.address - b.address);
}

function caught(f: () => void): JITLinkError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('expected an error');
}

describe('mergeLinkGraphs', () => {
  test('same-named sections are concatenated after the existing blocks, other sections follow in order', () => {
    const a = toyGraph('a.o');
    const aText = a.createSection('.text', RX);
    const aItems = a.createSection('items', R);
    const a1 = a.createContentBlock(aText, bytes(8, 1), 0, 4, 0);
    const a2 = a.createContentBlock(aItems, bytes(16, 2), 0x20, 16, 0);

    const b = toyGraph('b.o');
    const bData = b.createSection('.data', RW);
    const bItems = b.createSection('items', RW);
    const bText = b.createSection('.text', RX);
    const b1 = b.createContentBlock(bData, bytes(4, 3), 0, 4, 0);
    const b2 = b.createContentBlock(bItems, bytes(16, 4), 0x10, 16, 0);
    const b3 = b.createContentBlock(bItems, bytes(16, 5), 0x30, 16, 0);
    const b4 = b.createContentBlock(bText, bytes(4, 6), 0x40, 4, 0);

    mergeLinkGraphs(a, b);

    expect([...a.sections()].sort((x, y) => x.ordinal - y.ordinal).map((s) => s.name)).toEqual(['.text', 'items', '.data']);
    expect(blocksByAddress(aItems)).toEqual([a2, b2, b3]);
    expect(blocksByAddress(aText)).toEqual([a1, b4]);
    expect(a.findSectionByName('.data')!.blocks).toEqual(new Set([b1]));
    for (const blk of [b1, b2, b3, b4]) expect(blk.section.name).toBe(a.findSectionByName(blk.section.name)!.name);
    // Relative addresses and alignment of the moved blocks are preserved.
    expect(b3.address - b2.address).toBe(0x20);
    expect(b2.address % 16).toBe(0);
    expect(b1.address).toBeGreaterThanOrEqual(a2.address + a2.size);
    // Section protections are the union of both.
    expect(aItems.prot).toBe(RW);
    expect(b.sectionCount).toBe(0);

    // Layout keeps a's blocks first within the merged section.
    const layout = computeSegmentLayout(a);
    const rw = layout.segments.find((s) => s.blocks.includes(a2))!;
    expect(rw.blocks.indexOf(a2)).toBeLessThan(rw.blocks.indexOf(b2));
    expect(rw.blocks.indexOf(b2)).toBeLessThan(rw.blocks.indexOf(b3));
  });

  test('externals resolve to definitions in the other graph, in both directions, and edges are retargeted', () => {
    const a = toyGraph('a.o');
    const aText = a.createSection('.text', RX);
    const aBlock = a.createContentBlock(aText, bytes(16, 0), 0, 4, 0);
    const main = a.addDefinedSymbol(aBlock, 0, 'main', 8, Linkage.Strong, Scope.Default, true, true);
    const aHelper = a.addExternalSymbol('helper', 0);
    const aPuts = a.addExternalSymbol('puts', 0, Linkage.Weak);
    const e1 = aBlock.addEdge(Delta32, 4, aHelper, -4);
    const e2 = aBlock.addEdge(Delta32, 8, aPuts, -4);

    const b = toyGraph('b.o');
    const bText = b.createSection('.text', RX);
    const bBlock = b.createContentBlock(bText, bytes(16, 0), 0, 4, 0);
    const helper = b.addDefinedSymbol(bBlock, 0, 'helper', 8, Linkage.Strong, Scope.Hidden, true, false);
    const bMain = b.addExternalSymbol('main', 0);
    const bPuts = b.addExternalSymbol('puts', 0);
    const e3 = bBlock.addEdge(Pointer64, 8, bMain, 0);
    const e4 = bBlock.addEdge(Delta32, 0, bPuts, 0);

    mergeLinkGraphs(a, b);

    expect(e1.target).toBe(helper);
    expect(e3.target).toBe(main);
    // Externals present in both graphs are unified; one strong reference makes it strong.
    expect([...a.externalSymbols()]).toEqual([aPuts]);
    expect(e2.target).toBe(aPuts);
    expect(e4.target).toBe(aPuts);
    expect(aPuts.linkage).toBe(Linkage.Strong);
    expect(aHelper.inGraph).toBe(false);
    expect(bMain.inGraph).toBe(false);
    expect(helper.isDefined() && helper.block.section).toBe(aText);
    expect([...a.definedSymbols()].map((s) => s.name).sort()).toEqual(['helper', 'main']);
  });

  test('edges kept by value move with their blocks: retargeted across the graphs, extended afterwards', () => {
    const a = toyGraph('a.o');
    const aText = a.createSection('.text', RX);
    const aBlock = a.createContentBlock(aText, bytes(32, 0), 0, 4, 0);
    const main = a.addDefinedSymbol(aBlock, 0, 'main', 8, Linkage.Strong, Scope.Default, true, true);
    aBlock.appendEdge(Delta32, 4, a.addExternalSymbol('helper', 0), -4);
    aBlock.appendEdge(Pointer64, 8, main, 2 ** 40);

    const b = toyGraph('b.o');
    const bData = b.createSection('.data', RW);
    b.createContentBlock(bData, bytes(8, 0), 0, 8, 0); // symbols and edges of b come after a's in a's arena
    const bText = b.createSection('.text', RX);
    const bBlock = b.createContentBlock(bText, bytes(32, 0), 0x100, 4, 0);
    const helper = b.addDefinedSymbol(bBlock, 0, 'helper', 8, Linkage.Strong, Scope.Default, true, false);
    const local = b.addAnonymousSymbol(bBlock, 16, 4, false, false);
    const seven = b.addAbsoluteSymbol('seven', 7, 0, Linkage.Strong, Scope.Default, false);
    bBlock.appendEdge(Pointer64, 0, b.addExternalSymbol('main', 0), 1);
    bBlock.appendEdge(Delta32, 8, b.addExternalSymbol('printf', 0), -4);
    bBlock.appendEdge(Delta32, 12, local, -(2 ** 33));
    bBlock.appendEdge(Pointer64, 16, seven, 0);
    bBlock.appendEdge(Pointer64, 24, helper, 3);

    mergeLinkGraphs(a, b);

    const row = (block: Block, i: number) => [block.edgeOffset(i), block.edgeTarget(i), block.edgeAddend(i)];
    expect([0, 1].map((i) => row(aBlock, i))).toEqual([
      [4, helper, -4],
      [8, main, 2 ** 40],
    ]);
    const printf = a.findExternalSymbol('printf')!;
    const movedSeven = [...a.absoluteSymbols()].find((s) => s.name === 'seven')!;
    expect([0, 1, 2, 3, 4].map((i) => row(bBlock, i))).toEqual([
      [0, main, 1],
      [8, printf, -4],
      [12, local, -(2 ** 33)],
      [16, movedSeven, 0],
      [24, helper, 3],
    ]);
    // The moved block now belongs to a: new edges to a's symbols are accepted, b's new ones refused.
    bBlock.appendEdge(Delta32, 28, main, 0);
    expect(row(bBlock, 5)).toEqual([28, main, 0]);
    expect(() => bBlock.appendEdge(Delta32, 28, b.addExternalSymbol('late', 0), 0)).toThrow(JITLinkError);
  });

  test('externals of the merged graph that nothing resolves are moved', () => {
    const a = toyGraph('a.o');
    const b = toyGraph('b.o');
    const t = b.createSection('.text', RX);
    const blk = b.createContentBlock(t, bytes(8, 0), 0, 1, 0);
    const ext = b.addExternalSymbol('printf', 0);
    const e = blk.addEdge(Delta32, 0, ext, -4);
    mergeLinkGraphs(a, b);
    const moved = a.findExternalSymbol('printf')!;
    expect(moved).toBeDefined();
    expect(e.target).toBe(moved);
    expect(ext.inGraph).toBe(false);
  });

  test('two strong definitions are a DuplicateDefinition naming both graphs, and nothing is changed', () => {
    const a = toyGraph('first.o');
    const b = toyGraph('second.o');
    for (const g of [a, b]) {
      const s = g.createSection('.data', RW);
      const blk = g.createContentBlock(s, bytes(4, 0), 0, 4, 0);
      g.addDefinedSymbol(blk, 0, 'counter', 4, Linkage.Strong, Scope.Default, false, false);
    }
    const err = caught(() => mergeLinkGraphs(a, b));
    expect(err.code).toBe('DuplicateDefinition');
    expect(err.message).toMatch(/counter/);
    expect(err.message).toMatch(/first\.o/);
    expect(err.message).toMatch(/second\.o/);
    expect(b.sectionCount).toBe(1);
    expect(a.findSectionByName('.data')!.blocks.size).toBe(1);
  });

  test('weak definitions: the strong one wins, between weak ones the first; losers are dead-stripped', () => {
    const a = toyGraph('a.o');
    const aData = a.createSection('.data', RW);
    const aWeakBlock = a.createContentBlock(aData, bytes(4, 1), 0, 4, 0);
    const aWeak = a.addDefinedSymbol(aWeakBlock, 0, 'config', 4, Linkage.Weak, Scope.Default, false, false);
    const aBothBlock = a.createContentBlock(aData, bytes(4, 2), 8, 4, 0);
    const aBoth = a.addDefinedSymbol(aBothBlock, 0, 'inline_fn', 4, Linkage.Weak, Scope.Default, false, false);
    const aText = a.createSection('.text', RX);
    const aCode = a.createContentBlock(aText, bytes(16, 0), 0x10, 1, 0);
    a.addDefinedSymbol(aCode, 0, 'main', 16, Linkage.Strong, Scope.Default, true, true);
    const ea1 = aCode.addEdge(Pointer64, 0, aWeak, 0);
    const ea2 = aCode.addEdge(Pointer64, 8, aBoth, 0);

    const b = toyGraph('b.o');
    const bData = b.createSection('.data', RW);
    const bStrongBlock = b.createContentBlock(bData, bytes(4, 3), 0, 4, 0);
    const bStrong = b.addDefinedSymbol(bStrongBlock, 0, 'config', 4, Linkage.Strong, Scope.Default, false, false);
    const bBothBlock = b.createContentBlock(bData, bytes(4, 4), 8, 4, 0);
    const bBoth = b.addDefinedSymbol(bBothBlock, 0, 'inline_fn', 4, Linkage.Weak, Scope.Default, false, true);
    const bText = b.createSection('.text', RX);
    const bCode = b.createContentBlock(bText, bytes(16, 0), 0x10, 1, 0);
    b.addDefinedSymbol(bCode, 0, 'other', 16, Linkage.Strong, Scope.Default, true, true);
    const eb1 = bCode.addEdge(Pointer64, 0, bStrong, 0);
    const eb2 = bCode.addEdge(Pointer64, 8, bBoth, 0);

    mergeLinkGraphs(a, b);

    expect(ea1.target).toBe(bStrong);
    expect(eb1.target).toBe(bStrong);
    expect(ea2.target).toBe(aBoth);
    expect(eb2.target).toBe(aBoth);
    expect(aWeak.inGraph).toBe(false);
    expect(bBoth.inGraph).toBe(false);
    expect(aBoth.live).toBe(true); // the loser was live
    const names = [...a.definedSymbols()].map((s) => s.name).sort();
    expect(names).toEqual(['config', 'inline_fn', 'main', 'other']);

    prune(a);
    const blocks = new Set(a.blocks());
    expect(blocks.has(aWeakBlock)).toBe(false);
    expect(blocks.has(bBothBlock)).toBe(false);
    expect(blocks.has(bStrongBlock)).toBe(true);
    expect(blocks.has(aBothBlock)).toBe(true);
  });

  test('absolute symbols move and bind references', () => {
    const a = toyGraph('a.o');
    const t = a.createSection('.text', RX);
    const code = a.createContentBlock(t, bytes(8, 0), 0, 1, 0);
    const ext = a.addExternalSymbol('BASE', 0);
    const e = code.addEdge(Pointer64, 0, ext, 0);
    const b = toyGraph('b.o');
    b.addAbsoluteSymbol('BASE', 0x4000, 0, Linkage.Strong, Scope.Default, false);
    b.addAbsoluteSymbol('LIMIT', 0x8000, 0, Linkage.Strong, Scope.Default, false);
    mergeLinkGraphs(a, b);
    const abs = [...a.absoluteSymbols()];
    expect(abs.map((s) => [s.name, s.address])).toEqual([
      ['BASE', 0x4000],
      ['LIMIT', 0x8000],
    ]);
    expect(e.target).toBe(abs[0]);
    expect(a.findExternalSymbol('BASE')).toBeUndefined();
    expect([...b.absoluteSymbols()]).toEqual([]);
  });

  test('local symbols of the same name do not clash', () => {
    const a = toyGraph('a.o');
    const b = toyGraph('b.o');
    const syms = [a, b].map((g) => {
      const s = g.createSection('.data', RW);
      const blk = g.createContentBlock(s, bytes(4, 0), 0, 4, 0);
      return g.addDefinedSymbol(blk, 0, 'counter', 4, Linkage.Strong, Scope.Local, false, false);
    });
    mergeLinkGraphs(a, b);
    expect([...a.definedSymbols()]).toEqual(syms);
  });

  test('alloc actions are appended; incompatible graphs are rejected', () => {
    const a = toyGraph('a.o');
    const b = toyGraph('b.o');
    a.allocActions.push({ finalize: { fn: 'first', args: [] } });
    b.allocActions.push({ finalize: { fn: 'second', args: [1] } });
    b.requiresLow32BitAddresses = true;
    mergeLinkGraphs(a, b);
    expect(a.allocActions.map((x) => x.finalize.fn)).toEqual(['first', 'second']);
    expect(b.allocActions).toEqual([]);
    expect(a.requiresLow32BitAddresses).toBe(true);

    const big = new LinkGraph({ name: 'big.o', triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness: 'big' });
    expect(caught(() => mergeLinkGraphs(a, big)).code).toBe('InvalidGraphOperation');
    const other = new LinkGraph({ name: 'arm.o', triple: 'aarch64-unknown-linux-gnu', pointerSize: 8, endianness: 'little' });
    expect(caught(() => mergeLinkGraphs(a, other)).message).toMatch(/arm\.o/);
    expect(caught(() => mergeLinkGraphs(a, a)).code).toBe('InvalidGraphOperation');
  });

  test('canMergeSections can keep sections apart; onSectionMoved reports where each went', () => {
    const a = toyGraph('a.o');
    const aGroup = a.createSection('.text.inline', RX);
    a.createContentBlock(aGroup, bytes(4, 0), 0, 1, 0);
    const b = toyGraph('b.o');
    const bGroup = b.createSection('.text.inline', RX);
    const bBlock = b.createContentBlock(bGroup, bytes(4, 0), 0, 1, 0);
    const moved: [string, string][] = [];
    mergeLinkGraphs(a, b, {
      canMergeSections: () => false,
      onSectionMoved: (f, t) => moved.push([f.name, t.name]),
    });
    expect(moved).toEqual([['.text.inline', '.text.inline [b.o]']]);
    expect(bBlock.section.name).toBe('.text.inline [b.o]');
    expect(aGroup.blocks.size).toBe(1);
  });

  test('linear work on large graphs: 10x the symbols, at most ~10x the graph operations', () => {
    const make = (name: string, prefix: string, n: number) => {
      const g = toyGraph(name);
      const s = g.createSection('.text', RX);
      const ext = g.addExternalSymbol(`${prefix === 'a' ? 'b' : 'a'}_0`, 0);
      for (let i = 0; i < n; i++) {
        const blk = g.createContentBlock(s, bytes(8, 0), i * 8, 8, 0);
        g.addDefinedSymbol(blk, 0, `${prefix}_${i}`, 8, Linkage.Strong, Scope.Default, true, false);
        blk.addEdge(Delta32, 0, ext, 0);
      }
      return g;
    };
    expectLinear((n) => {
      const a = make('a.o', 'a', n);
      const b = make('b.o', 'b', n);
      const operations = countGraphOperations(() => mergeLinkGraphs(a, b));
      expect([...a.externalSymbols()]).toEqual([]);
      expect(a.findSectionByName('.text')!.blocks.size).toBe(2 * n);
      return operations;
    }, 2000);
  });
});

describe('common symbols are known by their section, whatever its name', () => {
  test('addCommonSymbol marks the section; definitions report its symbols as common, also after a merge', () => {
    const a = toyGraph('a.o');
    const commons = a.createSection('commons-of-a-made-up-format', MemProt.Read | MemProt.Write);
    const data = a.createSection('.bss', MemProt.Read | MemProt.Write);
    a.addCommonSymbol('counter', Scope.Default, commons, 0x1000, 8, 8, false);
    a.addDefinedSymbol(a.createZeroFillBlock(data, 4, 0x2000, 4, 0), 0, 'plain', 4, Linkage.Strong, Scope.Default, false, false);
    expect(commons.holdsCommonSymbols).toBe(true);
    expect(data.holdsCommonSymbols).toBe(false);
    const definitions = graphDefinitions(a);
    expect(definitions.get('counter')).toEqual({ hidden: false, weak: true, callable: false, common: { size: 8, alignment: 8 } });
    expect(definitions.get('plain')?.common).toBeUndefined();

    const b = toyGraph('b.o');
    const bCommons = b.createSection('commons-of-a-made-up-format', MemProt.Read | MemProt.Write);
    b.addCommonSymbol('other', Scope.Default, bCommons, 0x1000, 16, 16, false);
    const c = toyGraph('c.o');
    c.addCommonSymbol('third', Scope.Default, c.createSection('.bss', MemProt.Read | MemProt.Write), 0x1000, 4, 4, false);
    mergeLinkGraphs(a, b);
    mergeLinkGraphs(a, c);
    const merged = graphDefinitions(a);
    expect(merged.get('other')?.common).toEqual({ size: 16, alignment: 16 });
    // A section of commons is not merged into one of other definitions of the same name.
    expect(merged.get('third')?.common).toEqual({ size: 4, alignment: 4 });
    expect(merged.get('plain')?.common).toBeUndefined();
    expect(a.findSectionByName('.bss')?.holdsCommonSymbols).toBe(false);
    expect(a.findSectionByName('commons-of-a-made-up-format')?.symbols.size).toBe(2);
  });
});
