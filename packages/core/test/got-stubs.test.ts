/** The GOT/stub pass skeleton (GOTAndStubs), table entries by target index, and readTableEntry. */
import {
  EdgeKinds,
  GOTAndStubs,
  GOTStubAction,
  JITLinkError,
  Linkage,
  MemProt,
  readTableEntry,
  Scope,
  TableManager,
  type Block,
  type EdgeKind,
  type GOTAndStubsFormat,
  type LinkGraph,
  type Symbol,
  type TableEntryShape,
} from '../src/index.js';
import { Delta32, Pointer64, toyGraph } from './helpers.js';

// The toy architecture's kinds beyond Pointer64 and Delta32, for this pass only.
const Call = EdgeKinds.FirstRelocation + 2;
const DirectCall = EdgeKinds.FirstRelocation + 3;
const RequestGOT = EdgeKinds.FirstRelocation + 4;
const FromGOT = EdgeKinds.FirstRelocation + 5;
const ThreadLocal = EdgeKinds.FirstRelocation + 6;
const Marked = EdgeKinds.FirstRelocation + 7;

const actions = new Uint8Array(EdgeKinds.FirstRelocation + 8);
actions[Call] = GOTStubAction.StubCall;
actions[RequestGOT] = GOTStubAction.GOTRequest;
actions[FromGOT] = GOTStubAction.GOTRelative;
actions[ThreadLocal] = GOTStubAction.Unsupported;
actions[Marked] = GOTStubAction.Other;
const requestBecomes = new Int32Array(actions.length);
requestBecomes[RequestGOT] = Delta32;

function toyFormat(directCallKind?: EdgeKind): GOTAndStubsFormat {
  return {
    got: {
      sectionName: '$__TOYGOT',
      sectionProt: MemProt.Read | MemProt.Write,
      entrySize: 8,
      alignment: 8,
      template: new Uint8Array(8),
      callable: false,
      blockAddress: 8,
      addEntryEdges: (block, offset, target) => block.appendEdge(Pointer64, offset, target, 0),
    },
    stubs: {
      sectionName: '$__TOYSTUBS',
      sectionProt: MemProt.Read | MemProt.Exec,
      entrySize: 6,
      alignment: 2,
      template: new Uint8Array(6),
      callable: true,
      addStubEdges: (block, offset, gotEntry) => block.appendEdge(Delta32, offset + 2, gotEntry, 0),
    },
    gotBaseName: '_GLOBAL_OFFSET_TABLE_',
    actions,
    requestBecomes,
    directCallKind,
    unsupportedEdge: (graph, block, i, kind) =>
      new JITLinkError('UnsupportedFeature', `kind ${kind} at ${block.edgeOffset(i)}`, {
        file: graph.name,
        section: block.section.name,
      }),
  };
}

/** A code block with one edge of each kind in `edges`, to the given targets. */
function code(graph: LinkGraph, edges: [EdgeKind, Symbol][]): Block {
  const section =
    graph.findSectionByName('.text') ?? graph.createSection('.text', MemProt.Read | MemProt.Exec);
  const block = graph.createMutableContentBlock(section, new Uint8Array(4 * edges.length + 4), 0, 16, 0);
  graph.addDefinedSymbol(
    block,
    0,
    `f${section.blocks.size}`,
    block.size,
    Linkage.Strong,
    Scope.Default,
    true,
    true,
  );
  edges.forEach(([kind, target], i) => block.appendEdge(kind, 4 * i, target, 0));
  return block;
}

describe('GOTAndStubs (the GOT/stub pass skeleton)', () => {
  it('every call outside the graph is lowered, also where making its stub grows the edge storage', () => {
    // Each stub and GOT entry adds edges to its table's block: with 300 callees the graph's edge
    // columns are replaced while calls are lowered, and each call's new target must land in the
    // columns in use.
    const graph = toyGraph();
    const callees = Array.from({ length: 300 }, (_, i) => graph.addExternalSymbol(`ext${i}`, 0));
    const block = code(
      graph,
      callees.map((callee): [EdgeKind, Symbol] => [Call, callee]),
    );
    const tables = new GOTAndStubs(graph, toyFormat());
    tables.run();
    const notLowered = callees.filter((callee, i) => block.edgeTarget(i) !== tables.findStub(callee));
    expect(notLowered.map((s) => s.name)).toEqual([]);
  });

  it('lowers GOT requests and calls outside the graph, one entry and one stub per target', () => {
    const graph = toyGraph();
    const [puts, data] = [graph.addExternalSymbol('puts', 0), graph.addExternalSymbol('data', 0)];
    const local = code(graph, []);
    const localFn = graph.addDefinedSymbol(local, 0, 'local', 4, Linkage.Strong, Scope.Local, true, true);
    const block = code(graph, [
      [Call, puts],
      [RequestGOT, data],
      [Call, puts],
      [Call, localFn],
      [Delta32, data],
    ]);
    const tables = new GOTAndStubs(graph, toyFormat());
    tables.run();
    const stub = tables.findStub(puts)!;
    expect(block.edgeTarget(0)).toBe(stub);
    expect(block.edgeTarget(2)).toBe(stub);
    expect([block.edgeKind(0), block.edgeKind(2)]).toEqual([Call, Call]);
    // The request now points at the entry, as the kind it becomes.
    expect(block.edgeTarget(1)).toBe(tables.findGOTEntry(data));
    expect(block.edgeKind(1)).toBe(Delta32);
    // A callee defined in the graph is called directly, and keeps its kind without a directCallKind.
    expect([block.edgeTarget(3), block.edgeKind(3)]).toEqual([localFn, Call]);
    // Other kinds are left alone.
    expect(block.edgeTarget(4)).toBe(data);
    // Entries and stubs know whom they serve; the stub jumps through puts' GOT entry.
    expect(tables.stubTarget(stub)).toBe(puts);
    expect(tables.gotEntryTarget(tables.findGOTEntry(puts)!)).toBe(puts);
    expect(stub.block.edgeTarget(0)).toBe(tables.findGOTEntry(puts));
    expect(tables.stubTarget(tables.findGOTEntry(puts)!)).toBeUndefined();
    expect(tables.gotEntryTarget(puts)).toBeUndefined();
    expect(tables.isStub(stub)).toBe(true);
    // The GOT's section comes first, as each stub's entry is made before it.
    expect(graph.sectionList().map((s) => s.name)).toEqual(['.text', '$__TOYGOT', '$__TOYSTUBS']);
    expect(graph.findExternalSymbol('_GLOBAL_OFFSET_TABLE_')).toBeUndefined();
  });

  it('gives a call to a function of the graph the direct kind, if the architecture has one', () => {
    const graph = toyGraph();
    const fn = graph.addDefinedSymbol(code(graph, []), 0, 'fn', 4, Linkage.Strong, Scope.Default, true, true);
    const block = code(graph, [[Call, fn]]);
    new GOTAndStubs(graph, toyFormat(DirectCall)).run();
    expect([block.edgeTarget(0), block.edgeKind(0)]).toEqual([fn, DirectCall]);
  });

  it('defines the GOT base where an edge measures from it, or a request becomes such an edge', () => {
    for (const [kind, becomes] of [
      [FromGOT, undefined],
      [RequestGOT, FromGOT],
    ] as const) {
      const graph = toyGraph();
      const becomesTable = new Int32Array(requestBecomes);
      if (becomes !== undefined) becomesTable[RequestGOT] = becomes;
      code(graph, [[kind, graph.addExternalSymbol('x', 0)]]);
      const tables = new GOTAndStubs(graph, { ...toyFormat(), requestBecomes: becomesTable });
      tables.run();
      const base = [...graph.findSectionByName('$__TOYGOT')!.symbols].find(
        (s) => s.name === '_GLOBAL_OFFSET_TABLE_',
      );
      expect(base?.offset).toBe(0);
      expect(tables.defineGOTBase()).toBe(base);
    }
  });

  it('reports an unsupported edge with the architecture’s error, and hands Other edges to the subclass', () => {
    const graph = toyGraph('tls.o');
    code(graph, [[ThreadLocal, graph.addExternalSymbol('tv', 0)]]);
    expect(() => new GOTAndStubs(graph, toyFormat()).run()).toThrow(/kind \d+ at 0/);

    const seen: [number, EdgeKind][] = [];
    class WithOther extends GOTAndStubs {
      protected override visitOther(_block: Block, i: number, kind: EdgeKind): void {
        seen.push([i, kind]);
      }
    }
    const other = toyGraph();
    code(other, [
      [Delta32, other.addExternalSymbol('a', 0)],
      [Marked, other.addExternalSymbol('b', 0)],
    ]);
    new WithOther(other, toyFormat()).run();
    expect(seen).toEqual([[1, Marked]]);
  });
  it('relaxLowered bypasses its own stubs where the callee is reached, and hands other edges to the visitor', () => {
    const graph = toyGraph();
    const [near, far, data] = ['near', 'far', 'data'].map((name) => graph.addExternalSymbol(name, 0));
    // A stub no table of this link made: a call to it is the architecture's to judge.
    const stubSection = graph.createSection('$__TOYSTUBS', MemProt.Read | MemProt.Exec);
    const other = graph.createContentBlock(stubSection, new Uint8Array(6), 0, 2, 0);
    const otherStub = graph.addDefinedSymbol(other, 0, undefined, 6, Linkage.Strong, Scope.Local, true, true);
    const untouched = code(graph, [[Delta32, data]]);
    const block = code(graph, [
      [Call, near],
      [Call, far],
      [RequestGOT, data],
      [Call, otherStub],
      [Delta32, data],
    ]);
    const tables = new GOTAndStubs(graph, toyFormat());
    tables.run();
    const farStub = tables.findStub(far)!;
    block.address = 0x10000;
    untouched.address = 0x20000;
    near.base.address = 0x10000 + 0x7fff_0000;
    far.base.address = 0x7f00_0000_0000;

    const asked: [number, number, number][] = [];
    const visited: [number, EdgeKind][] = [];
    const kinds = new Uint8Array(actions.length);
    kinds[Call] = 1;
    kinds[Delta32] = 1;
    tables.relaxLowered(
      kinds,
      (visitedBlock, i, kind) => {
        expect(visitedBlock).toBe(block);
        visited.push([i, kind]);
      },
      {
        kind: Call,
        becomes: DirectCall,
        reaches: (callee, fixup, addend) => {
          asked.push([callee, fixup, addend]);
          const displacement = callee - (fixup + 4) + addend;
          return displacement >= -(2 ** 31) && displacement < 2 ** 31;
        },
      },
    );
    // The near callee is called directly, at the same offset; the far one keeps its stub.
    expect([block.edgeTarget(0), block.edgeKind(0), block.edgeOffset(0)]).toEqual([near, DirectCall, 0]);
    expect([block.edgeTarget(1), block.edgeKind(1)]).toEqual([farStub, Call]);
    expect(asked).toEqual([
      [0x10000 + 0x7fff_0000, 0x10000, 0],
      [0x7f00_0000_0000, 0x10004, 0],
    ]);
    // The request (now Delta32), the call to the other stub and the Delta32 go to the visitor;
    // a block where run() lowered nothing is not walked.
    expect(visited).toEqual([
      [2, Delta32],
      [3, Call],
      [4, Delta32],
    ]);
    expect(block.edgeTarget(3)).toBe(otherStub);
  });
});

describe('TableManager entries', () => {
  const format = toyFormat().got;

  it('finds entries by target across many symbols, and entry targets by entry', () => {
    const graph = toyGraph();
    const table = new TableManager(graph, format);
    // Targets with scattered indices, made in an order unlike their indices.
    const symbols = Array.from({ length: 300 }, (_, i) => graph.addExternalSymbol(`s${i}`, 0));
    const targets = symbols.filter((_, i) => i % 7 === 3).reverse();
    const entries = targets.map((t) => table.getOrCreateEntry(t));
    targets.forEach((t, k) => {
      expect(table.getOrCreateEntry(t)).toBe(entries[k]);
      expect(table.findEntry(t)).toBe(entries[k]);
      expect(table.entryTarget(entries[k]!)).toBe(t);
    });
    expect(table.size).toBe(targets.length);
    expect(table.findEntry(symbols[0]!)).toBeUndefined();
    expect(table.entryTarget(symbols[3]!)).toBeUndefined();
    // A symbol of the table's block that is no entry.
    const marker = graph.addAnonymousSymbol(table.block!, 8, 0, false, false);
    expect(table.entryTarget(marker)).toBeUndefined();
  });

  it('does not take a symbol of another graph with the same index for a target', () => {
    const graph = toyGraph();
    const other = toyGraph('other.o');
    const table = new TableManager(graph, format);
    const mine = graph.addExternalSymbol('a', 0);
    const theirs = other.addExternalSymbol('a', 0);
    expect(theirs.index).toBe(mine.index);
    const entry = table.getOrCreateEntry(mine);
    expect(table.findEntry(theirs)).toBeUndefined();
    // Not its entry: a new one, whose edge to a foreign symbol the graph refuses.
    expect(() => table.getOrCreateEntry(theirs)).toThrow(JITLinkError);
    expect(table.getOrCreateEntry(mine)).toBe(entry);
  });

  it('gives every entry and every reserved slot the template’s bytes, across growths and hints', () => {
    const template = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    for (const expected of [0, 5, 40]) {
      const graph = toyGraph();
      const table = new TableManager(graph, { ...toyFormat().stubs, template, addEntryEdges: () => {} });
      table.expectEntries(expected);
      const entries = Array.from({ length: 37 }, (_, i) =>
        table.getOrCreateEntry(graph.addExternalSymbol(`f${i}`, 0)),
      );
      table.reserve(3);
      const bytes = table.block!.getContent();
      expect(bytes.length).toBe(40 * 6);
      for (let slot = 0; slot < 40; slot++)
        expect([...bytes.subarray(6 * slot, 6 * slot + 6)]).toEqual([...template]);
      expect(entries.map((e) => e.offset)).toEqual(entries.map((_, k) => 6 * k));
    }
  });
});

describe('readTableEntry', () => {
  const shape: TableEntryShape = {
    sectionName: '$__TOYSTUBS',
    entrySize: 6,
    edgesPerEntry: 1,
    edgeIndex: 0,
    edgeOffset: 2,
    edgeKind: Delta32,
  };

  it('reads whom an entry serves back from the graph, and nothing from symbols of another shape', () => {
    const graph = toyGraph();
    const tables = new GOTAndStubs(graph, toyFormat());
    const targets = ['a', 'b', 'c'].map((n) => graph.addExternalSymbol(n, 0));
    const stubs = targets.map((t) => tables.getStub(t));
    stubs.forEach((stub, k) => expect(readTableEntry(shape, stub)).toBe(tables.findGOTEntry(targets[k]!)));
    // Not in the section, or of another size.
    expect(readTableEntry(shape, targets[0]!)).toBeUndefined();
    expect(
      readTableEntry(shape, graph.addAnonymousSymbol(stubs[1]!.block, 6, 4, true, false)),
    ).toBeUndefined();
    // An entry whose edge is not where the table puts it is found by its offset.
    const block = stubs[0]!.block;
    const moved = graph.createMutableContentBlock(block.section, new Uint8Array(12), 0x100, 2, 0);
    moved.appendEdge(Pointer64, 0, targets[0]!, 0);
    moved.appendEdge(Delta32, 8, targets[2]!, 0);
    expect(readTableEntry(shape, graph.addAnonymousSymbol(moved, 6, 6, true, false))).toBe(targets[2]);
  });
});
