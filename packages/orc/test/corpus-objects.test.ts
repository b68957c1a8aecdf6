/** The ORC layer on real objects from test-corpus, linked into a simulated slab. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackendRegistry, parseArchive, Scope, SlabMemoryManager, type LinkGraph } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { debianLibrary, needs } from '@jitlink/test-support';
import {
  ExecutionSession,
  ObjectLinkingLayer,
  PhonyExternalsGenerator,
  oneTaskAtATime,
  reexports,
  runAsTask,
  StaticLibraryDefinitionGenerator,
  SymbolState,
  type Plugin,
  type ResourceTracker,
} from '../src/index.js';

const OBJ = resolve(__dirname, '../../../test-corpus/obj/gcc/O2-pic-small');
const read = (p: string) => new Uint8Array(readFileSync(join(OBJ, p)));

function setup(graphBudget?: number) {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const memory = new SlabMemoryManager({ size: 64 << 20, baseAddress: 0x1000_0000 });
  const session = new ExecutionSession();
  session.errorReporter = () => undefined;
  const layer = new ObjectLinkingLayer(session, { memoryManager: memory, registry, graphBudget });
  const linked: string[] = [];
  // Units let go of their graphs when linking starts: keep the linked ones here.
  const graphs = new Map<string, LinkGraph>();
  layer.observer = {
    phase: (p, g) => {
      if (p !== 'done') return;
      linked.push(g.name.split('/').pop()!);
      graphs.set(g.name, g);
    },
  };
  return { session, layer, memory, registry, linked, graphs, main: session.createJITDylib('main') };
}

/** The names of the graphs `registry` builds from now on, in order. */
function recordGraphBuilds(registry: BackendRegistry): string[] {
  const built: string[] = [];
  const createLinkGraph = registry.createLinkGraph.bind(registry);
  registry.createLinkGraph = (bytes, options) => {
    built.push(options?.name ?? '');
    return createLinkGraph(bytes, options);
  };
  return built;
}

/** A GNU archive of `members` (short names) without a symbol index, as `ar rcS` writes it. */
function archiveWithoutIndex(members: [string, Uint8Array][]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: number[] = [...encoder.encode('!<arch>\n')];
  for (const [name, data] of members) {
    const field = (v: string | number, width: number) => String(v).padEnd(width);
    parts.push(...encoder.encode(`${field(`${name}/`, 16)}${field(0, 12)}${field(0, 6)}${field(0, 6)}${field(644, 8)}${field(data.length, 10)}\`\n`));
    parts.push(...data);
    if (data.length % 2 === 1) parts.push(0x0a);
  }
  return new Uint8Array(parts);
}

const noopPlugin = { notifyFailed: () => undefined, notifyRemovingResources: () => undefined, notifyTransferringResources: () => undefined };

describe('ORC layer with corpus objects', () => {
  test('lazy: only the objects the lookup reaches are linked', async () => {
    const { session, layer, main, linked } = setup();
    const other = session.createJITDylib('other');
    for (const f of ['main.o', 'ops.o', 'tables.o']) layer.add(main, read(`multi/${f}`), { name: f });
    layer.add(other, read('hello/hello.o'), { name: 'hello.o' });
    main.addGenerator(new PhonyExternalsGenerator());
    expect(linked).toEqual([]);
    const addr = await session.lookupOne([main], 'main');
    expect(addr).toBeGreaterThanOrEqual(0x1000_0000);
    expect(linked.sort()).toEqual(['main.o', 'ops.o', 'tables.o']);
    expect(other.symbols.get('main')!.state).toBe(SymbolState.NeverSearched);
  });

  test("an object added by its bytes is identified once: at add, not again when its graph is built", async () => {
    const { session, layer, main, registry, linked } = setup();
    // Consulted before the ELF backend's sniffer on every identification; recognises nothing itself.
    const identified: (string | undefined)[] = [];
    registry.registerSniffer({ name: 'counter', sniff: (_bytes, { file }) => void identified.push(file) });
    for (const f of ['main.o', 'ops.o', 'tables.o']) layer.add(main, read(`multi/${f}`), { name: f });
    main.addGenerator(new PhonyExternalsGenerator());
    expect(identified).toEqual(['main.o', 'ops.o', 'tables.o']);
    await session.lookupOne([main], 'main');
    expect(linked.sort()).toEqual(['main.o', 'ops.o', 'tables.o']);
    expect(identified).toEqual(['main.o', 'ops.o', 'tables.o']);
  });

  test('an object added by its bytes is parsed once within the graph budget, and its parse is not kept beyond it', async () => {
    const sizes = ['main.o', 'ops.o', 'tables.o'].map((f) => read(`multi/${f}`).length);
    // A budget the first two objects fill: the third one's parse is not kept.
    const twoObjects = sizes[0]! + sizes[1]!;
    const cases = [
      [undefined, [true, true, true]],
      [1, [false, false, false]],
      [twoObjects, [true, true, false]],
    ] as const;
    for (const [graphBudget, keeps] of cases) {
      const { session, layer, main, registry } = setup(graphBudget);
      // What the ELF backend is given to build each graph from.
      const backend = registry.find('elf', 'x86_64')!;
      const given: boolean[] = [];
      const built: string[] = [];
      const createLinkGraph = backend.createLinkGraph.bind(backend);
      backend.createLinkGraph = (bytes, options) => {
        built.push(options.name!);
        given.push((options.parsed as { elf?: { bytes: Uint8Array } } | undefined)?.elf?.bytes === bytes);
        return createLinkGraph(bytes, options);
      };
      const units = ['main.o', 'ops.o', 'tables.o'].map((f) => layer.add(main, read(`multi/${f}`), { name: f }));
      expect(layer.parsedBytes).toBe(keeps.reduce((sum, kept, i) => sum + (kept ? sizes[i]! : 0), 0));
      main.addGenerator(new PhonyExternalsGenerator());
      await session.lookupOne([main], 'main');
      // Graphs built in the order their units are reached; each from its kept parse or not.
      const byName = new Map(units.map((u, i) => [u.name, keeps[i]]));
      expect(given).toEqual(built.map((n) => byName.get(n)));
      // Nothing is kept once the graphs are built.
      expect(layer.parsedBytes).toBe(0);
    }
  });

  test('duplicate strong definitions name both objects', () => {
    const { layer, main } = setup();
    layer.add(main, read('hello/hello.o'), { name: 'first/hello.o' });
    expect(() => layer.add(main, read('hello/hello.o'), { name: 'second/hello.o' })).toThrow(
      'duplicate definition of symbol main: defined in first/hello.o and in second/hello.o',
    );
  });

  test('strong definitions override weak ones across objects', async () => {
    const { session, layer, main, graphs } = setup();
    const units = ['weak_main.o', 'weak_defaults.o', 'weak_strong.o'].map((f) => layer.add(main, read(`weak/${f}`), { name: f }));
    main.addGenerator(new PhonyExternalsGenerator());
    const defaults = units[1]!;
    const overridden = [...defaults.symbols].filter(([n, f]) => f.weak && units[2]!.symbols.has(n)).map(([n]) => n);
    expect(overridden.length).toBeGreaterThan(0);
    await session.lookupOne([main], 'main');
    for (const name of overridden) {
      expect(defaults.discarded?.has(name)).toBe(true);
      expect(units[2]!.graph).toBeUndefined();
      const strong = [...graphs.get('weak_strong.o')!.definedSymbols()].find((s) => s.name === name)!;
      expect(main.symbols.get(name)!.address).toBe(strong.address);
    }
  });

  test('a missing definition fails the lookup and every dependent', async () => {
    const { session, layer, main } = setup();
    layer.add(main, read('multi/main.o'), { name: 'main.o' });
    layer.add(main, read('multi/tables.o'), { name: 'tables.o' });
    await expect(session.lookup([main], ['main'])).rejects.toThrow(/main\.o: symbols not found: \[ .*\]/);
  });

  test("the design document's plugin prints defined symbols after dead-stripping", async () => {
    const { session, layer, main } = setup();
    const printed: string[] = [];
    const plugin: Plugin = {
      ...noopPlugin,
      modifyPassConfig(_mr, _graph, config) {
        config.postPrunePasses.push((g) => {
          for (const sym of g.definedSymbols()) if (sym.hasName()) printed.push(sym.name!);
        });
      },
    };
    layer.addPlugin(plugin);
    layer.add(main, read('hello/hello.o'), { name: 'hello.o' });
    main.addGenerator(new PhonyExternalsGenerator());
    await session.lookupOne([main], 'main');
    expect(printed).toContain('main');
  });

  test('resource trackers: transferTo moves tracking (plugins hear of it), remove releases memory', async () => {
    const { session, layer, main, memory } = setup();
    const events: string[] = [];
    layer.addPlugin({
      ...noopPlugin,
      notifyTransferringResources: (dst: ResourceTracker, src: ResourceTracker) => void events.push(`transfer ${src.key}->${dst.key}`),
      notifyRemovingResources: (k: ResourceTracker) => void events.push(`remove ${k.key}`),
    });
    const t1 = main.createResourceTracker();
    const t2 = main.createResourceTracker();
    layer.add(main, read('hello/hello.o'), { name: 'hello.o', tracker: t1 });
    main.addGenerator(new PhonyExternalsGenerator());
    await session.lookupOne([main], 'main');
    expect(memory.liveAllocations).toBe(1);
    t1.transferTo(t2);
    await t1.remove();
    expect(memory.liveAllocations).toBe(1);
    await t2.remove();
    expect(memory.liveAllocations).toBe(0);
    expect(main.symbols.has('main')).toBe(false);
    expect(events).toEqual([`transfer ${t1.key}->${t2.key}`, `remove ${t1.key}`, `remove ${t2.key}`]);
  });

  test('re-exports: an alias resolves to its target in another dylib', async () => {
    const { session, layer, main } = setup();
    const lib = session.createJITDylib('lib');
    layer.add(lib, read('hello/hello.o'), { name: 'hello.o' });
    lib.addGenerator(new PhonyExternalsGenerator());
    main.define(reexports(lib, [['hello_main', 'main']]));
    const [alias, target] = await Promise.all([session.lookupOne([main], 'hello_main'), session.lookupOne([lib], 'main')]);
    expect(alias).toBe(target);
    expect(main.symbols.get('hello_main')!.state).toBe(SymbolState.Ready);
  });

  test('an object added by its bytes is built when linked; units let go of their graphs', async () => {
    const { session, layer, main, registry } = setup();
    const built = recordGraphBuilds(registry);
    const units = ['main.o', 'ops.o', 'tables.o'].map((f) => layer.add(main, read(`multi/${f}`), { name: f }));
    const unused = layer.add(session.createJITDylib('other'), read('hello/hello.o'), { name: 'unused.o' });
    main.addGenerator(new PhonyExternalsGenerator());
    expect(built).toEqual([]);
    expect(units[0]!.symbols.get('main')).toEqual({ hidden: false, weak: false, callable: true });
    await session.lookupOne([main], 'main');
    expect(built.sort()).toEqual(['main.o', 'ops.o', 'tables.o']);
    expect(units.map((u) => u.graph)).toEqual([undefined, undefined, undefined]);
    expect(unused.graph).toBeUndefined();
  });

  test('an object added by its bytes with a malformed symbol table is reported when added', () => {
    const { layer, main } = setup();
    const bytes = read('hello/hello.o').slice();
    // Point the first symbol's name past the end of its string table.
    const view = new DataView(bytes.buffer);
    const shoff = Number(view.getBigUint64(40, true));
    const shnum = view.getUint16(60, true);
    let symtab = -1;
    for (let i = 0; i < shnum; i++) if (view.getUint32(shoff + i * 64 + 4, true) === 2) symtab = shoff + i * 64;
    const symbolsAt = Number(view.getBigUint64(symtab + 24, true));
    const count = Number(view.getBigUint64(symtab + 32, true)) / 24;
    // The first global definition (main): its name is what registering the object reads.
    let index = 1;
    while (index < count && !(bytes[symbolsAt + index * 24 + 4]! >> 4 === 1 && view.getUint16(symbolsAt + index * 24 + 6, true) !== 0)) index++;
    expect(index).toBeLessThan(count);
    view.setUint32(symbolsAt + index * 24, 0xffffff, true);
    expect(() => layer.add(main, bytes, { name: 'bad.o' })).toThrow(new RegExp(`bad\\.o.*name offset 0xffffff of symbol #${index}`));
  });

  test('a unit removed before it is linked drops its graph and its share of the budget', async () => {
    const { layer, main, registry } = setup();
    const tracker = main.createResourceTracker();
    const bytes = read('hello/hello.o');
    const unit = layer.add(main, registry.createLinkGraph(bytes, { name: 'hello.o' }), { tracker, weight: bytes.length });
    expect([unit.graph?.name, layer.liveGraphBytes]).toEqual(['hello.o', bytes.length]);
    await tracker.remove();
    expect([unit.graph, layer.liveGraphBytes]).toEqual([undefined, 0]);
  });

  test('with no graph budget at all, objects that refer to each other still link (deferred, never blocked)', async () => {
    const { session, layer, main, linked } = setup(0);
    for (const f of ['main.o', 'ops.o', 'tables.o']) layer.add(main, read(`multi/${f}`), { name: f });
    main.addGenerator(new PhonyExternalsGenerator());
    await session.lookupOne([main], 'main');
    expect(linked.sort()).toEqual(['main.o', 'ops.o', 'tables.o']);
    expect(layer.liveGraphBytes).toBe(0);
  });

  const libz = '/usr/lib/x86_64-linux-gnu/libz.a';
  const withLibz = needs(debianLibrary(libz));

  withLibz.test('within the graph budget, archive members are registered from their definitions and built when linked, parsed once', async () => {
    const { session, layer, registry } = setup();
    const built = recordGraphBuilds(registry);
    const lib = session.createJITDylib('zlib');
    const archive = parseArchive(new Uint8Array(readFileSync(libz)), 'libz.a');
    const crc32 = archive.findMemberDefining('crc32')!;
    lib.addGenerator(new StaticLibraryDefinitionGenerator(layer, archive));
    lib.addGenerator(new PhonyExternalsGenerator());
    const generating = session.lookupOne([lib], 'crc32');
    await Promise.resolve();
    // Loaded: its definitions registered, what was parsed to read them kept for its graph; no graph yet.
    expect(lib.symbols.get('crc32_combine')?.record?.unit.name).toBe('libz.a(crc32.o)');
    expect(built).toEqual([]);
    expect(layer.parsedBytes).toBe(crc32.data.length);
    expect(layer.liveGraphBytes).toBe(0);
    await generating;
    expect(built).toEqual(['libz.a(crc32.o)']);
    expect(layer.parsedBytes).toBe(0);
    expect(layer.liveGraphBytes).toBe(0);
  });

  withLibz.test('archive members keep their parse only while the kept parses fit the graph budget', async () => {
    const archive = parseArchive(new Uint8Array(readFileSync(libz)), 'libz.a');
    const crc32 = archive.findMemberDefining('crc32')!;
    const adler32 = archive.findMemberDefining('adler32')!;
    const { session, layer, registry } = setup(crc32.size + adler32.size - 1);
    const built = recordGraphBuilds(registry);
    const lib = session.createJITDylib('zlib');
    lib.addGenerator(new StaticLibraryDefinitionGenerator(layer, archive));
    lib.addGenerator(new PhonyExternalsGenerator());
    const generating = session.lookup([lib], ['crc32', 'adler32']);
    await Promise.resolve();
    // The first member's parse is kept; the second's would exceed the budget.
    expect(lib.symbols.get('adler32')?.record?.unit.name).toBe('libz.a(adler32.o)');
    expect(layer.parsedBytes).toBe(crc32.size);
    expect(built).toEqual([]);
    await generating;
    expect(built.sort()).toEqual(['libz.a(adler32.o)', 'libz.a(crc32.o)']);
    expect(layer.parsedBytes).toBe(0);
  });

  withLibz.test('members of an archive read on demand are registered from the ranges their definitions lie in, within the budget too', async () => {
    const bytes = new Uint8Array(readFileSync(libz));
    let bytesRead = 0;
    const source = { size: bytes.length, read: (offset: number, length: number) => ((bytesRead += length), bytes.slice(offset, offset + length)) };
    const archive = parseArchive(source, 'libz.a');
    const crc32 = archive.findMemberDefining('crc32')!;
    const adler32 = archive.findMemberDefining('adler32')!;
    const { session, layer } = setup();
    const lib = session.createJITDylib('zlib');
    lib.addGenerator(new StaticLibraryDefinitionGenerator(layer, archive));
    lib.addGenerator(new PhonyExternalsGenerator());
    const before = bytesRead;
    const generating = session.lookup([lib], ['crc32', 'adler32']);
    await Promise.resolve();
    // Nothing read whole and held until the members are linked.
    expect(lib.symbols.get('adler32')?.record?.unit.name).toBe('libz.a(adler32.o)');
    expect(layer.parsedBytes).toBe(0);
    expect(bytesRead - before).toBeLessThan((crc32.size + adler32.size) / 2);
    await generating;
  });

  withLibz.test('beyond the graph budget, archive members are registered from their symbol tables; hideDefinitions hides them', async () => {
    const { session, layer, main, registry, graphs } = setup(0);
    const built = recordGraphBuilds(registry);
    const lib = session.createJITDylib('zlib');
    lib.addGenerator(new StaticLibraryDefinitionGenerator(layer, parseArchive(new Uint8Array(readFileSync(libz)), 'libz.a'), { hideDefinitions: true }));
    lib.addGenerator(new PhonyExternalsGenerator());
    const address = await session.lookupOne([lib], 'crc32');
    expect(built).toEqual(['libz.a(crc32.o)']);
    expect(lib.symbols.get('crc32')!.flags).toEqual({ hidden: true, weak: false, callable: true });
    const crc32 = [...graphs.get('libz.a(crc32.o)')!.definedSymbols()].find((s) => s.name === 'crc32')!;
    expect([crc32.scope, crc32.address]).toEqual([Scope.Hidden, address]);
    // Hidden: not visible from another dylib.
    await expect(session.lookup([lib], ['crc32'], { fromDylib: main })).rejects.toThrow(/symbols not found: \[ crc32 \]/);
  });

  withLibz.test('beyond the graph budget, members of an archive read on demand are registered from the ranges their definitions lie in', async () => {
    const { session, layer, registry } = setup(0);
    const built = recordGraphBuilds(registry);
    const bytes = new Uint8Array(readFileSync(libz));
    let bytesRead = 0;
    const archive = parseArchive(
      {
        size: bytes.length,
        read: (offset, length) => {
          bytesRead += length;
          return bytes.slice(offset, offset + length);
        },
      },
      'libz.a',
    );
    const member = archive.findMemberDefining('crc32')!;
    // What registering the member read: its definitions, from the ranges they lie in.
    const readDefinitions = registry.readObjectDefinitions.bind(registry);
    let readForDefinitions = 0;
    registry.readObjectDefinitions = (object, options) => {
      const before = bytesRead;
      const definitions = readDefinitions(object, options);
      readForDefinitions += bytesRead - before;
      expect(built).toEqual([]);
      return definitions;
    };
    const lib = session.createJITDylib('zlib');
    lib.addGenerator(new StaticLibraryDefinitionGenerator(layer, archive));
    lib.addGenerator(new PhonyExternalsGenerator());
    expect(await session.lookupOne([lib], 'crc32')).toBeGreaterThan(0);
    expect(lib.symbols.get('crc32')!.flags).toEqual({ hidden: false, weak: false, callable: true });
    expect(readForDefinitions).toBeGreaterThan(0);
    expect(readForDefinitions).toBeLessThan(member.size / 2);
    expect(built).toEqual(['libz.a(crc32.o)']);
  });

  withLibz.test('an archive without a symbol index is indexed from its members definitions', async () => {
    const indexed = parseArchive(new Uint8Array(readFileSync(libz)), 'libz.a');
    // The same members with no index, and a member that is not an object.
    const parts = archiveWithoutIndex([
      ['README', new TextEncoder().encode('not an object\n')],
      ...indexed.members.map((m): [string, Uint8Array] => [m.name, m.data]),
    ]);
    const bare = parseArchive(parts, 'libz-noindex.a');
    expect(bare.hasSymbolIndex).toBe(false);
    for (const budget of [undefined, 0]) {
      const { session, layer } = setup(budget);
      const lib = session.createJITDylib('zlib');
      const archive = parseArchive(parts, 'libz-noindex.a');
      lib.addGenerator(new StaticLibraryDefinitionGenerator(layer, archive));
      lib.addGenerator(new PhonyExternalsGenerator());
      expect(archive.symbolIndexSource).toBe('built');
      expect(archive.findMemberDefining('crc32')?.name).toBe(indexed.findMemberDefining('crc32')!.name);
      expect(archive.findMemberDefining('deflate')?.name).toBe(indexed.findMemberDefining('deflate')!.name);
      expect(await session.lookupOne([lib], 'crc32')).toBeGreaterThan(0);
    }
  });

  // Beyond the graph budget graphs are built when linked, not when added: a transform must still reach them.
  test('beyond the graph budget, the transformGraph of an object added by its bytes applies to the graph linked', async () => {
    const { session, layer, main, graphs } = setup(0);
    const transformed: LinkGraph[] = [];
    layer.addLazily(main, { bytes: read('multi/ops.o'), name: 'ops.o', transformGraph: (g) => void transformed.push(g) });
    expect(layer.overGraphBudget()).toBe(false);
    expect(layer.overGraphBudget(1)).toBe(true);
    main.addGenerator(new PhonyExternalsGenerator());
    await session.lookupOne([main], 'op_add');
    expect(transformed).toHaveLength(1);
    expect(graphs.get('ops.o')).toBe(transformed[0]);
  });

  test('beyond the graph budget, the transformGraph of an archive generator applies to each member linked', async () => {
    const { session, layer, main, graphs } = setup(0);
    const archive = parseArchive(
      archiveWithoutIndex([
        ['ops.o', read('multi/ops.o')],
        ['tables.o', read('multi/tables.o')],
      ]),
      'multi.a',
    );
    const transformed: LinkGraph[] = [];
    main.addGenerator(new StaticLibraryDefinitionGenerator(layer, archive, { transformGraph: (g) => void transformed.push(g) }));
    main.addGenerator(new PhonyExternalsGenerator());
    await session.lookupOne([main], 'describe_table');
    expect(transformed.map((g) => g.name).sort()).toEqual(['multi.a(ops.o)', 'multi.a(tables.o)']);
    for (const g of transformed) expect(graphs.get(g.name)).toBe(g);
  });

  test('oneTaskAtATime: tasks run in order, each after the microtasks the one before queued', async () => {
    const dispatch = oneTaskAtATime();
    const order: string[] = [];
    await new Promise<void>((done) => {
      for (const n of [1, 2, 3]) {
        dispatch(() => {
          order.push(`task ${n}`);
          void Promise.resolve()
            .then(() => order.push(`microtask ${n}`))
            .then(() => {
              if (n === 1) dispatch(() => order.push('task 4 (queued by task 1)'));
              if (n === 3) setTimeout(done, 0);
            });
        });
      }
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['task 1', 'microtask 1', 'task 2', 'microtask 2', 'task 3', 'microtask 3', 'task 4 (queued by task 1)']);
  });

  test('runAsTask: the microtasks a task queues run before the next task', async () => {
    const order: string[] = [];
    await new Promise<void>((done) => {
      runAsTask(() => {
        order.push('task 1');
        void Promise.resolve()
          .then(() => order.push('microtask 1'))
          .then(() => order.push('microtask 2'));
      });
      runAsTask(() => {
        order.push('task 2');
        done();
      });
    });
    expect(order).toEqual(['task 1', 'microtask 1', 'microtask 2', 'task 2']);
  });
});
