import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeKinds, JITLinkError, Linkage, MemProt, Scope, type LinkGraph, type Symbol } from '@jitlink/core';
import {
  coffFormatSniffer,
  getCoffGraphInfo,
  IMAGE_COMDAT_SELECT_ANY,
  IMAGE_COMDAT_SELECT_ASSOCIATIVE,
  IMAGE_COMDAT_SELECT_NODUPLICATES,
  parseCoff,
  parseDirectives,
} from '../src/index.js';
import { buildCorpusObject, CORPUS, corpusCoffObjects, type RecordedRelocation } from './helpers.js';

function defined(graph: LinkGraph, name: string): Symbol {
  let found: Symbol | undefined;
  graph.forEachDefinedSymbol((s) => {
    if (s.name === name) found = s;
  });
  if (found === undefined) throw new Error(`${name} is not defined in ${graph.name}`);
  return found;
}

describe('COFF corpus', () => {
  const objects = corpusCoffObjects();

  it('has the objects build-coff.sh makes', () => {
    expect(objects.length).toBeGreaterThanOrEqual(26);
  });

  const buildable = objects.map((o) => o.slice(CORPUS.length + 1)).filter((o) => !o.includes('newest'));
  it.each(buildable.map((o) => [o]))('%s builds into a graph', (relative) => {
    const graph = buildCorpusObject(relative);
    expect(graph.format).toBe('coff');
    expect(graph.triple).toBe('x86_64-pc-windows-msvc');
    // Linker directives and address-significance tables are read, never loaded.
    expect(graph.findSectionByName('.drectve')).toBeUndefined();
    expect(graph.findSectionByName('.llvm_addrsig')).toBeUndefined();
  });

  it.each(['clang-19-coff-x86_64/O2', 'mingw-coff-x86_64/bigobj', 'mingw-coff-x86_64/O2'])(
    '%s/compute.obj defines the functions and data of compute.c',
    (dir) => {
      const graph = buildCorpusObject(`${dir}/compute.obj`);
      for (const name of ['compute', 'fib', 'classify', 'sum6', 'counter', 'names', 'ops']) {
        expect(defined(graph, name).scope).toBe(Scope.Default);
      }
      expect(defined(graph, 'compute').callable).toBe(true);
      expect(defined(graph, 'compute').block.section.prot).toBe(MemProt.Read | MemProt.Exec);
      expect(defined(graph, 'counter').block.section.prot).toBe(MemProt.Read | MemProt.Write);
      expect(getCoffGraphInfo(graph)!.bigobj).toBe(dir.endsWith('bigobj'));
    },
  );

  it('reads a /bigobj object like the regular one (same symbols, sections and relocations)', () => {
    const summary = (relative: string) => {
      const recorded: RecordedRelocation[] = [];
      const graph = buildCorpusObject(relative, recorded);
      const names: string[] = [];
      graph.forEachDefinedSymbol((s) => names.push(`${s.name ?? '-'}@${s.block.section.name}+${s.offset}`));
      return { names: names.sort(), relocations: recorded.map((r) => `${r.type}:${r.target}:${r.site.offsetInBlock}`) };
    };
    const bytes = new Uint8Array(readFileSync(join(CORPUS, 'mingw-coff-x86_64/bigobj/compute.obj')));
    expect(coffFormatSniffer.sniff(bytes, {})).toMatchObject({ format: 'coff', arch: 'x86_64', bigobj: true });
    expect(summary('mingw-coff-x86_64/bigobj/compute.obj')).toEqual(summary('mingw-coff-x86_64/O2/compute.obj'));
  });

  it('keeps each function block\'s .pdata entries alive with it', () => {
    const graph = buildCorpusObject('clang-19-coff-x86_64/O2/compute.obj');
    const text = defined(graph, 'compute').block;
    const pdata = graph.findSectionByName('.pdata');
    expect(pdata).toBeDefined();
    const keepAliveTargets: string[] = [];
    for (let i = 0; i < text.edgeCount; i++) {
      if (text.edgeKind(i) === EdgeKinds.KeepAlive) keepAliveTargets.push(text.edgeTarget(i).block.section.name);
    }
    expect(keepAliveTargets).toContain('.pdata');
  });

  it('gives mingw\'s `main` a `__main` that returns at once', () => {
    const graph = buildCorpusObject('mingw-coff-x86_64/O2/hello.obj');
    const hook = defined(graph, '__main');
    expect(hook.linkage).toBe(Linkage.Weak);
    expect([...hook.block.getContent()]).toEqual([0xc3]);
    expect(graph.findExternalSymbol('printf')).toBeDefined();
  });
});

describe('COMDAT sections', () => {
  it.each([
    ['discard', IMAGE_COMDAT_SELECT_ANY, Linkage.Weak],
    ['same_size', 3, Linkage.Weak],
    ['same_contents', 4, Linkage.Weak],
    ['largest', 6, Linkage.Weak],
    ['one_only', IMAGE_COMDAT_SELECT_NODUPLICATES, Linkage.Strong],
  ])('selection %s (%d): the leader is %s', (kind, selection, linkage) => {
    const graph = buildCorpusObject(`asm/x86_64-coff/comdat_${kind}_b.obj`);
    expect(getCoffGraphInfo(graph)!.comdats.map((c) => c.selection)).toEqual([selection]);
    expect(defined(graph, 'shared').linkage).toBe(linkage);
  });

  it('refuses NEWEST with a message naming the symbol', () => {
    expect(() => buildCorpusObject('asm/x86_64-coff/comdat_newest_a.obj')).toThrow(/shared.*selection NEWEST/);
  });

  it('ties an ASSOCIATIVE section to its parent with a keep-alive edge', () => {
    const graph = buildCorpusObject('asm/x86_64-coff/comdat_associative_b.obj');
    const info = getCoffGraphInfo(graph)!;
    const assoc = info.comdats.find((c) => c.selection === IMAGE_COMDAT_SELECT_ASSOCIATIVE)!;
    const child = info.blocksBySection[assoc.section.number]!;
    const parent = info.blocksBySection[assoc.associatedWith!]!;
    expect(defined(graph, 'shared').block).toBe(parent);
    const kept: unknown[] = [];
    for (let i = 0; i < parent.edgeCount; i++) if (parent.edgeKind(i) === EdgeKinds.KeepAlive) kept.push(parent.edgeTarget(i).block);
    expect(kept).toEqual([child]);
  });
});

describe('.drectve directives', () => {
  it('splits directives as the MSVC linker does and exposes them', () => {
    const d = parseDirectives(' /DEFAULTLIB:"LIBCMT" /alternatename:foo=bar -aligncomm:common_var,5 /include:"keep me" -export:f');
    expect(d.defaultLibs).toEqual(['LIBCMT']);
    expect([...d.alternateNames]).toEqual([['foo', 'bar']]);
    expect([...d.commonAlignments]).toEqual([['common_var', 5]]);
    expect(d.includes).toEqual(['keep me']);
    expect(d.all).toHaveLength(5);
  });

  it('reads the /DEFAULTLIB directives clang writes', () => {
    const file = parseCoff(new Uint8Array(readFileSync(join(CORPUS, 'clang-19-coff-x86_64/O2/hello.obj'))), 'hello.obj');
    expect(file.directives.defaultLibs.map((l) => l.toLowerCase())).toEqual(['msvcrt.lib']);
  });

  it('gives malformed input a typed error', () => {
    expect(() => parseCoff(new Uint8Array(10), 'tiny.obj')).toThrow(JITLinkError);
  });
});
