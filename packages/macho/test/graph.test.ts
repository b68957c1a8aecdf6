/** Graph building with MachO semantics, on corpus objects (relocations recorded, not interpreted). */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EdgeKinds, graphDefinitions, Linkage, MemLifetime, Scope, type Block, type LinkGraph, type Section } from '@jitlink/core';
import {
  COMPACT_UNWIND_ENTRY_SIZE,
  COMPACT_UNWIND_SECTION,
  createMachOLinkGraph,
  getMachOGraphInfo,
  readMachODefinitions,
  THREAD_VARIABLE_DESCRIPTOR_SIZE,
} from '../src/index.js';
import { CORPUS, corpusObject, recordingArch } from './helpers.js';

function build(rel: string): LinkGraph {
  return createMachOLinkGraph(corpusObject(rel), recordingArch(), { name: rel });
}

function names(section: Section): (string | undefined)[][] {
  return [...section.blocks]
    .sort((a, b) => a.address - b.address)
    .map((b) => [...section.symbols].filter((s) => s.block === b && s.name !== undefined).sort((x, y) => x.offset - y.offset).map((s) => s.name));
}

function symbol(graph: LinkGraph, name: string) {
  return [...graph.definedSymbols()].find((s) => s.name === name)!;
}

describe('names', () => {
  test('keep every byte: a byte that is not UTF-8 is not replaced, EF BB BF is not dropped', () => {
    const bytes = corpusObject('asm/x86_64/subsections.o').slice();
    const patch = (name: string, replacement: number[]) => {
      const at = Buffer.from(bytes).indexOf(`${name}\0`);
      expect(at).toBeGreaterThan(0);
      bytes.set(replacement, at + 1); // after the leading underscore
    };
    patch('_helper', [0xff]); // _\xffelper
    patch('_unused_local', [0xef, 0xbb, 0xbf]); // _\ufeffsed_local
    const graph = createMachOLinkGraph(bytes, recordingArch(), { name: 'names.o' });
    expect(names(graph.findSectionByName('__TEXT,__text')!)).toEqual([['_main', '_main_alt'], ['_\udcffelper'], ['_\ufeffsed_local']]);
  });
});

describe('subsections', () => {
  test('with MH_SUBSECTIONS_VIA_SYMBOLS each symbol starts a block; an alternate entry does not', () => {
    const graph = build('asm/x86_64/subsections.o');
    expect(getMachOGraphInfo(graph)!.subsectionsViaSymbols).toBe(true);
    expect(names(graph.findSectionByName('__TEXT,__text')!)).toEqual([['_main', '_main_alt'], ['_helper'], ['_unused_local']]);
    expect(symbol(graph, '_main').size).toBe(symbol(graph, '_main_alt').offset);
  });

  test('without it a section is one block', () => {
    const graph = build('asm/x86_64/no_subsections.o');
    expect(getMachOGraphInfo(graph)!.subsectionsViaSymbols).toBe(false);
    expect(names(graph.findSectionByName('__TEXT,__text')!)).toEqual([['_main', '_main_alt', '_helper', '_unused_local']]);
  });

  test.each(['subsections', 'no_subsections'])('%s: cstring sections are split per string', (name) => {
    const graph = build(`asm/x86_64/${name}.o`);
    const blocks = [...graph.findSectionByName('__TEXT,__cstring')!.blocks].sort((a, b) => a.address - b.address);
    expect(blocks.map((b) => new TextDecoder().decode(b.getContent()))).toEqual(['used\0', 'unused\0']);
  });
});

describe('symbols', () => {
  test('private externs are hidden, weak definitions weak, locals local', () => {
    const graph = build('x86_64/O2/multi/multi_util.o');
    expect(symbol(graph, '_hidden_step').scope).toBe(Scope.Hidden);
    expect(symbol(graph, '_weak_value').linkage).toBe(Linkage.Weak);
    expect(symbol(graph, '_bump')).toMatchObject({ scope: Scope.Default, linkage: Linkage.Strong, callable: true });
    expect(symbol(graph, '_counter').callable).toBe(false);
  });

  test('weak references are weak externals; commons are zero-fill definitions of their size and alignment', () => {
    const graph = build('x86_64/O2/multi/multi_main.o');
    expect(graph.findExternalSymbol('_optional_hook')!.linkage).toBe(Linkage.Weak);
    expect(graph.findExternalSymbol('_printf')!.linkage).toBe(Linkage.Strong);
    const common = symbol(graph, '_shared_common');
    expect(common.block.section.holdsCommonSymbols).toBe(true);
    expect(common.block.isZeroFill()).toBe(true);
    expect(common.block.size).toBe(4);
    expect(common.block.alignment).toBe(4);
  });

  test('__mod_init_func tables are live and known to the platform', () => {
    const graph = build('x86_64/O2/ctors/ctors.o');
    const info = getMachOGraphInfo(graph)!;
    expect(info.initSections.map((s) => s.name)).toEqual(['__DATA,__mod_init_func']);
    const table = info.initSections[0]!;
    expect([...table.symbols].some((s) => s.live)).toBe(true);
  });

  test('zero-fill sections get zero-fill blocks', () => {
    const graph = build('x86_64/O2/ctors/ctors.o');
    expect([...graph.findSectionByName('__DATA,__bss')!.blocks].every((b) => b.isZeroFill())).toBe(true);
    expect(getMachOGraphInfo(graph)!.platform).toBe('macos');
    expect(graph.triple).toBe('x86_64-apple-macosx');
    expect(graph.format).toBe('macho');
  });
});

describe('definitions read without a graph', () => {
  const x86 = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? x86(p) : n.endsWith('.o') ? [relative(CORPUS, p)] : [];
    });
  const objects = [...x86(join(CORPUS, 'x86_64')), ...x86(join(CORPUS, 'asm/x86_64'))];

  test.each(objects)('%s: the same as the graph\'s', (rel) => {
    const definitions = readMachODefinitions(corpusObject(rel), recordingArch(), rel);
    expect(definitions).toEqual(graphDefinitions(build(rel)));
    expect(definitions.size).toBeGreaterThan(0);
  });

  test('hidden, weak, callable and common flags', () => {
    const util = readMachODefinitions(corpusObject('x86_64/O2/multi/multi_util.o'), recordingArch(), 'multi_util.o');
    expect(util.get('_hidden_step')).toMatchObject({ hidden: true, weak: false, callable: false });
    expect(util.get('_weak_value')).toMatchObject({ hidden: false, weak: true, callable: true });
    expect(util.get('_shared_common')).toEqual({ hidden: false, weak: true, callable: false, common: { size: 4, alignment: 4 } });
  });
});

describe('compact unwind', () => {
  /** The compact unwind entry blocks each function's block keeps alive. */
  function keptEntries(graph: LinkGraph): Map<string, Block> {
    const section = graph.findSectionByName(COMPACT_UNWIND_SECTION)!;
    const out = new Map<string, Block>();
    for (const block of graph.blocks()) {
      for (const e of block.edges) {
        if (e.kind !== EdgeKinds.KeepAlive || !e.target.isDefined() || e.target.block.section !== section) continue;
        const fn = [...graph.definedSymbols()].find((s) => s.block === block && s.offset === 0 && s.name !== undefined);
        out.set(fn?.name ?? '?', e.target.block);
      }
    }
    return out;
  }

  test('C++ with exceptions (clang-19; on x86-64 the same object as with default flags): one never-allocated block per entry, each kept alive by its function', () => {
    const graph = build('x86_64/O0/exceptions/exceptions.o');
    const section = graph.findSectionByName(COMPACT_UNWIND_SECTION)!;
    expect(section.lifetime).toBe(MemLifetime.NoAlloc);
    const entries = [...section.blocks];
    expect(entries.length).toBe(3);
    expect(entries.every((b) => b.size === COMPACT_UNWIND_ENTRY_SIZE)).toBe(true);
    // No entry is a live root: each lives only through its function's keep-alive edge.
    expect([...section.symbols].some((s) => s.live)).toBe(false);
    const kept = keptEntries(graph);
    expect(new Set(kept.values()).size).toBe(entries.length);
    expect(kept.has('_main')).toBe(true);
    // main catches: its entry names the personality and its LSDA in __gcc_except_tab.
    const edges = kept.get('_main')!.edges.sort((a, b) => a.offset - b.offset);
    expect(edges.map((e) => e.offset)).toEqual([0, 16, 24]);
    expect(edges[1]!.target.name).toBe('___gxx_personality_v0');
    expect(edges[2]!.target.isDefined() && edges[2]!.target.block.section.name).toBe('__TEXT,__gcc_except_tab');
  });

  test("an entry's edges name its function, personality and LSDA", () => {
    const graph = build('asm/x86_64/compact_unwind.o');
    const entry = keptEntries(graph).get('_thrower')!;
    const targets = entry.edges.sort((a, b) => a.offset - b.offset).map((e) => [e.offset, e.target.name]);
    expect(targets).toEqual([
      [0, '_thrower'],
      [16, '___gxx_personality_v0'],
      [24, 'GCC_except_table_thrower'],
    ]);
    // _main's, _thrower's and _unused_local's entries.
    expect(keptEntries(graph).size).toBe(3);
  });
});

describe('thread-local variables', () => {
  test('__thread_data and __thread_bss are the template, __thread_vars the descriptors (one pointer-aligned block each)', () => {
    const graph = build('x86_64/O2/tlv/tlv_vars.o');
    const info = getMachOGraphInfo(graph)!;
    expect(info.threadDataSections.map((s) => s.name)).toEqual(['__DATA,__thread_data', '__DATA,__thread_bss']);
    expect(info.threadVariableSections.map((s) => s.name)).toEqual(['__DATA,__thread_vars']);
    expect(names(info.threadVariableSections[0]!)).toEqual([['_tlv_counter'], ['_tlv_name'], ['_tlv_local'], ['_tlv_zero']]);
    for (const block of info.threadVariableSections[0]!.blocks) {
      expect([block.size, block.alignment, block.alignmentOffset]).toEqual([THREAD_VARIABLE_DESCRIPTOR_SIZE, 8, 0]);
    }
    expect([...info.threadDataSections[1]!.blocks].every((b) => b.isZeroFill())).toBe(true);
  });
});
