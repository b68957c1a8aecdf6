import * as path from 'node:path';
import { graphDefinitions, JITLinkError, PartialObject, type LinkGraph, type ObjectDefinitions } from '@jitlink/core';
import {
  createElfLinkGraph,
  elfFormatSniffer,
  parseElf,
  readElfDefinitions,
  readElfSymbolScanRanges,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHT_PROGBITS,
  STB_GLOBAL,
  STT_FUNC,
  type ElfFile,
} from '../src/index.js';
import { writeElf } from './elf-writer.js';
import { corpusObjDir, countingSource, definitionsOutcome, genericArch, prng, readObject } from './helpers.js';
import { file, needs } from '@jitlink/test-support';

const FILE = 'bad.o';

/** What the ELF sniffer makes of `bytes`: the identity, or the error's code and message (anything else fails the test). */
function sniffOutcome(bytes: Uint8Array): unknown {
  try {
    return elfFormatSniffer.sniff(bytes, { file: FILE });
  } catch (e) {
    if (!(e instanceof JITLinkError)) throw new Error(`the sniffer threw a non-JITLinkError: ${(e as Error).stack}`);
    return { code: e.code, message: e.message };
  }
}

/** A small valid object; `names` renames its three symbols (function, data, undefined). */
function sample(names: readonly [string, string, string] = ['f', 'd', 'ext']): Uint8Array {
  return writeElf({
    bits: 64,
    endianness: 'little',
    machine: 62,
    sections: [
      {
        name: '.text',
        type: SHT_PROGBITS,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        content: new Uint8Array(16),
        align: 16,
      },
      {
        name: '.data',
        type: SHT_PROGBITS,
        flags: SHF_ALLOC | SHF_WRITE,
        content: new Uint8Array(8),
        align: 8,
      },
    ],
    symbols: [
      { name: names[0], type: STT_FUNC, bind: STB_GLOBAL, section: '.text', size: 16 },
      { name: names[1], type: 1, bind: STB_GLOBAL, section: '.data', size: 8 },
      { name: names[2], section: 0 },
    ],
    relocations: [{ section: '.text', offset: 4, type: 4, symbol: 3, addend: -4 }],
  });
}

/** Applies `patch` to a copy of the sample, given the parsed sample. */
function mutated(patch: (bytes: Uint8Array, view: DataView, elf: ElfFile) => void): Uint8Array {
  const bytes = sample();
  const elf = parseElf(bytes, FILE);
  const copy = bytes.slice();
  patch(copy, new DataView(copy.buffer), elf);
  return copy;
}

function build(bytes: Uint8Array): void {
  createElfLinkGraph(bytes, genericArch(), { name: FILE });
}

function expectMalformed(bytes: Uint8Array, detail: RegExp, section?: string): JITLinkError {
  let caught: unknown;
  try {
    build(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(JITLinkError);
  const err = caught as JITLinkError;
  expect(err.code).toBe('MalformedObject');
  expect(err.file).toBe(FILE);
  expect(err.offset).toEqual(expect.any(Number));
  if (section !== undefined) expect(err.section).toBe(section);
  expect(err.detail).toMatch(detail);
  // Reading only the definitions checks less (the symbol table and the sections that hold
  // definitions): it fails with a MalformedObject error for the same file, or the link does.
  try {
    readElfDefinitions(bytes, genericArch(), FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    expect([(e as JITLinkError).code, (e as JITLinkError).file]).toEqual(['MalformedObject', FILE]);
  }
  return err;
}

const sec = (elf: ElfFile, name: string) => elf.sections.find((s) => s.name === name)!;

describe('malformed objects give MalformedObject errors with file, section and offset', () => {
  test('the sample itself is valid', () => {
    expect(() => build(sample())).not.toThrow();
  });

  test('truncated header', () => {
    const err = expectMalformed(sample().subarray(0, 40), /truncated ELF header/);
    expect(err.offset).toBe(0);
    expectMalformed(sample().subarray(0, 10), /not an ELF file/);
  });

  test('section header table past the end of the file', () => {
    const err = expectMalformed(
      mutated((b, v) => v.setUint32(40, b.length - 10, true)),
      /section header table .* past the end/,
    );
    expect(err.offset).toBe(40);
  });

  test('wrong section header entry size', () => {
    expectMalformed(
      mutated((_b, v) => v.setUint16(58, 40, true)),
      /section header entry size 40/,
    );
  });

  test('section content past the end of the file', () => {
    const err = expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.text').headerOffset + 24, 0xfffff0, true)),
      /extends past the end of the file/,
      '.text',
    );
    expect(err.offset).toBeGreaterThan(0);
  });

  test('size overflowing offset + size', () => {
    expectMalformed(
      mutated((_b, v, elf) => {
        v.setUint32(sec(elf, '.data').headerOffset + 32, 0xffffffff, true);
        v.setUint32(sec(elf, '.data').headerOffset + 36, 0x1fffff, true);
      }),
      /extends past the end/,
      '.data',
    );
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.data').headerOffset + 36, 0xffffffff, true)),
      /too large/,
    );
  });

  test('symbol table past the end of the file', () => {
    expectMalformed(
      mutated((b, v, elf) => v.setUint32(sec(elf, '.symtab').headerOffset + 24, b.length - 8, true)),
      /past the end of the file/,
      '.symtab',
    );
  });

  test('wrong symbol table entry size', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.symtab').headerOffset + 56, 16, true)),
      /symbol table entry size 16/,
      '.symtab',
    );
  });

  test('symbol name offset outside the string table', () => {
    const err = expectMalformed(
      mutated((_b, v, elf) => v.setUint32(elf.symbols[1]!.entryOffset, 0xffffff, true)),
      /name offset 0xffffff of symbol #1/,
      '.strtab',
    );
    expect(err.offset).toBe(parseElf(sample(), FILE).symbols[1]!.entryOffset);
  });

  test('parseElf checks every symbol name when it reads the table, before any name is used', () => {
    const outside = mutated((_b, v, elf) => v.setUint32(elf.symbols[1]!.entryOffset, 0xffffff, true));
    expect(() => parseElf(outside, FILE)).toThrow(/name offset 0xffffff of symbol #1/);
    const unterminated = mutated((b, _v, elf) => {
      const s = sec(elf, '.strtab');
      b[s.offset + s.size - 1] = 0x41;
    });
    expect(() => parseElf(unterminated, FILE)).toThrow(/not NUL-terminated/);
  });

  test('names are read whole from ASCII and from UTF-8 string tables', () => {
    const names = ['f', 'caf\u00e9_\u0192', 'ext'] as const;
    const bytes = sample(names);
    const elf = parseElf(bytes, FILE);
    expect(elf.symbols.slice(1).map((s) => s.name)).toEqual(names);
    expect(elf.sections.map((s) => s.name)).toEqual([
      '',
      '.text',
      '.data',
      '.rela.text',
      '.symtab',
      '.strtab',
      '.shstrtab',
    ]);
    // A UTF-8 table without its final NUL is still caught.
    const s = elf.sections.find((x) => x.name === '.strtab')!;
    const broken = bytes.slice();
    broken[s.offset + s.size - 1] = 0x41;
    expectMalformed(broken, /not NUL-terminated/, '.strtab');
  });

  test('string table not NUL-terminated', () => {
    expectMalformed(
      mutated((b, _v, elf) => {
        const s = sec(elf, '.strtab');
        b[s.offset + s.size - 1] = 0x41;
      }),
      /not NUL-terminated/,
      '.strtab',
    );
  });

  test('string table that is not SHT_STRTAB (with a size far past the end of the file)', () => {
    expectMalformed(
      mutated((_b, v, elf) => {
        const shstrtab = sec(elf, '.shstrtab');
        v.setUint32(shstrtab.headerOffset + 4, 0, true); // SHT_NULL: its size is never bounds-checked
        v.setUint32(shstrtab.headerOffset + 36, 0x4000, true);
      }),
      /not SHT_STRTAB/,
    );
  });

  test('section name offset outside the section name table', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.data').headerOffset, 0x7fffffff, true)),
      /name offset .* of section #/,
      '.shstrtab',
    );
  });

  test('symbol section index out of range', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint16(elf.symbols[1]!.entryOffset + 6, 0x7000, true)),
      /section index 28672 of symbol #1 \(f\) is out of range/,
      '.symtab',
    );
  });

  test('symbol value outside its section', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(elf.symbols[1]!.entryOffset + 8, 0x1000, true)),
      /value 0x1000 is outside its section .text/,
      '.symtab',
    );
  });

  test('relocation symbol index out of range', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.rela.text').offset + 12, 999, true)),
      /relocation symbol index 999 is out of range/,
      '.rela.text',
    );
  });

  test('relocation against a missing section', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.rela.text').headerOffset + 44, 0x7fff, true)),
      /relocations apply to section index 32767, which does not exist/,
      '.rela.text',
    );
  });

  test('relocation offset outside its section', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.rela.text').offset, 0x40, true)),
      /relocation offset 0x40 is outside .text/,
      '.rela.text',
    );
  });

  test('relocation offset at the end of its section: the first byte past it is outside, the last byte inside', () => {
    // .text is 16 bytes: offset 0x10 is the first one past it.
    const err = expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.rela.text').offset, 0x10, true)),
      /relocation offset 0x10 is outside .text \(size 0x10\)/,
      '.rela.text',
    );
    expect(err.offset).toBe(sec(parseElf(sample(), FILE), '.rela.text').offset);
    expect(() => build(mutated((_b, v, elf) => v.setUint32(sec(elf, '.rela.text').offset, 0xf, true)))).not.toThrow();
  });

  describe('many relocations in one section (read a chunk at a time)', () => {
    const COUNT = 5000;
    const many = (): Uint8Array =>
      writeElf({
        bits: 64,
        endianness: 'little',
        machine: 62,
        sections: [{ name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(COUNT), align: 16 }],
        symbols: [{ name: 'ext', section: 0 }],
        relocations: Array.from({ length: COUNT }, (_, i) => ({ section: '.text', offset: i, type: 2, symbol: 1, addend: i - 2500 })),
      });
    const entry = (elf: ElfFile, i: number): number => sec(elf, '.rela.text').offset + i * 24;

    test('every entry becomes an edge, in order, with its offset and addend', () => {
      const arch = genericArch();
      const graph = createElfLinkGraph(many(), arch, { name: FILE });
      expect(arch.seen).toBe(COUNT);
      const block = [...graph.findSectionByName('.text')!.blocks][0]!;
      const edges = block.edges;
      expect(edges).toHaveLength(COUNT);
      for (const i of [0, 2047, 2048, 4095, 4096, COUNT - 1]) {
        expect([edges[i]!.offset, edges[i]!.addend, edges[i]!.target.name]).toEqual([i, i - 2500, 'ext']);
      }
    });

    test('a malformed entry past the first chunk is reported at its own entry, after the faults before it', () => {
      const bytes = many();
      const elf = parseElf(bytes, FILE);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      view.setUint32(entry(elf, 3000) + 12, 999, true); // symbol index out of range
      let err = expectMalformed(bytes.slice(), /relocation symbol index 999 is out of range/, '.rela.text');
      expect(err.offset).toBe(entry(elf, 3000));
      view.setUint32(entry(elf, 2900), COUNT, true); // an earlier entry's offset past .text
      err = expectMalformed(bytes.slice(), /relocation offset 0x1388 is outside .text/, '.rela.text');
      expect(err.offset).toBe(entry(elf, 2900));
    });
  });

  test('wrong relocation entry size', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.rela.text').headerOffset + 56, 16, true)),
      /relocation entry size 16/,
      '.rela.text',
    );
  });

  test('relocation with no symbol', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.rela.text').offset + 12, 0, true)),
      /no target symbol/,
      '.rela.text',
    );
  });

  test('alignment not a power of two', () => {
    expectMalformed(
      mutated((_b, v, elf) => v.setUint32(sec(elf, '.text').headerOffset + 48, 12, true)),
      /alignment 12 is not a power of two/,
      '.text',
    );
  });
});

describe('fuzzing: mutated objects only ever throw JITLinkError', () => {
  const real = path.join(corpusObjDir, 'gcc/O2-pic-small/cxx/shapes.o');
  const fuzz = (original: Uint8Array): void => {
    const random = prng(0x5eed1234);
    const elf = parseElf(original, FILE);
    // Bias half of the flips to the header and the section header table, where damage matters most.
    const shoff = elf.header.sectionHeaderOffset;
    const regions = [
      [0, 64],
      [shoff, original.length],
      [0, original.length],
    ] as const;
    let rejected = 0;
    for (let i = 0; i < 2500; i++) {
      let bytes = original.slice();
      if (random() < 0.15) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      const flips = 1 + Math.floor(random() * 6);
      for (let k = 0; k < flips && bytes.length > 0; k++) {
        const [lo, hi] = regions[Math.floor(random() * regions.length)]!;
        const at = Math.min(bytes.length - 1, lo + Math.floor(random() * (hi - lo)));
        bytes[at] =
          random() < 0.5 ? Math.floor(random() * 256) : bytes[at]! ^ (1 << Math.floor(random() * 8));
      }
      let graph: LinkGraph | undefined;
      try {
        graph = createElfLinkGraph(bytes, genericArch(), { name: FILE });
      } catch (e) {
        if (!(e instanceof JITLinkError)) {
          throw new Error(`mutation ${i} threw a non-JITLinkError: ${(e as Error).stack}`);
        }
        rejected++;
      }
      // Definitions read without a graph: the same ones whenever the graph builds.
      let definitions: ObjectDefinitions | undefined;
      try {
        definitions = readElfDefinitions(bytes, genericArch(), FILE);
      } catch (e) {
        if (!(e instanceof JITLinkError)) {
          throw new Error(`mutation ${i}: readElfDefinitions threw a non-JITLinkError: ${(e as Error).stack}`);
        }
      }
      if (graph !== undefined) expect(definitions).toEqual(graphDefinitions(graph));
      // Identification reads the header alone: from its first 64 bytes, the outcome it has from the whole file.
      const head = new Uint8Array(bytes.length);
      head.set(bytes.subarray(0, 64));
      const identified = sniffOutcome(bytes);
      expect(sniffOutcome(head)).toEqual(identified);
      if (graph !== undefined) expect(identified).toMatchObject({ format: 'elf', arch: 'x86_64' });
      // From the ranges readElfSymbolScanRanges reads, the same outcome as from the whole file.
      const partial = new PartialObject(countingSource(bytes));
      readElfSymbolScanRanges(partial);
      expect(definitionsOutcome(() => readElfDefinitions(partial.bytes, genericArch(), FILE))).toEqual(
        definitionsOutcome(() => readElfDefinitions(bytes, genericArch(), FILE)),
      );
    }
    expect(rejected).toBeGreaterThan(100);
  };
  test('hand-made sample: 2500 byte flips and truncations', () => fuzz(sample()));
  needs(file(real)).test('gcc C++ object: 2500 byte flips and truncations', () => fuzz(readObject(real)));
});
