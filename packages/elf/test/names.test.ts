/**
 * Section and symbol names are bytes the object chose: messages quoting them
 * stay one printable line (control characters and bytes that are not UTF-8
 * escaped), whatever the names hold.
 */
import fc from 'fast-check';
import { graphDefinitions, JITLinkError } from '@jitlink/core';
import { escapeName } from '@jitlink/core/internal';
import { createElfLinkGraph, parseElf, readElfDefinitions, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_PROGBITS, STB_GLOBAL, STT_FUNC } from '../src/index.js';
import { writeElf } from './elf-writer.js';
import { genericArch } from './helpers.js';

const FILE = 'bad.o';

/** One printable line: no control characters, line separators or lone surrogates. */
const ONE_PRINTABLE_LINE = /^[^\p{Cc}\p{Cs}\u2028\u2029]*$/u;

// Placeholders the writer puts in the string tables, replaced there by the wanted bytes (same length).
const SECTION_MARK = 0x5a; // 'Z'
const SYMBOL_MARK = 0x59; // 'Y'

/**
 * An object with a code section and a global function named by `sectionName`
 * and `symbolName` (raw bytes, no NUL), an external callee and a relocation
 * against it; `patch` then damages it.
 */
function object(sectionName: Uint8Array, symbolName: Uint8Array, patch?: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const section = String.fromCharCode(SECTION_MARK).repeat(sectionName.length);
  const symbol = String.fromCharCode(SYMBOL_MARK).repeat(symbolName.length);
  const bytes = writeElf({
    bits: 64,
    endianness: 'little',
    machine: 62,
    sections: [
      { name: section, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(16), align: 16 },
      { name: '.data', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE, content: new Uint8Array(8), align: 8 },
    ],
    symbols: [
      { name: symbol, type: STT_FUNC, bind: STB_GLOBAL, section, size: 16 },
      { name: 'ext', section: 0 },
    ],
    relocations: [{ section, offset: 4, type: 4, symbol: 2, addend: -4 }],
  });
  const elf = parseElf(bytes, FILE);
  for (const table of elf.sections.filter((s) => s.type === 3)) {
    const end = table.offset + table.size;
    for (let at = table.offset; at < end; at++) {
      // A run of exactly the placeholder's length that starts a name or follows ".rela".
      const replace = (mark: number, name: Uint8Array): boolean => {
        if (bytes[at - 1] !== 0 && bytes[at - 1] !== 0x61) return false;
        for (let k = 0; k < name.length; k++) if (bytes[at + k] !== mark) return false;
        if (bytes[at + name.length] !== 0) return false;
        bytes.set(name, at);
        return true;
      };
      if (replace(SECTION_MARK, sectionName)) at += sectionName.length;
      else if (replace(SYMBOL_MARK, symbolName)) at += symbolName.length;
    }
  }
  patch?.(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes);
  return bytes;
}

const bytesOf = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

function errorOf(bytes: Uint8Array): JITLinkError {
  let caught: unknown;
  try {
    createElfLinkGraph(bytes, genericArch(), { name: FILE });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(JITLinkError);
  return caught as JITLinkError;
}

/** Where the damage goes, given the parsed object. */
const defects = {
  /** sh_addralign 12 in the named section's header. */
  alignment: (view: DataView, bytes: Uint8Array) => {
    const elf = parseElf(bytes, FILE);
    view.setUint32(elf.sections[1]!.headerOffset + 48, 12, true);
  },
  /** The symbol's value past the end of its section. */
  value: (view: DataView, bytes: Uint8Array) => {
    const elf = parseElf(bytes, FILE);
    view.setUint32(elf.symbols[1]!.entryOffset + 8, 0x1000, true);
  },
  /** The relocation's offset past the end of the section it applies to. */
  relocation: (view: DataView, bytes: Uint8Array) => {
    const elf = parseElf(bytes, FILE);
    view.setUint32(elf.relocationSections[0]!.section.offset, 0x40, true);
  },
  /** The symbol's type STT_GNU_IFUNC (not supported). */
  ifunc: (view: DataView, bytes: Uint8Array) => {
    const elf = parseElf(bytes, FILE);
    view.setUint8(elf.symbols[1]!.entryOffset + 4, (STB_GLOBAL << 4) | 10);
  },
};

describe('messages quote section and symbol names on one printable line', () => {
  const section = bytesOf('.te\nxt', [0xff]);
  // An escape sequence, a byte that does not start valid UTF-8 (0xc3 then '('), and a valid "é".
  const symbol = bytesOf('f\x1b[2J', [0xc3, 0x28, 0xc3, 0xa9]);

  test('the object is valid, and its names keep their bytes', () => {
    const bytes = object(section, symbol);
    const elf = parseElf(bytes, FILE);
    expect(elf.sections.map((s) => s.name)).toEqual(['', '.te\nxt\udcff', '.data', '.rela.te\nxt\udcff', '.symtab', '.strtab', '.shstrtab']);
    expect(elf.symbols[1]!.name).toBe('f\x1b[2J\udcc3(\u00e9');
    expect(() => createElfLinkGraph(bytes, genericArch(), { name: FILE })).not.toThrow();
  });

  test('exact messages', () => {
    const parse = (defect: keyof typeof defects) => object(section, symbol, defects[defect]);
    const elf = parseElf(parse('value'), FILE);
    const hex = (n: number) => `0x${n.toString(16)}`;
    expect(errorOf(parse('alignment')).message).toBe(
      `bad.o, section .te\\nxt\\xff, offset ${hex(elf.sections[1]!.headerOffset)}: section alignment 12 is not a power of two`,
    );
    expect(errorOf(parse('value')).message).toBe(
      `bad.o, section .symtab, offset ${hex(elf.symbols[1]!.entryOffset)}: symbol #1 (f\\x1b[2J\\xc3(\u00e9) value 0x1000 is outside its section .te\\nxt\\xff (size 0x10)`,
    );
    expect(errorOf(parse('relocation')).message).toBe(
      `bad.o, section .rela.te\\nxt\\xff, offset ${hex(elf.relocationSections[0]!.section.offset)}: relocation offset 0x40 is outside .te\\nxt\\xff (size 0x10)`,
    );
    const ifunc = errorOf(parse('ifunc'));
    expect([ifunc.code, ifunc.detail]).toEqual(['UnsupportedFeature', 'symbol f\\x1b[2J\\xc3(\u00e9 is an indirect function (STT_GNU_IFUNC)']);
  });

  test('property: whatever bytes the names hold, every message is one printable line quoting them escaped', () => {
    const name = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => b.map((x) => x || 0x0a));
    fc.assert(
      fc.property(name, name, fc.constantFrom(...(Object.keys(defects) as (keyof typeof defects)[])), (sectionName, symbolName, defect) => {
        const bytes = object(sectionName, symbolName, defects[defect]);
        const err = errorOf(bytes);
        expect(err.message).toMatch(ONE_PRINTABLE_LINE);
        // The quoted name is the escape of the name as read.
        const elf = parseElf(object(sectionName, symbolName), FILE);
        const quoted = defect === 'alignment' || defect === 'relocation' ? elf.sections[1]!.name : elf.symbols[1]!.name;
        expect(err.message).toContain(escapeName(quoted));
        try {
          readElfDefinitions(bytes, genericArch(), FILE);
        } catch (e) {
          expect(e).toBeInstanceOf(JITLinkError);
          expect((e as JITLinkError).message).toMatch(ONE_PRINTABLE_LINE);
        }
      }),
      { numRuns: 1500 },
    );
  });

  test('property: random bytes written over the string tables and headers give only one-line messages', () => {
    const base = object(bytesOf('.text'), bytesOf('main'));
    const elf = parseElf(base, FILE);
    const tables = elf.sections.filter((s) => s.type === 3).map((s) => [s.offset, s.offset + s.size] as const);
    // Damage aimed at the string tables (names), anywhere else too, and bytes biased to line breaks and escapes.
    const position = fc.oneof(
      ...tables.map(([lo, hi]) => fc.integer({ min: lo, max: hi - 1 })),
      fc.integer({ min: 0, max: base.length - 1 }),
    );
    const value = fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x1b, 0x7f, 0x85, 0xc2, 0xe2, 0xff, 0x00), fc.integer({ min: 0, max: 255 }));
    let rejected = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(position, value), { minLength: 1, maxLength: 8 }), (writes) => {
        const bytes = base.slice();
        for (const [at, v] of writes) bytes[at] = v;
        for (const read of [() => createElfLinkGraph(bytes, genericArch(), { name: FILE }), () => readElfDefinitions(bytes, genericArch(), FILE)]) {
          try {
            read();
          } catch (e) {
            expect(e).toBeInstanceOf(JITLinkError);
            expect((e as JITLinkError).message).toMatch(ONE_PRINTABLE_LINE);
            rejected++;
          }
        }
      }),
      { numRuns: 3000 },
    );
    expect(rejected).toBeGreaterThan(300);
  });
});

describe('names kept after the object (copied out of the string table) keep their text', () => {
  test('property: definitions read or built, and references, are the names parseElf reads', () => {
    // Long enough to be copied rather than sliced; quotes, backslashes, controls and bytes that are not UTF-8 included.
    const name = fc
      .uint8Array({ minLength: 13, maxLength: 40 })
      .map((b) => b.map((x) => x || 0x22))
      .map((b) => Uint8Array.from([0x5c, ...b]));
    fc.assert(
      fc.property(name, (symbolName) => {
        const bytes = object(bytesOf('.text'), symbolName);
        const expected = parseElf(bytes, FILE).symbols[1]!.name;
        const graph = createElfLinkGraph(bytes, genericArch(), { name: FILE });
        expect([...graphDefinitions(graph).keys()]).toEqual([expected]);
        expect([...graph.externalSymbols()].map((s) => s.name)).toEqual(['ext']);
        expect([...readElfDefinitions(bytes, genericArch(), FILE).keys()]).toEqual([expected]);
      }),
      { numRuns: 300 },
    );
  });

  test('several definitions and references keep their order and flags', () => {
    const long = (s: string) => `${s}_${'x'.repeat(20)}`;
    const bytes = writeElf({
      bits: 64,
      endianness: 'little',
      machine: 62,
      sections: [{ name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(16), align: 16 }],
      symbols: [
        { name: long('local'), type: STT_FUNC, bind: 0, section: '.text' },
        { name: long('a"quote'), type: STT_FUNC, bind: STB_GLOBAL, section: '.text', value: 0, size: 4 },
        { name: 'short', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', value: 4, size: 4 },
        { name: long('back\\slash'), bind: 2, section: '.text', value: 8, size: 4 },
        { name: long('ext_one'), section: 0 },
        { name: long('ext_two'), section: 0 },
      ],
      relocations: [
        { section: '.text', offset: 0, type: 4, symbol: 5, addend: -4 },
        { section: '.text', offset: 4, type: 4, symbol: 6, addend: -4 },
      ],
    });
    const graph = createElfLinkGraph(bytes, genericArch(), { name: FILE });
    const expected = [
      [long('a"quote'), { hidden: false, weak: false, callable: true }],
      ['short', { hidden: false, weak: false, callable: true }],
      [long('back\\slash'), { hidden: false, weak: true, callable: false }],
    ];
    expect([...graphDefinitions(graph)]).toEqual(expected);
    expect([...readElfDefinitions(bytes, genericArch(), FILE)]).toEqual(expected);
    expect([...graph.externalSymbols()].map((s) => s.name)).toEqual([long('ext_one'), long('ext_two')]);
    expect([...graph.definedSymbols()].map((s) => s.name)).toContain(long('local'));
  });
});
