/**
 * The MachO container: headers and load commands of the clang-19 and
 * llvm-mc-19 corpus objects, universal files and slice selection.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { JITLinkError, type ObjectIdentity } from '@jitlink/core';
import {
  CPU_TYPE_ARM64,
  CPU_TYPE_X86_64,
  MH_OBJECT,
  machoFormatSniffer,
  parseMachO,
  readUniversalSlices,
  selectUniversalSlice,
} from '../src/index.js';
import { CORPUS, corpusObject } from './helpers.js';

function objects(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...objects(p));
    else if (name.endsWith('.o')) out.push(relative(CORPUS, p));
  }
  return out;
}

const thin = objects(CORPUS).filter((p) => !p.startsWith('universal/'));

describe('thin MachO objects of the corpus', () => {
  test('the corpus has x86_64 and arm64 objects', () => {
    expect(thin.filter((p) => p.startsWith('x86_64/')).length).toBeGreaterThanOrEqual(10);
    expect(thin.filter((p) => p.startsWith('arm64/')).length).toBeGreaterThanOrEqual(10);
  });

  test.each(thin)('%s: header, sections and symbols', (rel) => {
    const m = parseMachO(corpusObject(rel), rel);
    expect(m.header.fileType).toBe(MH_OBJECT);
    expect(m.header.cpuType).toBe(rel.startsWith('arm64/') || rel.startsWith('asm/arm64/') ? CPU_TYPE_ARM64 : CPU_TYPE_X86_64);
    expect(m.sections.map((s) => s.fullName)).toContain('__TEXT,__text');
    const defines = rel.includes('multi_util') ? '_bump' : rel.includes('tlv_vars') ? '_tlv_counter' : '_main';
    expect(m.symbols.some((s) => s.name === defines)).toBe(true);
    expect(m.buildVersion).toMatchObject({ platform: 'macos', minOS: '11.0.0' });
  });

  test('LC_LINKER_OPTION is exposed', () => {
    const m = parseMachO(corpusObject('asm/x86_64/linker_option.o'), 'linker_option.o');
    expect(m.linkerOptions).toEqual([['-lz'], ['-framework', 'Foundation']]);
  });
});

describe('universal files (llvm-lipo-19)', () => {
  const fat = corpusObject('universal/hello.o');

  test('lists its slices, each a MachO object of its architecture', () => {
    const slices = readUniversalSlices(fat, 'hello.o');
    expect(slices.map((s) => s.arch)).toEqual(['x86_64', 'arm64']);
    for (const s of slices) {
      const m = parseMachO(fat.subarray(s.offset, s.offset + s.size), 'hello.o');
      expect(m.arch).toBe(s.arch);
    }
  });

  test.each([
    ['x86_64', 'x86_64'],
    ['arm64', 'arm64'],
    ['aarch64', 'arm64'],
    ['x86_64-apple-macosx11.0.0', 'x86_64'],
    ['arm64-apple-macosx', 'arm64'],
  ])('the sniffer chooses the slice for %s', (wanted, arch) => {
    const identity = machoFormatSniffer.sniff(fat, { file: 'hello.o', arch: wanted }) as ObjectIdentity;
    expect(identity.arch).toBe(arch);
    expect(identity.format).toBe('macho');
    const slice = readUniversalSlices(fat, 'hello.o').find((s) => s.arch === arch)!;
    expect(identity.slice).toEqual({ offset: slice.offset, size: slice.size });
    expect(identity.slices!.map((s) => s.arch)).toEqual(['x86_64', 'arm64']);
  });

  test('no matching slice: an error listing the slices present', () => {
    expect(() => selectUniversalSlice(fat, 'hello.o', 'i386')).toThrow(
      'hello.o, offset 0x0: universal MachO file has no i386 slice (slices present: x86_64, arm64)',
    );
    expect(() => machoFormatSniffer.sniff(fat, { file: 'hello.o' })).toThrow(
      'universal MachO file holds several architectures (x86_64, arm64): choose one with -triple',
    );
  });

  test('64-bit fat headers (FAT_MAGIC_64) are read too', () => {
    const slices = readUniversalSlices(fat, 'hello.o');
    // Rewrite the 32-bit header as a 64-bit one in front of the same slices.
    const out = new Uint8Array(fat.length);
    out.set(fat);
    const v = new DataView(out.buffer);
    v.setUint32(0, 0xcafebabf, false);
    slices.forEach((s, i) => {
      const at = 8 + i * 32;
      v.setUint32(at, s.cpuType, false);
      v.setUint32(at + 4, s.cpuSubtype, false);
      v.setBigUint64(at + 8, BigInt(s.offset), false);
      v.setBigUint64(at + 16, BigInt(s.size), false);
      v.setUint32(at + 24, 12, false);
      v.setUint32(at + 28, 0, false);
    });
    expect(readUniversalSlices(out, 'hello64.o')).toEqual(slices.map((s, i) => ({ ...s, entryOffset: 8 + i * 32 })));
  });

  test('a slice past the end of the file is a MalformedObject error at its entry', () => {
    const bad = fat.slice();
    new DataView(bad.buffer).setUint32(8 + 20 + 8, bad.length - 16, false); // second slice's offset
    let error: unknown;
    try {
      readUniversalSlices(bad, 'bad.o');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JITLinkError);
    expect((error as JITLinkError).code).toBe('MalformedObject');
    expect((error as JITLinkError).message).toMatch(/^bad\.o, offset 0x1c: universal slice 1 \(arm64\) at offset 0x[0-9a-f]+, size 0x[0-9a-f]+ lies outside the file/);
  });
});
