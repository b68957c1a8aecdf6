import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LinkGraph, Linkage, MemProt, Scope } from '@jitlink/core';
import { createElfLinkGraph, getElfGraphInfo, mergeObjectsSharingSections } from '../src/index.js';
import { corpusObjDir, genericArch, readObject } from './helpers.js';
import { file, needs } from '@jitlink/test-support';

const variantDir = join(corpusObjDir, 'gcc/O0-pic-small');
const objectsOf = (program: string): string[] =>
  readdirSync(join(variantDir, program))
    .filter((f) => f.endsWith('.o'))
    .sort()
    .map((f) => join(variantDir, program, f));

needs(file(variantDir)).describe('mergeObjectsSharingSections', () => {
  const load = (path: string) => createElfLinkGraph(readObject(path), genericArch(), { name: path });

  test('objects sharing my_items are merged into the first; the others keep their place', () => {
    const [hello] = objectsOf('hello');
    const sections = objectsOf('sections');
    const [multiFirst] = objectsOf('multi');
    const graphs = [hello!, ...sections, multiFirst!].map(load);
    const result = mergeObjectsSharingSections(graphs);
    expect(result.map((g) => g.name)).toEqual([hello, sections[0], multiFirst]);
    expect(result[1]).toBe(graphs[1]);
    const merged = result[1]!;
    const items = merged.findSectionByName('my_items')!;
    expect(items.blocks.size).toBe(sections.length);
    const names = [...merged.definedSymbols()].map((s) => s.name).filter((n) => n?.startsWith('__st'));
    expect(names.sort()).toEqual(['__start_my_items', '__stop_my_items']);
    expect(getElfGraphInfo(merged)!.originalNames.get(items)).toBe('my_items');
  });

  test('unrelated objects are returned as they are', () => {
    const graphs = objectsOf('multi').map(load);
    const result = mergeObjectsSharingSections(graphs);
    expect(result).toHaveLength(graphs.length);
    result.forEach((g, i) => expect(g).toBe(graphs[i]));
  });

  test('graphs not built from ELF objects take no part', () => {
    const sections = objectsOf('sections').map(load);
    const byHand = new LinkGraph({ name: 'by-hand', triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness: 'little' });
    const block = byHand.createContentBlock(byHand.createSection('my_items', MemProt.Read), new Uint8Array(8), 0, 8, 0);
    byHand.addDefinedSymbol(block, 0, 'item', 8, Linkage.Strong, Scope.Default, false, true);
    byHand.addExternalSymbol('__start_my_items', 0);
    const result = mergeObjectsSharingSections([...sections, byHand]);
    expect(result).toEqual([sections[0], byHand]);
    expect(result[0]!.findSectionByName('my_items')!.blocks.size).toBe(sections.length);
  });
});
