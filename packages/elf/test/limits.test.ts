import * as path from 'node:path';
import { JITLinkError } from '@jitlink/core';
import { createElfLinkGraph, parseElf } from '../src/index.js';
import { corpusObjDir, genericArch, readObject } from './helpers.js';

const FILE = 'shapes.o';
const bytes = readObject(path.join(corpusObjDir, 'gcc/O2-pic-small/cxx/shapes.o'));
const elf = parseElf(bytes, FILE);
const relocations = elf.relocationSections.reduce((n, r) => n + r.count, 0);

function limitError(limits: Parameters<typeof createElfLinkGraph>[2]['limits']): JITLinkError {
  try {
    createElfLinkGraph(bytes, genericArch(), { name: FILE, limits });
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('expected a LimitExceeded error');
}

describe('input limits', () => {
  test('the object links at exactly its own size, section count and relocation count', () => {
    expect(relocations).toBeGreaterThan(0);
    expect(() =>
      createElfLinkGraph(bytes, genericArch(), {
        name: FILE,
        limits: { maxInputBytes: bytes.length, maxSections: elf.sections.length, maxRelocations: relocations },
      }),
    ).not.toThrow();
  });

  test('one byte, one section, one relocation fewer: LimitExceeded errors naming the file', () => {
    const size = limitError({ maxInputBytes: bytes.length - 1 });
    expect([size.code, size.file, size.message]).toEqual([
      'LimitExceeded',
      FILE,
      `${FILE}: ${bytes.length} input bytes exceed the limit of ${bytes.length - 1}`,
    ]);
    expect(limitError({ maxSections: elf.sections.length - 1 }).message).toBe(
      `${FILE}: ${elf.sections.length} sections exceed the limit of ${elf.sections.length - 1}`,
    );
    expect(limitError({ maxRelocations: relocations - 1 }).message).toBe(
      `${FILE}: ${relocations} relocations exceed the limit of ${relocations - 1}`,
    );
  });
});
