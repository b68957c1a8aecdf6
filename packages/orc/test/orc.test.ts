import {
  BackendRegistry,
  EdgeKinds,
  edgeKindNamer,
  InMemoryMemoryManager,
  JITLinkError,
  LinkGraph,
  Linkage,
  MemProt,
  Scope,
  writeAddress64,
  type ExecutorProcessControl,
  type LinkGraphBackend,
} from '@jitlink/core';
import {
  absoluteSymbols,
  ExecutionSession,
  ObjectLinkingLayer,
  PhonyExternalsGenerator,
  ProcessSymbolsGenerator,
  SymbolState,
  type Plugin,
} from '../src/index.js';

const Pointer64 = EdgeKinds.FirstRelocation;
const backend: LinkGraphBackend = {
  name: 'toy',
  format: 'elf',
  arch: 'x86_64',
  createLinkGraph: () => {
    throw new Error('graphs are built by hand in these tests');
  },
  applyFixup(_g, block, edge, _c, view) {
    writeAddress64(view, edge.offset, edge.target.address + edge.addend, true);
  },
};

interface ObjSpec {
  name: string;
  defines: { name: string; scope?: Scope; linkage?: Linkage; refs?: string[] }[];
}

/** Each defined symbol gets an 8-byte slot per reference, holding the referenced address. */
function makeGraph(spec: ObjSpec): LinkGraph {
  const g = new LinkGraph({
    name: spec.name,
    triple: 'x86_64-unknown-linux-gnu',
    pointerSize: 8,
    endianness: 'little',
    getEdgeKindName: edgeKindNamer(['Pointer64']),
  });
  const data = g.createSection('.data', MemProt.Read | MemProt.Write);
  const local = new Map<string, ReturnType<LinkGraph['addDefinedSymbol']>>();
  let addr = 0;
  for (const d of spec.defines) {
    const size = Math.max(8, (d.refs?.length ?? 0) * 8);
    const b = g.createContentBlock(data, new Uint8Array(size), addr, 8, 0);
    addr += size;
    local.set(
      d.name,
      g.addDefinedSymbol(
        b,
        0,
        d.name,
        size,
        d.linkage ?? Linkage.Strong,
        d.scope ?? Scope.Default,
        true,
        false,
      ),
    );
  }
  for (const d of spec.defines) {
    const sym = local.get(d.name)!;
    (d.refs ?? []).forEach((r, i) => {
      const target = local.get(r) ?? g.findExternalSymbol(r) ?? g.addExternalSymbol(r, 0);
      sym.block.addEdge(Pointer64, i * 8, target, 0);
    });
  }
  return g;
}

function setup() {
  const registry = new BackendRegistry();
  registry.register(backend);
  const memory = new InMemoryMemoryManager();
  const session = new ExecutionSession();
  session.errorReporter = () => undefined;
  const layer = new ObjectLinkingLayer(session, { memoryManager: memory, registry });
  const linked: string[] = [];
  layer.observer = { phase: (p, g) => void (p === 'done' && linked.push(g.name)) };
  return { session, layer, memory, linked, main: session.createJITDylib('main') };
}

function readPointer(graphSym: { block: { getContent(): Uint8Array } }, index: number): number {
  const c = graphSym.block.getContent();
  return Number(new DataView(c.buffer, c.byteOffset).getBigUint64(index * 8, true));
}

describe('ExecutionSession / ObjectLinkingLayer', () => {
  test('nothing links until a lookup needs a symbol; then only what is reachable', async () => {
    const { session, layer, main, linked } = setup();
    layer.add(main, makeGraph({ name: 'a.o', defines: [{ name: 'a', refs: ['b'] }] }));
    layer.add(main, makeGraph({ name: 'b.o', defines: [{ name: 'b' }] }));
    layer.add(main, makeGraph({ name: 'unused.o', defines: [{ name: 'u' }] }));
    await Promise.resolve();
    expect(linked).toEqual([]);
    const addr = await session.lookupOne([main], 'a');
    expect(addr).toBeGreaterThan(0);
    expect(linked.sort()).toEqual(['a.o', 'b.o']);
    expect(main.symbols.get('a')!.state).toBe(SymbolState.Ready);
    expect(main.symbols.get('u')!.state).toBe(SymbolState.NeverSearched);
  });

  test('mutually dependent objects link concurrently and resolve each other', async () => {
    const { session, layer, main } = setup();
    const ga = makeGraph({ name: 'a.o', defines: [{ name: 'a', refs: ['b'] }] });
    const gb = makeGraph({ name: 'b.o', defines: [{ name: 'b', refs: ['a'] }] });
    layer.add(main, ga);
    layer.add(main, gb);
    const result = await session.lookup([main], ['a', 'b']);
    const a = [...ga.definedSymbols()][0]!;
    const b = [...gb.definedSymbols()][0]!;
    expect(readPointer(a, 0)).toBe(result.get('b'));
    expect(readPointer(b, 0)).toBe(result.get('a'));
  });

  test('duplicate strong definitions name both objects; strong overrides weak', async () => {
    const { session, layer, main } = setup();
    layer.add(main, makeGraph({ name: 'one.o', defines: [{ name: 'dup' }] }));
    expect(() => layer.add(main, makeGraph({ name: 'two.o', defines: [{ name: 'dup' }] }))).toThrow(
      'duplicate definition of symbol dup: defined in one.o and in two.o',
    );
    const weak = makeGraph({
      name: 'weak.o',
      defines: [
        { name: 'w', linkage: Linkage.Weak },
        { name: 'user', refs: ['w'] },
      ],
    });
    const strong = makeGraph({ name: 'strong.o', defines: [{ name: 'w' }] });
    layer.add(main, weak);
    layer.add(main, strong);
    const r = await session.lookup([main], ['user', 'w']);
    const strongW = [...strong.definedSymbols()].find((s) => s.name === 'w')!;
    expect(r.get('w')).toBe(strongW.address);
    const user = [...weak.definedSymbols()].find((s) => s.name === 'user')!;
    expect(readPointer(user, 0)).toBe(strongW.address);
    expect(weak.findExternalSymbol('w')).toBeDefined(); // the weak copy became a reference
  });

  test('hidden symbols are visible only inside their JITDylib', async () => {
    const { session, layer, main } = setup();
    const lib = session.createJITDylib('lib');
    layer.add(
      lib,
      makeGraph({
        name: 'lib.o',
        defines: [
          { name: 'h', scope: Scope.Hidden },
          { name: 'pub', refs: ['h'] },
        ],
      }),
    );
    layer.add(main, makeGraph({ name: 'user.o', defines: [{ name: 'm', refs: ['h'] }] }));
    main.addToLinkOrder(lib);
    expect(await session.lookupOne([lib], 'pub')).toBeGreaterThan(0);
    await expect(session.lookup([main], ['m'])).rejects.toThrow(/symbols not found: \[ h \]/);
  });

  test('a failure reaches every query waiting on the failed graph and on its dependents', async () => {
    const { session, layer, main } = setup();
    layer.add(main, makeGraph({ name: 'bad.o', defines: [{ name: 'bad', refs: ['missing'] }] }));
    layer.add(main, makeGraph({ name: 'dep.o', defines: [{ name: 'dep', refs: ['bad'] }] }));
    const results = await Promise.allSettled([
      session.lookup([main], ['dep']),
      session.lookup([main], ['bad']),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const messages = results.map((r) => String((r as PromiseRejectedResult).reason.message));
    expect(messages[1]).toMatch(/bad\.o: symbols not found: \[ missing \]/);
    expect(messages[0]).toMatch(/missing/);
  });

  test('generators: absolute definitions and phony externals', async () => {
    const { session, layer, main } = setup();
    main.defineAbsolute(absoluteSymbols([['abs_sym', 0x1234]]));
    main.addGenerator(new PhonyExternalsGenerator());
    const g = makeGraph({ name: 'x.o', defines: [{ name: 'x', refs: ['abs_sym', 'nowhere'] }] });
    layer.add(main, g);
    await session.lookup([main], ['x']);
    const x = [...g.definedSymbols()][0]!;
    expect([readPointer(x, 0), readPointer(x, 1)]).toEqual([0x1234, 0]);
  });

  test('process symbols: a name asked and not yet answered is asked once; an absent name is asked again later', async () => {
    // The executor answers when told to; `exported` is what its process defines at that moment.
    const asked: string[][] = [];
    const exported = new Map<string, number>([['puts', 0x7000]]);
    const answers: (() => void)[] = [];
    const executor = {
      lookupSymbols(names: readonly string[]) {
        asked.push([...names]);
        return new Promise<Map<string, number>>((resolve) =>
          answers.push(() => resolve(new Map(names.map((n) => [n, exported.get(n) ?? 0])))),
        );
      },
    } as unknown as ExecutorProcessControl;
    const session = new ExecutionSession();
    const main = session.createJITDylib('main');
    main.addGenerator(new ProcessSymbolsGenerator(executor));
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const first = session.lookupOne([main], 'puts');
    await tick();
    const second = session.lookup([main], ['puts', 'dlopen_later']);
    const absent = session.lookupOne([main], 'dlopen_later').catch((e: Error) => e.message);
    await tick();
    expect(asked).toEqual([['puts'], ['dlopen_later']]);
    while (answers.length > 0) answers.shift()!();
    expect(await first).toBe(0x7000);
    expect(await absent).toMatch(/symbols not found: \[ dlopen_later \]/);
    await expect(second).rejects.toThrow(/dlopen_later/);
    // Answered absent: a library loaded since may define it, so it is asked again.
    exported.set('dlopen_later', 0x8000);
    const later = session.lookupOne([main], 'dlopen_later');
    await tick();
    answers.shift()!();
    expect(await later).toBe(0x8000);
    expect(asked).toEqual([['puts'], ['dlopen_later'], ['dlopen_later']]);
  });

  test('generators see only what is still missing: earlier generators and dylibs satisfy names first', async () => {
    const { session, main } = setup();
    const other = session.createJITDylib('other');
    const asked: string[][] = [];
    const defining = (names: readonly string[], address: number) => ({
      tryToGenerate(dylib: typeof main, missing: readonly string[]) {
        asked.push([...missing]);
        const mine = missing.filter((n) => names.includes(n));
        if (mine.length > 0)
          dylib.defineAbsolute(absoluteSymbols(mine.map((n) => [n, address] as [string, number])));
      },
    });
    main.addGenerator(defining([], 0)); // defines nothing
    main.addGenerator(defining(['a'], 0x100));
    main.addGenerator({
      // asynchronous, defines b
      async tryToGenerate(dylib: typeof main, missing: readonly string[]) {
        asked.push([...missing]);
        await Promise.resolve();
        if (missing.includes('b')) dylib.defineAbsolute(absoluteSymbols([['b', 0x200]]));
      },
    });
    other.addGenerator(defining(['c'], 0x300));
    const found = await session.lookup([main, other], ['a', 'b', 'c']);
    expect([...found]).toEqual([
      ['a', 0x100],
      ['b', 0x200],
      ['c', 0x300],
    ]);
    expect(asked).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['b', 'c'], ['c']]);
  });

  test('resource trackers release memory; removing while another link is in flight is safe', async () => {
    const { session, layer, main, memory } = setup();
    const t1 = main.createResourceTracker();
    const t2 = main.createResourceTracker();
    layer.add(main, makeGraph({ name: 'one.o', defines: [{ name: 'one' }] }), { tracker: t1 });
    layer.add(main, makeGraph({ name: 'two.o', defines: [{ name: 'two', refs: ['one'] }] }), { tracker: t2 });
    await session.lookup([main], ['one']);
    expect(memory.liveAllocations).toBe(1);
    const inFlight = session.lookup([main], ['two']);
    const removal = t1.remove();
    await Promise.allSettled([inFlight, removal]);
    expect(main.symbols.has('one')).toBe(false);
    await t2.remove();
    expect(memory.liveAllocations).toBe(0);
    expect(main.symbols.size).toBe(0);
  });

  test("the design document's example plugin prints defined symbols after dead-stripping", async () => {
    const { session, layer, main } = setup();
    const printed: string[] = [];
    const plugin: Plugin = {
      modifyPassConfig(_mr, _g, config) {
        config.postPrunePasses.push((g) => {
          for (const sym of g.definedSymbols()) if (sym.hasName()) printed.push(sym.name!);
        });
      },
      notifyFailed: () => undefined,
      notifyRemovingResources: () => undefined,
      notifyTransferringResources: () => undefined,
    };
    layer.addPlugin(plugin);
    layer.add(
      main,
      makeGraph({
        name: 'main.o',
        defines: [
          { name: 'main', refs: ['helper'] },
          { name: 'helper', scope: Scope.Local },
          { name: 'dead', scope: Scope.Local },
        ],
      }),
    );
    await session.lookup([main], ['main']);
    expect(printed.sort()).toEqual(['helper', 'main']);
  });

  test("plugins hear of emission in order; one that returns a promise holds the later ones and the unit's emission until it settles", async () => {
    const { session, layer, main } = setup();
    const heard: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const plugin = (name: string, wait?: Promise<void>): Plugin => ({
      notifyEmitted(mr) {
        heard.push(`${name}: ${SymbolState[mr.record.state]}`);
        return wait;
      },
      notifyFailed: () => undefined,
      notifyRemovingResources: () => undefined,
      notifyTransferringResources: () => undefined,
    });
    layer.addPlugin(plugin('first')).addPlugin(plugin('slow', held)).addPlugin(plugin('last'));
    layer.add(main, makeGraph({ name: 'a.o', defines: [{ name: 'a' }] }));
    let found = false;
    const lookup = session.lookup([main], ['a']).then((m) => ((found = true), m));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual(['first: Resolved', 'slow: Resolved']);
    expect([main.symbols.get('a')!.state, found]).toEqual([SymbolState.Resolved, false]);
    release();
    await lookup;
    expect(heard).toEqual(['first: Resolved', 'slow: Resolved', 'last: Resolved']);
    expect(main.symbols.get('a')!.state).toBe(SymbolState.Ready);
  });

  test('a plugin throwing from notifyEmitted without a promise fails the unit and frees its memory', async () => {
    const { session, layer, main, memory } = setup();
    layer.addPlugin({
      notifyEmitted() {
        throw new Error('cannot register');
      },
      notifyFailed: () => undefined,
      notifyRemovingResources: () => undefined,
      notifyTransferringResources: () => undefined,
    });
    layer.add(main, makeGraph({ name: 'a.o', defines: [{ name: 'a' }] }));
    await expect(session.lookup([main], ['a'])).rejects.toThrow(/cannot register/);
    expect(memory.liveAllocations).toBe(0);
  });

  test('endSession releases every allocation', async () => {
    const { session, layer, main, memory } = setup();
    for (let i = 0; i < 5; i++)
      layer.add(
        main,
        makeGraph({ name: `o${i}.o`, defines: [{ name: `s${i}`, refs: i > 0 ? [`s${i - 1}`] : [] }] }),
      );
    await session.lookup([main], ['s4']);
    expect(memory.liveAllocations).toBe(5);
    await session.endSession();
    expect(memory.liveAllocations).toBe(0);
  });

  test('errors are JITLinkErrors', async () => {
    const { session, main } = setup();
    await expect(session.lookup([main], ['nothing'])).rejects.toBeInstanceOf(JITLinkError);
  });

  test('queued units are linked depth-first: a unit a lookup waits on starts next, so few links are in flight at once (9 without expedite)', async () => {
    const { session, layer, main, linked } = setup();
    // Eight units that all use the one added last, which no lookup asks for directly:
    // in queue order, all eight would start (and hold their graphs) before it.
    const users = Array.from({ length: 8 }, (_, i) => `user${i}`);
    for (const name of users) layer.add(main, makeGraph({ name: `${name}.o`, defines: [{ name, refs: ['shared'] }] }), { queued: true });
    layer.add(main, makeGraph({ name: 'shared.o', defines: [{ name: 'shared' }] }), { queued: true });
    const inFlight = new Set<string>();
    let mostInFlight = 0;
    const observer = layer.observer!;
    layer.observer = {
      phase: (p, g) => {
        if (p === 'done') inFlight.delete(g.name);
        else mostInFlight = Math.max(mostInFlight, inFlight.add(g.name).size);
        observer.phase!(p, g);
      },
    };
    await session.lookup([main], users);
    expect(linked).toEqual(['shared.o', 'user0.o', ...users.slice(1).map((u) => `${u}.o`)]);
    expect(mostInFlight).toBeLessThanOrEqual(3);
  });

  test('units not queued start at once, in the order the lookup found them', async () => {
    const { session, layer, main, linked } = setup();
    for (const name of ['a', 'b']) layer.add(main, makeGraph({ name: `${name}.o`, defines: [{ name, refs: ['shared'] }] }));
    layer.add(main, makeGraph({ name: 'shared.o', defines: [{ name: 'shared' }] }));
    await session.lookup([main], ['a', 'b']);
    expect(linked).toEqual(['shared.o', 'a.o', 'b.o']);
  });

  test('a unit whose graph lacks a definition its interface claims fails, naming it; an absolute definition at address 0 resolves', async () => {
    const { session, layer, main } = setup();
    const graph = makeGraph({ name: 'claims.o', defines: [{ name: 'real' }] });
    graph.addAbsoluteSymbol('zero', 0, 0, Linkage.Strong, Scope.Default, true);
    const flags = { hidden: false, weak: false, callable: false };
    layer.add(main, graph, { interface: new Map([['real', flags], ['zero', flags], ['ghost', flags]]) });
    await expect(session.lookupOne([main], 'real')).rejects.toThrow(/claims\.o did not define symbols it claimed: ghost$/);
    const fine = makeGraph({ name: 'zero.o', defines: [{ name: 'other' }] });
    fine.addAbsoluteSymbol('zero2', 0, 0, Linkage.Strong, Scope.Default, true);
    layer.add(main, fine);
    expect(await session.lookupOne([main], 'zero2')).toBe(0);
    expect(await session.lookupOne([main], 'other')).toBeGreaterThan(0);
  });
});
