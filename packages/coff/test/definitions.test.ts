/**
 * The definitions scan (readCoffDefinitions) gives what building the graph
 * gives, for every COFF object of the corpus, from the whole object and from
 * only the ranges readCoffDefinitionRanges reads (as for archive members read
 * on demand).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { graphDefinitions, PartialObject } from '@jitlink/core';
import { createCoffLinkGraph, readCoffDefinitionRanges, readCoffDefinitions } from '../src/index.js';
import { CORPUS, recordingArch } from './helpers.js';

function objectsUnder(dir: string): string[] {
  return readdirSync(join(CORPUS, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(CORPUS, path)).isDirectory()) return objectsUnder(path);
    return name.endsWith('.obj') && !name.includes('newest') ? [path] : [];
  });
}

const objects = ['clang-19-coff-x86_64', 'mingw-coff-x86_64', 'asm/x86_64-coff', 'clang-19-coff-aarch64', 'asm/aarch64-coff'].flatMap(objectsUnder);

describe('readCoffDefinitions', () => {
  it('covers both machines', () => expect(objects.length).toBeGreaterThanOrEqual(45));

  it.each(objects)('%s: the scan gives the graph\'s definitions', (relative) => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS, relative)));
    const machine = new DataView(bytes.buffer).getUint16(0, true) === 0xaa64 ? 0xaa64 : 0x8664;
    const arch = recordingArch([], machine);
    const expected = graphDefinitions(createCoffLinkGraph(bytes, arch, { name: relative }));
    expect(readCoffDefinitions(bytes, arch, relative)).toEqual(expected);

    // Only the ranges the scan names, as an archive member read on demand.
    const partial = new PartialObject({ size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) });
    partial.read(0, 64);
    readCoffDefinitionRanges(partial, relative);
    expect(readCoffDefinitions(partial.bytes, arch, relative)).toEqual(expected);
  });
});
