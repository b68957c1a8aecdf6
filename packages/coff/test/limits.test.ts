import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JITLinkError, type InputLimits } from '@jitlink/core';
import { createCoffLinkGraph, parseCoff } from '../src/index.js';
import { CORPUS, recordingArch } from './helpers.js';

const FILE = 'compute.obj';
const bytes = new Uint8Array(readFileSync(join(CORPUS, 'clang-19-coff-x86_64/O2/compute.obj')));
const coff = parseCoff(bytes, FILE);
const relocations = coff.sections.reduce((n, s) => n + s.relocations.length, 0);

function limitError(limits: InputLimits): JITLinkError {
  try {
    createCoffLinkGraph(bytes, recordingArch(), { name: FILE, limits });
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('expected a LimitExceeded error');
}

describe('input limits', () => {
  test('the object builds at exactly its own size, section count and relocation count', () => {
    expect(relocations).toBeGreaterThan(0);
    expect(() =>
      createCoffLinkGraph(bytes, recordingArch(), { name: FILE, limits: { maxInputBytes: bytes.length, maxSections: coff.sections.length, maxRelocations: relocations } }),
    ).not.toThrow();
  });

  test('one byte, one section, one relocation fewer: LimitExceeded errors naming the file', () => {
    const size = limitError({ maxInputBytes: bytes.length - 1 });
    expect([size.code, size.file, size.message]).toEqual(['LimitExceeded', FILE, `${FILE}: ${bytes.length} input bytes exceed the limit of ${bytes.length - 1}`]);
    expect(limitError({ maxSections: coff.sections.length - 1 }).message).toBe(`${FILE}: ${coff.sections.length} sections exceed the limit of ${coff.sections.length - 1}`);
    expect(limitError({ maxRelocations: relocations - 1 }).message).toBe(`${FILE}: ${relocations} relocations exceed the limit of ${relocations - 1}`);
  });
});
