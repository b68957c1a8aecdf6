/**
 * Malformed COFF input gives a typed JITLinkError naming the file (and where
 * known section and offset): never a crash, a hang or an out-of-bounds read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JITLinkError } from '@jitlink/core';
import { coffFormatSniffer, createCoffLinkGraph, IMAGE_SYM_CLASS_EXTERNAL, IMAGE_SYM_CLASS_WEAK_EXTERNAL } from '../src/index.js';
import { DATA, TEXT, writeCoff } from './coff-writer.js';
import { CORPUS, prng, recordingArch } from './helpers.js';

const FILE = 'bad.obj';

function build(bytes: Uint8Array): unknown {
  return createCoffLinkGraph(bytes, recordingArch(), { name: FILE });
}

function failure(bytes: Uint8Array): JITLinkError {
  try {
    build(bytes);
  } catch (e) {
    if (e instanceof JITLinkError) return e;
    throw new Error(`a non-JITLinkError escaped: ${(e as Error).stack}`);
  }
  throw new Error('the malformed object was accepted');
}

/** A valid object: `f` in .text calls `ext` (REL32), and `d` in .data. */
function sample(): Uint8Array {
  return writeCoff(
    0x8664,
    [
      { name: '.text', characteristics: TEXT, content: Uint8Array.of(0xe8, 0, 0, 0, 0, 0xc3), relocations: [{ offset: 1, symbolIndex: 2, type: 4 }] },
      { name: '.data', characteristics: DATA, content: new Uint8Array(8) },
    ],
    [
      { name: 'f', value: 0, sectionNumber: 1, type: 0x20, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
      { name: 'd', value: 0, sectionNumber: 2, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
      { name: 'ext', value: 0, sectionNumber: 0, type: 0x20, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
    ],
  );
}

const u32 = (bytes: Uint8Array, at: number, v: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, v, true);
const u16 = (bytes: Uint8Array, at: number, v: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint16(at, v, true);

describe('malformed COFF objects', () => {
  it('the sample itself builds', () => {
    expect(() => build(sample())).not.toThrow();
  });

  it('names keep every byte: bytes that are not UTF-8 and EF BB BF are not replaced or dropped, in short and long names', () => {
    const bytes = writeCoff(
      0x8664,
      [{ name: '.data', characteristics: DATA, content: new Uint8Array(8) }],
      [
        { name: 'a\u00e9', value: 0, sectionNumber: 1, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
        { name: 'long_name_\u00e9', value: 4, sectionNumber: 1, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
        { name: 'b\ufeffc', value: 0, sectionNumber: 1, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
      ],
    );
    // The é (C3 A9) of both names becomes FF A9: not UTF-8.
    for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0xc3 && bytes[i + 1] === 0xa9) bytes[i] = 0xff;
    const graph = createCoffLinkGraph(bytes, recordingArch(), { name: FILE });
    const names = [...graph.definedSymbols()].map((s) => s.name).filter((n) => !n.startsWith('.'));
    expect(names.sort()).toEqual(['a\udcff\udca9', 'b\ufeffc', 'long_name_\udcff\udca9']);
  });

  it('section table past the end of the file', () => {
    const bytes = sample();
    u16(bytes, 2, 5000);
    const e = failure(bytes);
    expect(e.code).toBe('MalformedObject');
    expect(e.message).toMatch(/^bad\.obj, offset 0x2: section table \(5000 sections at 0x14\) extends past the end/);
  });

  it('section content past the end of the file', () => {
    const bytes = sample();
    u32(bytes, 20 + 16, 0x10000);
    expect(failure(bytes).message).toMatch(/^bad\.obj, section \.text, offset 0x24: content of 65536 bytes/);
  });

  it('relocation symbol index out of range', () => {
    const bytes = sample();
    const relocAt = new DataView(bytes.buffer).getUint32(20 + 24, true);
    u32(bytes, relocAt + 4, 77);
    const e = failure(bytes);
    expect(e.message).toMatch(/^bad\.obj, section \.text, offset 0x[0-9a-f]+: relocation names symbol index 77; the symbol table has 3 entries/);
  });

  it('auxiliary records past the end of the symbol table', () => {
    const bytes = sample();
    const symtab = new DataView(bytes.buffer).getUint32(8, true);
    bytes[symtab + 2 * 18 + 17] = 3;
    expect(failure(bytes).message).toMatch(/symbol #2 \(ext\) has 3 auxiliary records past the end of the symbol table/);
  });

  it('bad string-table offsets', () => {
    const bytes = sample();
    const symtab = new DataView(bytes.buffer).getUint32(8, true);
    u32(bytes, symtab, 0);
    u32(bytes, symtab + 4, 0x999);
    expect(failure(bytes).message).toMatch(/symbol #0's name names string-table offset 2457, outside the 4-byte string table/);
  });

  it('a symbol table past the end of the file', () => {
    const bytes = sample();
    u32(bytes, 12, 100000);
    expect(failure(bytes).message).toMatch(/symbol table \(100000 symbols at 0x[0-9a-f]+\) extends past the end of the file/);
  });

  it('a weak external whose default is not a symbol', () => {
    const aux = new Uint8Array(18);
    new DataView(aux.buffer).setUint32(0, 55, true);
    const bytes = writeCoff(0x8664, [], [{ name: 'w', value: 0, sectionNumber: 0, storageClass: IMAGE_SYM_CLASS_WEAK_EXTERNAL, aux: [aux] }]);
    expect(failure(bytes).message).toMatch(/symbol #0 \(w\) names default symbol index 55, which is not a symbol/);
  });

  it('an object of another machine', () => {
    const bytes = sample();
    u16(bytes, 0, 0xaa64);
    expect(failure(bytes).code).toBe('UnsupportedArchitecture');
  });

  it('a truncated bigobj header', () => {
    const bytes = Uint8Array.of(0, 0, 0xff, 0xff, 2, 0, 0x64, 0x86);
    expect(() => coffFormatSniffer.sniff(bytes, { file: FILE })).toThrow(/truncated COFF bigobj header/);
  });
});

describe('fuzzing the COFF reader', () => {
  /** Flips random bytes of real objects: every outcome is a graph or a JITLinkError. */
  const seeds = ['clang-19-coff-x86_64/O2/compute.obj', 'mingw-coff-x86_64/bigobj/hello.obj', 'asm/x86_64-coff/relocs.obj'];
  it.each(seeds)('%s, 400 mutants', (relative) => {
    const original = new Uint8Array(readFileSync(join(CORPUS, relative)));
    const next = prng(relative.length * 7919);
    let rejected = 0;
    for (let round = 0; round < 400; round++) {
      const bytes = original.slice();
      const flips = 1 + (next() % 8);
      for (let i = 0; i < flips; i++) {
        // Mostly the headers and tables, where a flip changes offsets and counts.
        const at = next() % 3 === 0 ? next() % Math.min(bytes.length, 400) : next() % bytes.length;
        bytes[at] = next() & 0xff;
      }
      try {
        if (coffFormatSniffer.sniff(bytes, { file: FILE }) !== undefined) build(bytes);
      } catch (e) {
        if (!(e instanceof JITLinkError)) throw new Error(`mutant ${round} of ${relative}: ${(e as Error).stack}`);
        expect(e.file).toBe(FILE);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
