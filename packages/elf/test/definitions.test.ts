/** readElfDefinitions gives what the graph built from the same bytes defines. */
import * as path from 'node:path';
import { graphDefinitions, parseArchive, PartialObject } from '@jitlink/core';
import {
  createElfLinkGraph,
  parseElf,
  readElfDefinitions,
  readElfObject,
  readElfSymbolScanRanges,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_GROUP,
  SHF_WRITE,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_PROGBITS,
  STB_GLOBAL,
  STB_GNU_UNIQUE,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_OBJECT,
} from '../src/index.js';
import { writeElf } from './elf-writer.js';
import { corpusObjDir, corpusObjects, corpusPresent, countingSource, genericArch, readObject } from './helpers.js';
import { debianLibrary, needs } from '@jitlink/test-support';

/** `bytes` as readElfDefinitions sees them when only readElfSymbolScanRanges' ranges were read. */
function partialBytes(bytes: Uint8Array): Uint8Array {
  const partial = new PartialObject(countingSource(bytes));
  readElfSymbolScanRanges(partial);
  return partial.bytes;
}

function expectSameDefinitions(bytes: Uint8Array, name: string): number {
  const arch = genericArch();
  const fromGraph = graphDefinitions(createElfLinkGraph(bytes, arch, { name }));
  const read = readElfDefinitions(bytes, arch, name);
  expect(new Map([...read].sort())).toEqual(new Map([...fromGraph].sort()));
  expect(readElfDefinitions(partialBytes(bytes), arch, name)).toEqual(read);
  // Read from a full parse, the same definitions; the graph built from that parse is the same graph.
  const reading = readElfObject(bytes, arch, name);
  expect(reading.definitions).toEqual(read);
  expect(reading.parsed?.elf.bytes).toBe(bytes);
  expect(graphDefinitions(createElfLinkGraph(bytes, arch, { name, parsed: reading.parsed!.elf }))).toEqual(fromGraph);
  return read.size;
}

describe('readElfDefinitions', () => {
  test('every kind of definition, crafted', () => {
    const bytes = writeElf({
      bits: 64,
      endianness: 'little',
      machine: 62,
      sections: [
        { name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(16) },
        { name: '.data', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE, content: new Uint8Array(8) },
        { name: '.bss', type: SHT_NOBITS, flags: SHF_ALLOC | SHF_WRITE, size: 32 },
        { name: '.comment', type: SHT_PROGBITS, flags: 0, content: new Uint8Array(4) },
        { name: '.text.inl', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR | SHF_GROUP, content: new Uint8Array(4) },
        { name: '.group', type: SHT_GROUP, flags: 0, groupMembers: ['.text.inl'], groupSignature: 'inl' },
      ],
      symbols: [
        { name: 'local_fn', type: STT_FUNC, bind: STB_LOCAL, section: '.text' },
        { name: 'fn', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', value: 4, size: 4 },
        { name: 'hidden_fn', type: STT_FUNC, bind: STB_GLOBAL, visibility: 2, section: '.text' },
        { name: 'weak_data', type: STT_OBJECT, bind: STB_WEAK, section: '.data', size: 8 },
        { name: 'unique_data', type: STT_OBJECT, bind: STB_GNU_UNIQUE, section: '.bss', size: 8 },
        { name: 'in_comment', type: STT_OBJECT, bind: STB_GLOBAL, section: '.comment' },
        { name: 'inl', type: STT_FUNC, bind: STB_GLOBAL, section: '.text.inl', size: 4 },
        { name: 'abs', bind: STB_GLOBAL, section: 0xfff1, value: 0x1234 },
        { name: 'common_buf', type: STT_OBJECT, bind: STB_GLOBAL, section: 0xfff2, value: 16, size: 64 },
        { name: 'extern_fn', bind: STB_GLOBAL, section: 0 },
      ],
    });
    const read = readElfDefinitions(bytes, genericArch(), 'kinds.o');
    expect(Object.fromEntries(read)).toEqual({
      fn: { hidden: false, weak: false, callable: true },
      hidden_fn: { hidden: true, weak: false, callable: true },
      weak_data: { hidden: false, weak: true, callable: false },
      unique_data: { hidden: false, weak: true, callable: false },
      inl: { hidden: false, weak: true, callable: true },
      abs: { hidden: false, weak: false, callable: false },
      common_buf: { hidden: false, weak: true, callable: false, common: { size: 64, alignment: 16 } },
    });
    expectSameDefinitions(bytes, 'kinds.o');
  });

  test('malformed symbols are reported as the builder reports them', () => {
    const bytes = writeElf({
      bits: 64,
      endianness: 'little',
      machine: 62,
      sections: [{ name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(4) }],
      symbols: [{ name: 'past_end', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', value: 8 }],
    });
    const expected = /symbol #1 \(past_end\) value 0x8 is outside its section \.text/;
    expect(() => createElfLinkGraph(bytes, genericArch(), { name: 'bad.o' })).toThrow(expected);
    expect(() => readElfDefinitions(bytes, genericArch(), 'bad.o')).toThrow(expected);
    expect(() => readElfObject(bytes, genericArch(), 'bad.o')).toThrow(expected);
  });

  test('readElfObject: a fault readElfDefinitions does not look at is left for the graph build, with no parse kept', () => {
    const good = writeElf({
      bits: 64,
      endianness: 'little',
      machine: 62,
      sections: [{ name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(8) }],
      symbols: [
        { name: 'fn', type: STT_FUNC, bind: STB_GLOBAL, section: '.text', size: 8 },
        { name: 'ext', bind: STB_GLOBAL, section: 0 },
      ],
      relocations: [{ section: '.text', offset: 0, type: 2, symbol: 2 }],
    });
    const rela = parseElf(good, 'good.o').sections.find((s) => s.name === '.rela.text')!;
    const bytes = good.slice();
    // sh_entsize of the relocation section (ELF64 section header offset 56): 24 becomes 7.
    new DataView(bytes.buffer).setBigUint64(rela.headerOffset + 56, 7n, true);
    expect(() => parseElf(bytes, 'bad-rela.o')).toThrow(/\.rela\.text/);
    const reading = readElfObject(bytes, genericArch(), 'bad-rela.o');
    expect(reading.parsed).toBeUndefined();
    expect(reading.definitions).toEqual(readElfDefinitions(bytes, genericArch(), 'bad-rela.o'));
    expect(() => createElfLinkGraph(bytes, genericArch(), { name: 'bad-rela.o' })).toThrow(/\.rela\.text/);
  });

  test('createElfLinkGraph parses again when the parse it is given is of other bytes or another name', () => {
    const object = (name: string) =>
      writeElf({
        bits: 64,
        endianness: 'little',
        machine: 62,
        sections: [{ name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(4) }],
        symbols: [{ name, type: STT_FUNC, bind: STB_GLOBAL, section: '.text', size: 4 }],
      });
    const a = object('fa');
    const parsed = readElfObject(a, genericArch(), 'a.o').parsed!.elf;
    expect(createElfLinkGraph(a, genericArch(), { name: 'b.o', parsed }).name).toBe('b.o');
    const other = createElfLinkGraph(object('fb'), genericArch(), { name: 'a.o', parsed });
    expect([...graphDefinitions(other).keys()]).toEqual(['fb']);
  });

  const objects = corpusObjects();
  needs(corpusPresent).test(`every object of test-corpus/obj (${objects.length})`, () => {
    let definitions = 0;
    for (const p of objects) definitions += expectSameDefinitions(readObject(p), path.relative(corpusObjDir, p));
    expect(definitions).toBeGreaterThan(100);
  });

  for (const lib of ['libsqlite3.a', 'liblua5.4.a', 'libz.a']) needs(debianLibrary(lib)).test(`every member of Debian ${lib}`, () => {
    const file = debianLibrary(lib).path;
    const archive = parseArchive(readObject(file), lib);
    let definitions = 0;
    for (const member of archive.members) definitions += expectSameDefinitions(member.data, `${lib}(${member.name})`);
    expect(definitions).toBeGreaterThan(10);
  });

  needs(debianLibrary('libsqlite3.a')).test('Debian libsqlite3.a: the ranges read for definitions are a small share of each member', () => {
    const file = debianLibrary('libsqlite3.a').path;
    let read = 0;
    let total = 0;
    for (const member of parseArchive(readObject(file), 'libsqlite3.a').members) {
      const source = countingSource(member.data);
      readElfSymbolScanRanges(new PartialObject(source));
      read += source.bytesRead;
      total += member.size;
    }
    expect(read).toBeLessThan(total * 0.35);
  });
});
