import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EdgeKinds, JITLinkError, Linkage, MemProt, Scope, type LinkGraph, type Symbol } from '@jitlink/core';
import {
  createElfBackend,
  createElfLinkGraph,
  discardElfComdatGroup,
  getElfComdatGroups,
  getElfGraphInfo,
  initializerSectionInfo,
  compareInitializerSections,
  parseElf,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_GROUP,
  SHF_WRITE,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_PROGBITS,
  STB_GLOBAL,
  STB_LOCAL,
  STT_FUNC,
  STT_SECTION,
  STV_INTERNAL,
} from '../src/index.js';
import { writeElf } from './elf-writer.js';
import { corpusObjDir, genericArch, readObject } from './helpers.js';
import { debianLibrary, file, needs, tool } from '@jitlink/test-support';

const corpus = (rel: string): string => path.join(corpusObjDir, rel);
const ifExists = (p: string) => needs(file(p)).test;

function symbolNamed(graph: LinkGraph, name: string): Symbol | undefined {
  for (const s of graph.definedSymbols()) if (s.name === name) return s;
  for (const s of graph.externalSymbols()) if (s.name === name) return s;
  for (const s of graph.absoluteSymbols()) if (s.name === name) return s;
  return undefined;
}

describe('hand-made objects in every class and byte order', () => {
  const text = Uint8Array.from([0, 0, 0, 0x10, 0x4e, 0x80, 0x00, 0x20]);
  for (const bits of [32, 64] as const) {
    for (const endianness of ['little', 'big'] as const) {
      test(`ELF${bits} ${endianness}-endian: section, symbols, REL and RELA relocations`, () => {
        const bytes = writeElf({
          bits,
          endianness,
          machine: 20,
          sections: [
            { name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: text, align: 4 },
            { name: '.bss', type: SHT_NOBITS, flags: SHF_ALLOC | SHF_WRITE, size: 64, align: 16 },
          ],
          symbols: [
            { name: '', type: STT_SECTION, bind: STB_LOCAL, section: '.text' },
            { name: 'f', value: 4, size: 4, type: STT_FUNC, bind: STB_GLOBAL, section: '.text' },
            { name: 'ext', section: 0 },
            { name: 'buf', value: 0, size: 64, type: 1, section: '.bss' },
          ],
          relocations: [
            { section: '.text', offset: 0, type: 1, symbol: 3, rel: true },
            { section: '.text', offset: 4, type: 7, symbol: 1, addend: -4 },
          ],
        });
        const arch = genericArch(20, 'ppc');
        const graph = createElfLinkGraph(bytes, arch, { name: 'tiny.o' });
        expect(graph.pointerSize).toBe(bits / 8);
        expect(graph.endianness).toBe(endianness);
        const f = symbolNamed(graph, 'f')!;
        expect([f.offset, f.size, f.callable, f.scope, f.linkage]).toEqual([4, 4, true, Scope.Default, Linkage.Strong]);
        expect(f.block.section.prot).toBe(MemProt.Read | MemProt.Exec);
        const buf = symbolNamed(graph, 'buf')!;
        expect(buf.block.isZeroFill()).toBe(true);
        expect(buf.block.size).toBe(64);
        expect(buf.block.alignment).toBe(16);
        const edges = [...f.block.edges].map((e) => [e.kind - EdgeKinds.FirstRelocation, e.offset, e.target.describe(), e.addend]);
        expect(edges).toEqual([
          // REL: the addend is read from the bytes in place, in the object's byte order.
          [1, 0, 'ext', endianness === 'big' ? 0x10 : 0x1000_0000],
          [7, 4, expect.stringContaining('<anonymous symbol>'), -4],
        ]);
        expect(arch.seen).toBe(2);
      });
    }
  }

  test('duplicate section names get unique graph names; the ELF name stays available', () => {
    const bytes = writeElf({
      bits: 64,
      endianness: 'little',
      machine: 62,
      sections: [
        { name: '.text.dup', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(4) },
        { name: '.text.dup', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(8) },
      ],
      symbols: [],
    });
    const graph = createElfLinkGraph(bytes, genericArch(), { name: 'dup.o' });
    const names = [...graph.sections()].map((s) => s.name);
    expect(names).toEqual(['.text.dup', '.text.dup [2]']);
    const info = getElfGraphInfo(graph)!;
    expect([...graph.sections()].map((s) => info.originalNames.get(s))).toEqual(['.text.dup', '.text.dup']);
    // Blocks are at distinct addresses in file order.
    const [a, b] = [...graph.blocks()];
    expect(a!.address).toBeLessThan(b!.address);
  });

  test('the backend checks the machine and builds graphs', () => {
    const arch = genericArch();
    const backend = createElfBackend(arch);
    expect([backend.name, backend.format, backend.arch]).toEqual(['ELF/x86_64', 'elf', 'x86_64']);
    const bytes = writeElf({ bits: 64, endianness: 'little', machine: 183, sections: [], symbols: [] });
    const identity = { format: 'elf' as const, arch: 'aarch64', bits: 64 as const, endianness: 'little' as const, description: 'ELF64' };
    expect(() => backend.createLinkGraph(bytes, { name: 'a.o', identity })).toThrow(/aarch64/);
    expect(() => createElfLinkGraph(bytes, arch, { name: 'a.o' })).toThrow(expect.objectContaining({ code: 'UnsupportedArchitecture' }));
  });
});

describe('COMDAT groups', () => {
  function comdatObject(): Uint8Array {
    return writeElf({
      bits: 64,
      endianness: 'little',
      machine: 62,
      sections: [
        { name: '.group', type: SHT_GROUP, flags: 0, groupMembers: ['.text.inl'], groupSignature: 'inl' },
        { name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(16) },
        { name: '.text.inl', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR | SHF_GROUP, content: new Uint8Array(8) },
        { name: '.eh_frame', type: SHT_PROGBITS, flags: SHF_ALLOC, content: new Uint8Array(16) },
      ],
      symbols: [
        { name: '', type: STT_SECTION, bind: STB_LOCAL, section: '.text.inl' },
        { name: 'inl', type: STT_FUNC, bind: STB_GLOBAL, section: '.text.inl', size: 8 },
        { name: 'main', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', size: 16 },
      ],
      relocations: [
        { section: '.text', offset: 4, type: 4, symbol: 2, addend: -4 },
        { section: '.eh_frame', offset: 8, type: 2, symbol: 1 },
      ],
    });
  }

  test('groups are recorded, their global definitions are weak, and a group can be discarded', () => {
    const graph = createElfLinkGraph(comdatObject(), genericArch(), { name: 'c.o' });
    const groups = getElfComdatGroups(graph);
    expect(groups).toHaveLength(1);
    const group = groups[0]!;
    expect([group.signature, group.isComdat, group.sections.map((s) => s.name)]).toEqual(['inl', true, ['.text.inl']]);
    expect(symbolNamed(graph, 'inl')!.linkage).toBe(Linkage.Weak);
    expect(symbolNamed(graph, 'main')!.linkage).toBe(Linkage.Strong);

    discardElfComdatGroup(graph, group);
    expect(group.discarded).toBe(true);
    expect(graph.findSectionByName('.text.inl')).toBeUndefined();
    const inl = symbolNamed(graph, 'inl')!;
    expect(inl.isExternal()).toBe(true);
    expect(inl.linkage).toBe(Linkage.Strong);
    // main's call now goes to the external; the FDE's reference to the section symbol to an absolute tombstone.
    const main = symbolNamed(graph, 'main')!;
    expect(main.block.edges[0]!.target).toBe(inl);
    const eh = [...graph.findSectionByName('.eh_frame')!.blocks][0]!;
    expect(eh.edges[0]!.target.isAbsolute()).toBe(true);
    expect(eh.edges[0]!.target.live).toBe(false);
  });

  test('a non-eh-frame reference to a local symbol of a discarded group is an error', () => {
    const bytes = comdatObject();
    const graph = createElfLinkGraph(bytes, genericArch(), { name: 'c.o' });
    const main = symbolNamed(graph, 'main')!;
    const sectionSym = [...graph.findSectionByName('.text.inl')!.symbols].find((s) => s.name === undefined)!;
    main.block.addEdge(EdgeKinds.FirstRelocation, 8, sectionSym, 0);
    expect(() => discardElfComdatGroup(graph, getElfComdatGroups(graph)[0]!)).toThrow(/discarded COMDAT group inl/);
  });

  const cxx = corpus('gcc/O2-pic-small/cxx/shapes.o');
  ifExists(cxx)('real C++ object: every group can be discarded and the graph stays consistent', () => {
    const graph = createElfLinkGraph(readObject(cxx), genericArch(), { name: cxx });
    const groups = getElfComdatGroups(graph);
    expect(groups.map((g) => g.signature)).toContain('_ZNK5Shape5sidesEv');
    for (const g of groups) for (const s of g.sections) for (const sym of s.symbols) if (sym.scope !== Scope.Local) expect(sym.linkage).toBe(Linkage.Weak);
    for (const g of groups) discardElfComdatGroup(graph, g);
    expect(symbolNamed(graph, '_ZNK5Shape5sidesEv')!.isExternal()).toBe(true);
    for (const b of graph.blocks()) for (const e of b.edges) expect(e.target.inGraph).toBe(true);
  });
});

describe('symbols', () => {
  const commons = corpus('gcc/O0-pic-small/commons/commons_main.o');
  ifExists(commons)('common symbols: zero-fill blocks in .common with alignment st_value and size st_size', () => {
    const graph = createElfLinkGraph(readObject(commons), genericArch(), { name: commons });
    const table = symbolNamed(graph, 'counter_table')!;
    expect(table.block.section.name).toBe('.common');
    expect(table.block.section.prot).toBe(MemProt.Read | MemProt.Write);
    expect([table.block.isZeroFill(), table.block.size, table.block.alignment, table.linkage]).toEqual([true, 64, 32, Linkage.Weak]);
    expect(symbolNamed(graph, 'common_total')!.block.alignment).toBe(8);
  });

  test('STV_INTERNAL definitions are hidden (crafted)', () => {
    const bytes = writeElf({
      bits: 64,
      endianness: 'little',
      machine: 62,
      sections: [{ name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(4) }],
      symbols: [
        { name: 'internal_fn', type: STT_FUNC, bind: STB_GLOBAL, visibility: STV_INTERNAL, section: '.text' },
        { name: 'hidden_fn', type: STT_FUNC, bind: STB_GLOBAL, visibility: 2, section: '.text' },
        { name: 'protected_fn', type: STT_FUNC, bind: STB_GLOBAL, visibility: 3, section: '.text' },
        { name: 'weak_ref', bind: 2, section: 0 },
        { name: 'abs', bind: STB_GLOBAL, section: 0xfff1, value: 0x1234 },
      ],
    });
    const graph = createElfLinkGraph(bytes, genericArch(), { name: 'v.o' });
    expect(symbolNamed(graph, 'internal_fn')!.scope).toBe(Scope.Hidden);
    expect(symbolNamed(graph, 'hidden_fn')!.scope).toBe(Scope.Hidden);
    expect(symbolNamed(graph, 'protected_fn')!.scope).toBe(Scope.Default);
    const weak = symbolNamed(graph, 'weak_ref')!;
    expect([weak.isExternal(), weak.linkage]).toEqual([true, Linkage.Weak]);
    const abs = symbolNamed(graph, 'abs')!;
    expect([abs.isAbsolute(), abs.address]).toEqual([true, 0x1234]);
  });

  const lua = '/usr/lib/x86_64-linux-gnu/liblua5.4.a';
  needs(debianLibrary(lua), tool('ar', 'binutils')).test('Debian liblua5.4.a: every member builds, STV_INTERNAL definitions become hidden', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlink-elf-lua-'));
    try {
      execFileSync('ar', ['x', lua], { cwd: dir });
      let internal = 0;
      for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.o'))) {
        const p = path.join(dir, f);
        const bytes = readObject(p);
        const graph = createElfLinkGraph(bytes, genericArch(), { name: p });
        for (const sym of parseElf(bytes, p).symbols) {
          if (sym.visibility !== STV_INTERNAL || sym.sectionIndex === 0 || sym.binding === STB_LOCAL) continue;
          expect(symbolNamed(graph, sym.name)!.scope).toBe(Scope.Hidden);
          internal++;
        }
      }
      expect(internal).toBeGreaterThan(10);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const sections = corpus('gcc/O2-pic-small/sections/sections_main.o');
  ifExists(sections)('__start_X / __stop_X are defined at the start and end of section X', () => {
    const graph = createElfLinkGraph(readObject(sections), genericArch(), { name: sections });
    const start = symbolNamed(graph, '__start_my_items')!;
    const stop = symbolNamed(graph, '__stop_my_items')!;
    expect(start.block.section.name).toBe('my_items');
    expect(stop.block).toBe(start.block);
    expect([start.offset, stop.offset, start.scope]).toEqual([0, start.block.size, Scope.Local]);
    expect(start.block.size).toBeGreaterThan(0);
  });

  const tls = corpus('gcc/O2-pic-small/tls/tls.o');
  ifExists(tls)('TLS sections are built and marked', () => {
    const graph = createElfLinkGraph(readObject(tls), genericArch(), { name: tls });
    const info = getElfGraphInfo(graph)!;
    expect([...info.tlsSections].map((s) => s.name).sort()).toEqual(['.tbss', '.tdata']);
  });
});

describe('initializer sections', () => {
  test('priorities and kinds', () => {
    expect(initializerSectionInfo('.init_array')).toEqual({ kind: 'init', priority: 65535, legacy: false });
    expect(initializerSectionInfo('.init_array.00101')).toEqual({ kind: 'init', priority: 101, legacy: false });
    expect(initializerSectionInfo('.fini_array.200')).toEqual({ kind: 'fini', priority: 200, legacy: false });
    expect(initializerSectionInfo('.preinit_array')).toEqual({ kind: 'preinit', priority: 65535, legacy: false });
    expect(initializerSectionInfo('.ctors')).toEqual({ kind: 'init', priority: 65535, legacy: true });
    expect(initializerSectionInfo('.ctors.65434')).toEqual({ kind: 'init', priority: 101, legacy: true });
    expect(initializerSectionInfo('.dtors.65434')).toEqual({ kind: 'fini', priority: 101, legacy: true });
    for (const n of ['.init_arrayx', '.init_array.', '.init_array.x1', '.init_array.70000', '.text', '.preinit_array.5']) {
      expect(initializerSectionInfo(n)).toBeUndefined();
    }
    const order = ['.init_array', '.ctors.65434', '.init_array.101', '.ctors', '.init_array.65535']
      .map((n) => [n, initializerSectionInfo(n)!] as const)
      .sort((a, b) => compareInitializerSections(a[1], b[1]))
      .map(([n]) => n);
    expect(order).toEqual(['.init_array.101', '.ctors.65434', '.init_array', '.init_array.65535', '.ctors']);
  });

  const ctors = corpus('gcc/O2-pic-small/ctors/ctors_main.o');
  ifExists(ctors)('init/fini array blocks are kept alive by a live anonymous symbol covering them', () => {
    const graph = createElfLinkGraph(readObject(ctors), genericArch(), { name: ctors });
    let count = 0;
    for (const section of graph.sections()) {
      if (initializerSectionInfo(section.name) === undefined) continue;
      const block = [...section.blocks][0]!;
      const live = [...section.symbols].filter((s) => s.live && s.name === undefined);
      expect(live.map((s) => [s.offset, s.size])).toEqual([[0, block.size]]);
      count++;
    }
    expect(count).toBe(6);
  });
});

export function expectMalformed(fn: () => unknown, file: string, detail: RegExp): JITLinkError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    const err = e as JITLinkError;
    expect(err.code).toBe('MalformedObject');
    expect(err.file).toBe(file);
    expect(err.offset).toEqual(expect.any(Number));
    expect(err.detail).toMatch(detail);
    return err;
  }
  throw new Error('expected a MalformedObject error');
}
