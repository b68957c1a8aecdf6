import { readdirSync, readFileSync } from 'node:fs';
import { file, needs } from '@jitlink/test-support';
import { join } from 'node:path';
import { getElfGraphInfo } from '@jitlink/elf';
import { mergeObjectsSharingSections } from '../src/aggregate-sections.js';
import { createDefaultRegistry } from '../src/run.js';
import { REPO_ROOT } from './corpus.js';

const variantDir = join(REPO_ROOT, 'test-corpus/obj/gcc/O0-pic-small');
const objectsOf = (program: string): string[] =>
  readdirSync(join(variantDir, program))
    .filter((f) => f.endsWith('.o'))
    .sort()
    .map((f) => join(variantDir, program, f));

needs(file(variantDir)).describe('mergeObjectsSharingSections', () => {
  const registry = createDefaultRegistry();
  const load = (path: string) => {
    const b = readFileSync(path);
    return registry.createLinkGraph(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), { name: path });
  };

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
});
