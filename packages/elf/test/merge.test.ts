import * as fs from 'node:fs';
import * as path from 'node:path';
import { file, needs } from '@jitlink/test-support';
import { computeSegmentLayout, prune, Scope, type LinkGraph, type Symbol } from '@jitlink/core';
import {
  createElfLinkGraph,
  defineSectionBoundarySymbols,
  discardElfComdatGroup,
  getElfComdatGroups,
  getElfGraphInfo,
  mergeElfLinkGraphs,
  sectionOfBoundarySymbol,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_GROUP,
  SHF_TLS,
  SHF_WRITE,
  SHT_GROUP,
  SHT_PROGBITS,
  STB_GLOBAL,
  STT_FUNC,
} from '../src/index.js';
import { writeElf, type WriterInput } from './elf-writer.js';
import { corpusObjDir, genericArch, readObject } from './helpers.js';

const R_X86_64_64 = 1;
const R_X86_64_PC32 = 2;
const TEXT = SHF_ALLOC | SHF_EXECINSTR;
const DATA = SHF_ALLOC | SHF_WRITE;

function build(name: string, input: Omit<WriterInput, 'bits' | 'endianness' | 'machine'>): LinkGraph {
  return createElfLinkGraph(writeElf({ bits: 64, endianness: 'little', machine: 62, ...input }), genericArch(), { name });
}

function named(graph: LinkGraph, name: string): Symbol[] {
  const out: Symbol[] = [];
  for (const s of graph.definedSymbols()) if (s.name === name) out.push(s);
  for (const s of graph.externalSymbols()) if (s.name === name) out.push(s);
  return out;
}

/** main.o: walks my_items; items.o: adds to it; user.o: refers to __start_my_items without having the section. */
function objects(): { main: LinkGraph; items: LinkGraph; user: LinkGraph } {
  const main = build('main.o', {
    sections: [
      { name: '.group', type: SHT_GROUP, flags: 0, groupMembers: ['.text.inl'], groupSignature: 'inl' },
      { name: '.text', type: SHT_PROGBITS, flags: TEXT, content: new Uint8Array(16) },
      { name: 'my_items', type: SHT_PROGBITS, flags: SHF_ALLOC, content: new Uint8Array(32).fill(1), align: 16 },
      { name: '.init_array.101', type: 14, flags: DATA, content: new Uint8Array(8), align: 8 },
      { name: '.text.inl', type: SHT_PROGBITS, flags: TEXT | SHF_GROUP, content: new Uint8Array(4) },
    ],
    symbols: [
      { name: 'main', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', size: 16 },
      { name: '__start_my_items', bind: STB_GLOBAL, section: 0 },
      { name: '__stop_my_items', bind: STB_GLOBAL, section: 0 },
      { name: 'inl', type: STT_FUNC, bind: STB_GLOBAL, section: '.text.inl', size: 4 },
      { name: 'helper', bind: STB_GLOBAL, section: 0 },
    ],
    relocations: [
      { section: '.text', offset: 0, type: R_X86_64_PC32, symbol: 2, addend: -4 },
      { section: '.text', offset: 4, type: R_X86_64_PC32, symbol: 3, addend: -4 },
      { section: '.text', offset: 8, type: R_X86_64_PC32, symbol: 5, addend: -4 },
      { section: '.init_array.101', offset: 0, type: R_X86_64_64, symbol: 1 },
    ],
  });
  const items = build('items.o', {
    sections: [
      { name: '.group', type: SHT_GROUP, flags: 0, groupMembers: ['.text.inl'], groupSignature: 'inl' },
      { name: '.text', type: SHT_PROGBITS, flags: TEXT, content: new Uint8Array(8) },
      { name: 'my_items', type: SHT_PROGBITS, flags: SHF_ALLOC, content: new Uint8Array(48).fill(2), align: 16 },
      { name: '.tdata', type: SHT_PROGBITS, flags: DATA | SHF_TLS, content: new Uint8Array(4) },
      { name: '.text.inl', type: SHT_PROGBITS, flags: TEXT | SHF_GROUP, content: new Uint8Array(4) },
    ],
    symbols: [
      { name: 'helper', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', size: 8 },
      { name: 'inl', type: STT_FUNC, bind: STB_GLOBAL, section: '.text.inl', size: 4 },
    ],
    relocations: [{ section: 'my_items', offset: 8, type: R_X86_64_64, symbol: 1 }],
  });
  const user = build('user.o', {
    sections: [{ name: '.text', type: SHT_PROGBITS, flags: TEXT, content: new Uint8Array(8) }],
    symbols: [
      { name: 'count_items', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', size: 8 },
      { name: '__start_my_items', bind: STB_GLOBAL, section: 0 },
    ],
    relocations: [{ section: '.text', offset: 0, type: R_X86_64_PC32, symbol: 2, addend: -4 }],
  });
  return { main, items, user };
}

describe('sectionOfBoundarySymbol', () => {
  test('recognises C-identifier section names only', () => {
    expect(sectionOfBoundarySymbol('__start_my_items')).toEqual({ section: 'my_items', atEnd: false });
    expect(sectionOfBoundarySymbol('__stop_x1')).toEqual({ section: 'x1', atEnd: true });
    expect(sectionOfBoundarySymbol('__start_.text')).toBeUndefined();
    expect(sectionOfBoundarySymbol('__start_')).toBeUndefined();
    expect(sectionOfBoundarySymbol('start_x')).toBeUndefined();
  });
});

describe('mergeElfLinkGraphs + defineSectionBoundarySymbols', () => {
  test('before merging, each object sees only its own part; user.o leaves __start_my_items external', () => {
    const { main, user } = objects();
    const start = named(main, '__start_my_items');
    expect(start).toHaveLength(1);
    expect([start[0]!.scope, start[0]!.block.size]).toEqual([Scope.Local, 32]);
    expect(named(user, '__start_my_items')[0]!.isExternal()).toBe(true);
  });

  test('boundary symbols span the merged section; duplicates and externals become one symbol', () => {
    const { main, items, user } = objects();
    const userEdge = [...user.findSectionByName('.text')!.blocks][0]!.edges[0]!;
    mergeElfLinkGraphs(main, items);
    mergeElfLinkGraphs(main, user);
    defineSectionBoundarySymbols(main);

    const section = main.findSectionByName('my_items')!;
    const blocks = [...section.blocks].sort((a, b) => a.address - b.address);
    expect(blocks.map((b) => b.size)).toEqual([32, 48]);
    const [start, ...moreStarts] = named(main, '__start_my_items');
    const [stop, ...moreStops] = named(main, '__stop_my_items');
    expect(moreStarts).toEqual([]);
    expect(moreStops).toEqual([]);
    expect([start!.block, start!.offset, start!.scope]).toEqual([blocks[0], 0, Scope.Local]);
    expect([stop!.block, stop!.offset]).toEqual([blocks[1], 48]);
    expect(userEdge.target).toBe(start);
    const mainEdges = [...main.findSectionByName('.text')!.blocks].find((b) => b.size === 16)!.edges;
    expect(mainEdges.map((e) => e.target)).toEqual([start, stop, named(main, 'helper')[0]]);
    expect(named(main, 'helper')[0]!.isDefined()).toBe(true);
    expect([...main.externalSymbols()]).toEqual([]);

    // Laid out, the section is contiguous from __start to __stop.
    const layout = computeSegmentLayout(main);
    const segment = layout.segments.find((s) => s.blocks.includes(blocks[0]!))!;
    const at = (i: number) => segment.offsets[segment.blocks.indexOf(blocks[i]!)]!;
    expect(at(1) + 48 - at(0)).toBe(80);
  });

  test('the blocks of items.o survive dead-stripping through __start/__stop', () => {
    // Merged without placing the boundary symbols, nothing reaches items.o's part.
    const { main, items } = objects();
    mergeElfLinkGraphs(main, items);
    prune(main); // main is live through .init_array.101
    expect([...main.findSectionByName('my_items')!.blocks].map((b) => b.size)).toEqual([32]);

    const fresh = objects();
    mergeElfLinkGraphs(fresh.main, fresh.items);
    defineSectionBoundarySymbols(fresh.main);
    prune(fresh.main);
    expect([...fresh.main.findSectionByName('my_items')!.blocks].map((b) => b.size).sort()).toEqual([32, 48]);
  });

  test('ELF metadata survives: original names, TLS sections, COMDAT groups kept apart and discardable', () => {
    const { main, items } = objects();
    mergeElfLinkGraphs(main, items);
    expect(getElfGraphInfo(items)).toBeUndefined();
    const info = getElfGraphInfo(main)!;
    const originals = [...main.sections()].map((s) => info.originalNames.get(s)).sort();
    expect(originals).toEqual(['.init_array.101', '.tdata', '.text', '.text.inl', '.text.inl', 'my_items']);
    expect([...info.tlsSections].map((s) => s.name)).toEqual(['.tdata']);

    const groups = getElfComdatGroups(main);
    expect(groups.map((g) => g.signature)).toEqual(['inl', 'inl']);
    const [kept, duplicate] = groups;
    expect(kept!.sections[0]).not.toBe(duplicate!.sections[0]);
    expect(duplicate!.sections[0]!.name).toBe('.text.inl [items.o]');
    // Discarding the second copy leaves the first definition in place.
    discardElfComdatGroup(main, duplicate!);
    expect(main.findSectionByName('.text.inl [items.o]')).toBeUndefined();
    expect(named(main, 'inl')[0]!.block.section).toBe(kept!.sections[0]);
  });

  test('graphs without boundary symbols are unchanged', () => {
    const { items } = objects();
    const before = [...items.definedSymbols()].map((s) => [s.name, s.offset]);
    defineSectionBoundarySymbols(items);
    expect([...items.definedSymbols()].map((s) => [s.name, s.offset])).toEqual(before);
  });
});

const sectionsDir = path.join(corpusObjDir, 'gcc/O2-pic-small/sections');
needs(file(sectionsDir)).test('corpus: both objects of `sections` merge into one my_items of 5 items', () => {
  const [first, ...rest] = fs
    .readdirSync(sectionsDir)
    .filter((f) => f.endsWith('.o'))
    .sort()
    .map((f) => createElfLinkGraph(readObject(path.join(sectionsDir, f)), genericArch(), { name: f }));
  for (const g of rest) mergeElfLinkGraphs(first!, g);
  defineSectionBoundarySymbols(first!);
  const section = first!.findSectionByName('my_items')!;
  const total = [...section.blocks].reduce((n, b) => n + b.size, 0);
  expect(total).toBe(5 * 32); // struct item is 32 bytes (aligned to 16)
  const start = named(first!, '__start_my_items');
  const stop = named(first!, '__stop_my_items');
  expect([start.length, stop.length]).toEqual([1, 1]);
  expect(stop[0]!.address - start[0]!.address).toBeGreaterThanOrEqual(total);
});
