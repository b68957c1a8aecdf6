/** Identifying ELF objects: the format sniffer, machine names, ET_REL, and the backend registry's advice. */
import { BackendRegistry, JITLinkError } from '@jitlink/core';
import {
  checkElfRelocatable,
  createElfBackend,
  createElfLinkGraph,
  elfArchName,
  elfFormatSniffer,
  parseElf,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHT_PROGBITS,
  STB_GLOBAL,
  STT_FUNC,
} from '../src/index.js';
import { readElfHeader } from '../src/read/header.js';
import { writeElf } from './elf-writer.js';
import { genericArch } from './helpers.js';

function object(machine: number, bits: 32 | 64 = 64, endianness: 'little' | 'big' = 'little'): Uint8Array {
  return writeElf({
    bits,
    endianness,
    machine,
    sections: [{ name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, content: new Uint8Array(4), align: 4 }],
    symbols: [{ name: 'f', section: '.text', value: 0, size: 4, bind: STB_GLOBAL, type: STT_FUNC }],
  });
}

function withType(bytes: Uint8Array, type: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint16(16, type, copy[5] === 1);
  return copy;
}

/** The error `fn` throws, as code and message. */
function failure(fn: () => unknown): { code: string; message: string; offset: number | undefined } {
  try {
    fn();
  } catch (e) {
    if (e instanceof JITLinkError) return { code: e.code, message: e.message, offset: e.offset };
    throw e;
  }
  throw new Error('did not throw');
}

describe('elfFormatSniffer', () => {
  test.each([
    [62, 64, 'little', 'x86_64'],
    [183, 64, 'little', 'aarch64'],
    [183, 64, 'big', 'aarch64_be'],
    [3, 32, 'little', 'i386'],
    [243, 64, 'little', 'riscv64'],
    [258, 64, 'little', 'loongarch64'],
    [21, 64, 'big', 'ppc64'],
    [21, 64, 'little', 'ppc64le'],
    [9999, 64, 'little', 'unknown-elf-machine-9999'],
  ] as const)('machine %d, ELF%d %s-endian: %s', (machine, bits, endianness, arch) => {
    expect(elfArchName(machine, bits, endianness)).toBe(arch);
    expect(elfFormatSniffer.sniff(object(machine, bits, endianness), { file: 'x.o' })).toEqual({
      format: 'elf',
      arch,
      bits,
      endianness,
      description: `ELF${bits} ${endianness}-endian relocatable`,
    });
  });

  test('leaves other formats to other sniffers', () => {
    expect(elfFormatSniffer.sniff(new Uint8Array([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), {})).toBeUndefined();
    expect(elfFormatSniffer.sniff(new Uint8Array(2), {})).toBeUndefined();
  });

  test.each([
    [2, 'x.o, offset 0x10: is an executable, not a relocatable object (ET_REL)'],
    [3, 'x.o, offset 0x10: is a shared object or PIE, not a relocatable object (ET_REL)'],
    [4, 'x.o, offset 0x10: is a core file, not a relocatable object (ET_REL)'],
    [0xfe00, 'x.o, offset 0x10: is ELF type 65024, not a relocatable object (ET_REL)'],
  ])('type %d is rejected when identified and when built, with the same error', (type, message) => {
    const bytes = withType(object(62), type);
    const expected = { code: 'UnsupportedFormat', message, offset: 16 };
    expect(failure(() => elfFormatSniffer.sniff(bytes, { file: 'x.o' }))).toEqual(expected);
    expect(failure(() => createElfLinkGraph(bytes, genericArch(), { name: 'x.o' }))).toEqual(expected);
    expect(failure(() => checkElfRelocatable(readElfHeader(bytes, 'x.o').header, 'x.o'))).toEqual(expected);
  });

  test.each([
    ['invalid class', 4, 9, /invalid ELF class 9/],
    ['invalid data encoding', 5, 0, /invalid ELF data encoding 0/],
    ['identification version', 6, 2, /unsupported ELF identification version 2/],
    ['e_version', 20, 7, /unsupported ELF version 7/],
  ] as const)('a malformed header (%s) gives the parser\'s error when identified: one header reader', (_what, at, value, pattern) => {
    const bytes = object(62);
    bytes[at] = value;
    const fromSniffer = failure(() => elfFormatSniffer.sniff(bytes, { file: 'x.o' }));
    expect(fromSniffer.message).toMatch(pattern);
    expect(fromSniffer).toEqual(failure(() => parseElf(bytes, 'x.o')));
    expect(fromSniffer.code).toBe('MalformedObject');
  });

  test('a truncated header gives the parser\'s error', () => {
    const bytes = object(62).subarray(0, 40);
    expect(failure(() => elfFormatSniffer.sniff(bytes, { file: 'x.o' }))).toEqual({
      code: 'MalformedObject',
      message: 'x.o, offset 0x0: truncated ELF header (40 bytes, need 64)',
      offset: 0,
    });
  });
});

describe('an ELF backend brings the ELF sniffer to the registry', () => {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(genericArch()));

  test('objects of the backend\'s machine build', () => {
    const graph = registry.createLinkGraph(object(62), { name: 'x.o' });
    expect(graph.name).toBe('x.o');
    expect(registry.forGraph(graph).name).toBe('ELF/x86_64');
  });

  test('other machines are named by @jitlink/elf and get the table\'s advice', () => {
    expect(failure(() => registry.createLinkGraph(object(183), { name: 'a.o' })).message).toBe(
      'a.o: ELF/aarch64 object: install @jitlink/elf and @jitlink/arch-arm64 (0.2.0 or later), and register the backend they compose',
    );
    expect(failure(() => registry.createLinkGraph(object(243), { name: 'r.o' })).message).toBe(
      'r.o: ELF/riscv64 object: no @jitlink package supports riscv64 in ELF objects, and none is planned; a backend for it can be registered with registerBackend()',
    );
  });

  test('non-relocatable ELF files are refused at identification', () => {
    expect(failure(() => registry.createLinkGraph(withType(object(62), 3), { name: 'lib.so' })).message).toBe(
      'lib.so, offset 0x10: is a shared object or PIE, not a relocatable object (ET_REL)',
    );
  });
});
