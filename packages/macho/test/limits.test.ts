import { JITLinkError, type InputLimits } from '@jitlink/core';
import { createMachOBackend, createMachOLinkGraph, parseMachO } from '../src/index.js';
import { corpusObject, recordingArch } from './helpers.js';

const FILE = 'shapes.o';
const bytes = corpusObject('x86_64/O2/shapes/shapes.o');
const macho = parseMachO(bytes, FILE);
const relocations = macho.sections.reduce((n, s) => n + s.relocationCount, 0);

function limitError(build: () => unknown): JITLinkError {
  try {
    build();
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('expected a LimitExceeded error');
}
const building = (limits: InputLimits) => () => createMachOLinkGraph(bytes, recordingArch(), { name: FILE, limits });

describe('input limits', () => {
  test('the object builds at exactly its own size, section count and relocation count', () => {
    expect(relocations).toBeGreaterThan(0);
    expect(building({ maxInputBytes: bytes.length, maxSections: macho.sections.length, maxRelocations: relocations })).not.toThrow();
  });

  test('one byte, one section, one relocation fewer: LimitExceeded errors naming the file', () => {
    const size = limitError(building({ maxInputBytes: bytes.length - 1 }));
    expect([size.code, size.file, size.message]).toEqual(['LimitExceeded', FILE, `${FILE}: ${bytes.length} input bytes exceed the limit of ${bytes.length - 1}`]);
    expect(limitError(building({ maxSections: macho.sections.length - 1 })).message).toBe(
      `${FILE}: ${macho.sections.length} sections exceed the limit of ${macho.sections.length - 1}`,
    );
    expect(limitError(building({ maxRelocations: relocations - 1 })).message).toBe(`${FILE}: ${relocations} relocations exceed the limit of ${relocations - 1}`);
  });

  test('through the backend: a universal file counts whole, its slice within the limit or not', () => {
    const universal = corpusObject('universal/hello.o');
    const backend = createMachOBackend(recordingArch());
    const identity = backend.sniffer!.sniff(universal, { file: 'hello.o', arch: 'x86_64' });
    expect(identity?.slice).toBeDefined();
    const error = limitError(() => backend.createLinkGraph(universal, { name: 'hello.o', identity: identity!, limits: { maxInputBytes: universal.length - 1 } }));
    expect(error.message).toBe(`hello.o: ${universal.length} input bytes exceed the limit of ${universal.length - 1}`);
    expect(() => backend.createLinkGraph(universal, { name: 'hello.o', identity: identity!, limits: { maxInputBytes: universal.length } })).not.toThrow();
  });
});
