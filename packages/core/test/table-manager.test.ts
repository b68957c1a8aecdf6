import {
  createTableEntryIndex,
  findTableBase,
  InMemoryMemoryManager,
  JITLinkError,
  link,
  Linkage,
  MemProt,
  Scope,
  TableManager,
  visitExistingEdges,
  type LinkGraph,
  type LinkTarget,
  type Symbol,
  type TableFormat,
} from '../src/index.js';
import { recordingContext } from './context.js';
import { Delta32, Pointer64, toyGraph, toyTarget } from './helpers.js';

const TEMPLATE = new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0, 0]);

/** A toy GOT: 8-byte entries holding a Pointer64 to the target, after a 4-byte marker. */
function gotFormat(overrides: Partial<TableFormat> = {}): TableFormat {
  return {
    sectionName: '$__TOYGOT',
    sectionProt: MemProt.Read | MemProt.Write,
    entrySize: 8,
    alignment: 8,
    template: new Uint8Array(8),
    callable: false,
    addEntryEdges(block, offset, target) {
      block.appendEdge(Pointer64, offset, target, 0);
    },
    ...overrides,
  };
}

function codeWithCalls(graph: LinkGraph, targets: Symbol[]) {
  const section = graph.createSection('.text', MemProt.Read | MemProt.Exec);
  const block = graph.createMutableContentBlock(section, new Uint8Array(4 * targets.length), 0, 16, 0);
  graph.addDefinedSymbol(block, 0, 'main', block.size, Linkage.Strong, Scope.Default, true, true);
  targets.forEach((t, i) => block.appendEdge(Delta32, 4 * i, t, 0));
  return block;
}

describe('TableManager', () => {
  it('makes one entry per target, on first request', () => {
    const graph = toyGraph();
    const got = new TableManager(graph, gotFormat({ template: TEMPLATE }));
    const a = graph.addExternalSymbol('a', 0);
    const b = graph.addExternalSymbol('b', 0);
    const ea = got.getOrCreateEntry(a);
    expect(got.getOrCreateEntry(a)).toBe(ea);
    const eb = got.getOrCreateEntry(b);
    expect(eb).not.toBe(ea);
    expect(got.size).toBe(2);
    expect(ea.name).toBeUndefined();
    expect(ea.scope).toBe(Scope.Local);
    expect(ea.size).toBe(8);
    expect(ea.callable).toBe(false);
    expect(ea.live).toBe(true);
    // Each entry's bytes are the template, its edges the format's.
    expect([...ea.block.getContent().subarray(0, 8)]).toEqual([...TEMPLATE]);
    expect([...eb.block.getContent().subarray(8, 16)]).toEqual([...TEMPLATE]);
    expect(ea.block.edges.map((e) => [e.kind, e.offset, e.target])).toEqual([
      [Pointer64, 0, a],
      [Pointer64, 8, b],
    ]);
  });

  it('puts all entries in one block of its section, one after another', () => {
    const graph = toyGraph();
    const got = new TableManager(graph, gotFormat({ blockAddress: 8 }));
    const entries = Array.from({ length: 40 }, (_, i) =>
      got.getOrCreateEntry(graph.addExternalSymbol(`s${i}`, 0)),
    );
    const section = graph.findSectionByName('$__TOYGOT')!;
    expect(section.prot).toBe(MemProt.Read | MemProt.Write);
    expect(section.blocks.size).toBe(1);
    expect(got.section).toBe(section);
    const block = got.block!;
    expect(block.address).toBe(8);
    expect(block.alignment).toBe(8);
    expect(block.size).toBe(40 * 8);
    entries.forEach((e, i) => {
      expect(e.block).toBe(block);
      expect(e.offset).toBe(8 * i);
      expect(block.edgeOffset(i)).toBe(8 * i);
    });
  });

  it('uses an existing section of the same name', () => {
    const graph = toyGraph();
    const existing = graph.createSection('$__TOYGOT', MemProt.Read);
    const got = new TableManager(graph, gotFormat());
    got.getOrCreateEntry(graph.addExternalSymbol('a', 0));
    expect(got.block!.section).toBe(existing);
  });

  it('finds entries by target and lists them in creation order', () => {
    const graph = toyGraph();
    const got = new TableManager(graph, gotFormat());
    const [a, b, c] = ['a', 'b', 'c'].map((n) => graph.addExternalSymbol(n, 0)) as [Symbol, Symbol, Symbol];
    expect(got.findEntry(a)).toBeUndefined();
    expect(got.block).toBeUndefined();
    const eb = got.getOrCreateEntry(b);
    const ea = got.getOrCreateEntry(a);
    expect(got.findEntry(a)).toBe(ea);
    expect(got.findEntry(b)).toBe(eb);
    expect(got.findEntry(c)).toBeUndefined();
    const seen: [Symbol, Symbol][] = [];
    got.forEachEntry((entry, target) => seen.push([entry, target]));
    expect(seen).toEqual([
      [eb, b],
      [ea, a],
    ]);
  });

  it('lets one table’s entries point at another’s (stubs through the GOT)', () => {
    const graph = toyGraph();
    const got = new TableManager(graph, gotFormat());
    const stubs = new TableManager(graph, {
      ...gotFormat(),
      sectionName: '$__TOYSTUBS',
      sectionProt: MemProt.Read | MemProt.Exec,
      entrySize: 6,
      alignment: 1,
      template: new Uint8Array([0xff, 0x25, 0, 0, 0, 0]),
      callable: true,
      addEntryEdges: (block, offset, target) =>
        block.appendEdge(Delta32, offset + 2, got.getOrCreateEntry(target), -4),
    });
    const f = graph.addExternalSymbol('f', 0);
    const stub = stubs.getOrCreateEntry(f);
    expect(stub.callable).toBe(true);
    expect(stub.block.edgeTarget(0)).toBe(got.findEntry(f));
    expect(stubs.block!.size).toBe(6);
  });

  it('rejects a template of the wrong size', () => {
    expect(() => new TableManager(toyGraph(), gotFormat({ template: new Uint8Array(4) }))).toThrow(
      JITLinkError,
    );
  });
});

describe('visitExistingEdges', () => {
  it('visits the edges that exist when it starts and sizes table blocks once, at the end', () => {
    const graph = toyGraph();
    const ext = ['x', 'y', 'x'].map((n) => graph.findExternalSymbol(n) ?? graph.addExternalSymbol(n, 0));
    const code = codeWithCalls(graph, ext);
    const got = new TableManager(graph, gotFormat());
    const visited: number[] = [];
    const sizes: number[] = [];
    visitExistingEdges(
      graph,
      (block, i, kind) => {
        visited.push(i);
        expect(block).toBe(code);
        expect(kind).toBe(Delta32);
        block.setEdgeTarget(i, got.getOrCreateEntry(block.edgeTarget(i)));
        sizes.push(got.block!.size);
      },
      [got],
    );
    // The GOT's own edges (made meanwhile) are not visited.
    expect(visited).toEqual([0, 1, 2]);
    // Inside the walk the block covers its whole buffer; after it, exactly its two entries.
    expect(sizes.every((s) => s >= 16)).toBe(true);
    expect(got.block!.size).toBe(16);
    expect(code.edgeTarget(0)).toBe(code.edgeTarget(2));
  });
});

describe('entries made after layout (veneers)', () => {
  /** A target whose passes reserve veneers, fix the layout, then make them in pre-fixup. */
  function veneerTarget(
    reserve: number,
    make: string[],
    seen: { error?: unknown; sizes?: number[] },
  ): LinkTarget {
    return {
      applyFixup: toyTarget.applyFixup,
      addDefaultPasses(_graph, config) {
        let veneers: TableManager | undefined;
        config.postPrunePasses.push((graph) => {
          veneers = new TableManager(graph, gotFormat({ sectionName: '$__VENEERS', template: TEMPLATE }));
          veneers.reserve(reserve);
        });
        config.postAllocationPasses.push(() => veneers!.fixLayout());
        config.preFixupPasses.push((graph) => {
          visitExistingEdges(
            graph,
            (block, i) => {
              const target = block.edgeTarget(i);
              if (!make.includes(target.name!)) return;
              try {
                block.setEdgeTarget(i, veneers!.getOrCreateEntry(target));
              } catch (error) {
                seen.error = error;
                throw error;
              }
              (seen.sizes ??= []).push(veneers!.block!.size);
            },
            [veneers!],
          );
        });
      },
    };
  }

  it('fills reserved room after allocation; fixups see the entries at their final addresses', async () => {
    const graph = toyGraph('veneers.o');
    const [far, near] = [graph.addExternalSymbol('far', 0), graph.addExternalSymbol('near', 0)];
    const code = codeWithCalls(graph, [far, near, far]);
    const ctx = recordingContext(
      new InMemoryMemoryManager(),
      new Map([
        ['far', 0x7000_0000],
        ['near', 0x20000],
      ]),
    );
    const seen: { sizes?: number[] } = {};
    await link(graph, ctx, veneerTarget(2, ['far'], seen));
    // Made after layout, the entry never changed the block's size.
    expect(seen.sizes).toEqual([16, 16]);
    expect(ctx.failures).toEqual([]);
    const table = graph.findSectionByName('$__VENEERS')!;
    const [tableBlock] = [...table.blocks];
    // Two reserved slots, one used: the size did not change after layout.
    expect(tableBlock!.size).toBe(16);
    const veneer = code.edgeTarget(0);
    expect(veneer).toBe(code.edgeTarget(2));
    expect(veneer.block).toBe(tableBlock);
    const view = new DataView(code.getContent().buffer, code.getContent().byteOffset);
    expect(view.getInt32(0, true)).toBe(veneer.address - code.address);
    expect(view.getInt32(8, true)).toBe(veneer.address - (code.address + 8));
    // The entry's own edge was applied: it holds the far target's address.
    const entryBytes = new DataView(tableBlock!.getContent().buffer, tableBlock!.getContent().byteOffset);
    expect(entryBytes.getUint32(veneer.offset, true)).toBe(0x7000_0000);
  });

  it('reports a request beyond the reserved room once the layout is fixed', async () => {
    const graph = toyGraph('full.o');
    const targets = ['f1', 'f2'].map((n) => graph.addExternalSymbol(n, 0));
    codeWithCalls(graph, targets);
    const ctx = recordingContext(
      new InMemoryMemoryManager(),
      new Map([
        ['f1', 0x1000],
        ['f2', 0x2000],
      ]),
    );
    const seen: { error?: unknown } = {};
    await link(graph, ctx, veneerTarget(1, ['f1', 'f2'], seen));
    expect(ctx.failures).toHaveLength(1);
    const error = seen.error as JITLinkError;
    expect(error).toBeInstanceOf(JITLinkError);
    expect(error.code).toBe('InvalidGraphOperation');
    expect(error.message).toContain('$__VENEERS');
    expect(error.message).toContain('f2');
  });
});

describe('per-link state', () => {
  it('two concurrent links keep their own tables', async () => {
    // Each link's passes make their own manager; the lookups wait for each other,
    // so both links are between post-prune and fixup at once.
    const managers = new Map<string, TableManager>();
    const target: LinkTarget = {
      applyFixup: toyTarget.applyFixup,
      addDefaultPasses(_graph, config) {
        let got: TableManager | undefined;
        config.postPrunePasses.push((graph) => {
          got = new TableManager(graph, gotFormat());
          managers.set(graph.name, got);
          visitExistingEdges(
            graph,
            (block, i) => block.setEdgeTarget(i, got!.getOrCreateEntry(block.edgeTarget(i))),
            [got],
          );
        });
      },
    };
    let release!: () => void;
    const bothWaiting = new Promise<void>((resolve) => (release = resolve));
    let waiting = 0;
    const links = (['one.o', 'two.o'] as const).map((name, n) => {
      const graph = toyGraph(name);
      const names = n === 0 ? ['puts', 'abort'] : ['puts'];
      codeWithCalls(
        graph,
        names.map((s) => graph.addExternalSymbol(s, 0)),
      );
      const ctx = recordingContext(
        new InMemoryMemoryManager(),
        new Map([
          ['puts', 0x1000 * (n + 1)],
          ['abort', 0x5000],
        ]),
      );
      ctx.lookupHook = async (request) => {
        if (++waiting === 2) release();
        await bothWaiting;
        return new Map([...request.keys()].map((k) => [k, ctx.symbols.get(k)!]));
      };
      return { graph, ctx, done: link(graph, ctx, target) };
    });
    await Promise.all(links.map((l) => l.done));
    for (const { graph, ctx } of links) {
      expect(ctx.failures).toEqual([]);
      const got = managers.get(graph.name)!;
      expect(got.graph).toBe(graph);
      expect(got.block!.section).toBe(graph.findSectionByName('$__TOYGOT'));
      got.forEachEntry((entry, target) => {
        expect(graph.findExternalSymbol(target.name!)).toBe(target);
        const bytes = entry.block.getContent();
        const value = new DataView(bytes.buffer, bytes.byteOffset).getUint32(entry.offset, true);
        expect(value).toBe(ctx.symbols.get(target.name!));
      });
    }
    expect(managers.get('one.o')!.size).toBe(2);
    expect(managers.get('two.o')!.size).toBe(1);
  });
});

describe('createTableEntryIndex', () => {
  /** The target of a toy GOT entry: the Pointer64 edge at its offset. */
  const entryTarget = (entry: Symbol): Symbol | undefined => {
    if (!entry.isDefined()) return undefined;
    return entry.block.edges.find((e) => e.offset === entry.offset && e.kind === Pointer64)?.target;
  };

  it('finds entries by the name of their target, read back from the graph, and again once the table grows', () => {
    const graph = toyGraph();
    const got = new TableManager(graph, gotFormat());
    const tables = createTableEntryIndex({ got: { sectionName: '$__TOYGOT', entryTarget }, none: { sectionName: '$__NONE', entryTarget } });
    const [a, b] = [graph.addExternalSymbol('a', 0), graph.addExternalSymbol('b', 0)];
    const ea = got.getOrCreateEntry(a);
    const first = tables(graph);
    expect([...first.got]).toEqual([['a', ea]]);
    expect(first.none.size).toBe(0);
    // Cached while the tables keep their size.
    expect(tables(graph)).toBe(first);
    const eb = got.getOrCreateEntry(b);
    expect(tables(graph).got.get('b')).toBe(eb);
    expect(tables(graph).got.get('a')).toBe(ea);
  });

  it('leaves out symbols of the section that are no entries, and entries of anonymous targets', () => {
    const graph = toyGraph();
    const got = new TableManager(graph, gotFormat());
    const anonymousTarget = graph.addAnonymousSymbol(codeWithCalls(graph, []), 0, 0, false, false);
    got.getOrCreateEntry(anonymousTarget);
    got.getOrCreateEntry(graph.addExternalSymbol('named', 0));
    graph.addDefinedSymbol(got.block!, 0, 'marker', 0, Linkage.Strong, Scope.Local, false, false);
    const tables = createTableEntryIndex({ got: { sectionName: '$__TOYGOT', entryTarget: (e) => (e.name === 'marker' ? undefined : entryTarget(e)) } });
    expect([...tables(graph).got.keys()]).toEqual(['named']);
  });
});

describe('TableManager.defineBase and findTableBase', () => {
  it('define the base at the start of the section, before the entries, once', () => {
    const graph = toyGraph();
    const got = new TableManager(graph, gotFormat({ blockAddress: 8 }));
    got.getOrCreateEntry(graph.addExternalSymbol('a', 0));
    expect(findTableBase(graph, '$__TOYGOT', '_GLOBAL_OFFSET_TABLE_')).toBeUndefined();
    const base = got.defineBase('_GLOBAL_OFFSET_TABLE_');
    expect(base.isDefined() && base.block.section.name).toBe('$__TOYGOT');
    expect(base.isDefined() && base.block.size).toBe(0);
    expect(base.isDefined() && base.block.address).toBeLessThan(got.block!.address);
    expect(base.scope).toBe(Scope.Local);
    expect(got.defineBase('_GLOBAL_OFFSET_TABLE_')).toBe(base);
    expect(findTableBase(graph, '$__TOYGOT', '_GLOBAL_OFFSET_TABLE_')).toBe(base);
  });

  it('turn an external reference to the base into its definition', () => {
    const graph = toyGraph();
    const ref = graph.addExternalSymbol('_GLOBAL_OFFSET_TABLE_', 0);
    const base = new TableManager(graph, gotFormat()).defineBase('_GLOBAL_OFFSET_TABLE_');
    expect(base).toBe(ref);
    expect(ref.isDefined()).toBe(true);
  });

  it('findTableBase takes an absolute symbol of that name (graphs built by hand)', () => {
    const graph = toyGraph();
    const abs = graph.addAbsoluteSymbol('_GLOBAL_OFFSET_TABLE_', 0x1000, 0, Linkage.Strong, Scope.Local, false);
    expect(findTableBase(graph, '$__TOYGOT', '_GLOBAL_OFFSET_TABLE_')).toBe(abs);
  });
});
