/**
 * decodeElf + buildElfLinkGraphFromDecoded build what createElfLinkGraph
 * builds, and fail as it fails, with the decoded tables passed through a
 * structured clone that transfers their buffers (as a worker thread posts them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JITLinkError, parseArchive, printLinkGraph, type LinkGraph } from '@jitlink/core';
import {
  buildElfLinkGraphFromDecoded,
  createElfLinkGraph,
  decodedElfTransferList,
  decodeElf,
  getElfGraphInfo,
  parseElf,
  type DecodedElf,
} from '../src/index.js';
import { corpusObjDir, corpusObjects, corpusPresent, genericArch, readObject } from './helpers.js';
import { debianLibrary, needs } from '@jitlink/test-support';

/** The decoded tables as another thread receives them: buffers transferred, the sender's views detached. */
function acrossThreads(decoded: DecodedElf): DecodedElf {
  const received = structuredClone(decoded, { transfer: decodedElfTransferList(decoded) });
  if (decoded.ok && decoded.relocationTypes.length > 0) expect(decoded.relocationTypes.length).toBe(0); // transferred, not copied
  return received;
}

/** What building gives: the graph (printed, with the builder's metadata) or the error. */
function outcome(build: () => LinkGraph): string {
  try {
    const graph = build();
    const info = getElfGraphInfo(graph)!;
    const groups = info.groups.map((g) => `${g.signature} ${g.isComdat} ${g.memberSectionIndices.join(',')} ${g.sections.map((s) => s.name).join(',')}`);
    return [
      printLinkGraph(graph),
      `groups: ${groups.join('; ')}`,
      `tls: ${[...info.tlsSections].map((s) => s.name).join(',')}`,
      `thread-local externals: ${[...info.threadLocalExternals].join(',')}`,
      `skipped: ${info.skippedNoneRelocations}`,
    ].join('\n');
  } catch (e) {
    if (!(e instanceof JITLinkError)) throw e;
    return `error ${e.code} file=${e.file} section=${e.section} offset=${e.offset}: ${e.message}`;
  }
}

function expectSameOutcome(bytes: Uint8Array, name: string, arch = genericArch()): string {
  const direct = outcome(() => createElfLinkGraph(bytes, arch, { name }));
  const decoded = acrossThreads(decodeElf(bytes, name));
  const fromDecoded = outcome(() => buildElfLinkGraphFromDecoded(decoded, bytes, arch, { name }));
  expect(fromDecoded).toBe(direct);
  return direct;
}

describe('buildElfLinkGraphFromDecoded', () => {
  const objects = corpusObjects();
  needs(corpusPresent).test(`every object of test-corpus/obj (${objects.length}): the same graph`, () => {
    let edges = 0;
    for (const p of objects) {
      const printed = expectSameOutcome(readObject(p), path.relative(corpusObjDir, p));
      expect(printed).not.toMatch(/^error/);
      edges += (printed.match(/^ {6}[0-9a-fx]+ \(/gm) ?? []).length;
    }
    expect(edges).toBeGreaterThan(1000);
  });

  needs(corpusPresent).test('every AArch64 ELF object of test-corpus/obj, little- and big-endian: the same graph', () => {
    const aarch64: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.name.endsWith('.o')) aarch64.push(p);
      }
    };
    walk(corpusObjDir);
    let bigEndian = 0;
    let checked = 0;
    for (const p of aarch64) {
      const bytes = readObject(p);
      if (bytes[0] !== 0x7f || bytes[1] !== 0x45) continue; // MachO and COFF objects
      const be = bytes[5] === 2;
      const machine = be ? (bytes[18]! << 8) | bytes[19]! : bytes[18]! | (bytes[19]! << 8);
      if (machine !== 183) continue;
      if (be) bigEndian++;
      expect(expectSameOutcome(bytes, path.relative(corpusObjDir, p), genericArch(183, 'aarch64'))).not.toMatch(/^error/);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(bigEndian).toBeGreaterThan(5);
  });

  for (const lib of ['libsqlite3.a', 'liblua5.4.a', 'libz.a']) {
    needs(debianLibrary(lib)).test(`every member of Debian ${lib}: the same graph`, () => {
      const archive = parseArchive(readObject(debianLibrary(lib).path), lib);
      for (const member of archive.members) expectSameOutcome(member.data, `${lib}(${member.name})`);
    });
  }

  needs(corpusPresent).test('mutated objects: the same graph or the same JITLinkError (file, section, offset, message)', () => {
    // Bytes of the tables decoding reads (section headers, symbols, relocations, groups) overwritten one at a time.
    const samples = objects.filter((p) => /clang-19\/O2-pic-small\/(cxx|sqlite_driver|multi)\//.test(p)).slice(0, 4);
    expect(samples.length).toBeGreaterThan(0);
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const outcomes = new Set<string>();
    for (const p of samples) {
      const original = readObject(p);
      const elf = parseElf(original, 'sample');
      const ranges: [number, number][] = [[elf.header.sectionHeaderOffset, elf.sections.length * 64]];
      for (const sec of elf.sections) if ([2, 4, 9, 17, 18].includes(sec.type)) ranges.push([sec.offset, sec.size]);
      for (let k = 0; k < 150; k++) {
        const bytes = original.slice();
        const [start, size] = ranges[random(ranges.length)]!;
        if (size === 0) continue;
        for (let n = 1 + random(3); n > 0; n--) bytes[start + random(size)] = random(256);
        const printed = expectSameOutcome(bytes, path.basename(p));
        outcomes.add(printed.startsWith('error') ? printed.replace(/: .*/, '') : 'graph');
      }
    }
    // Both kinds of outcome came up: objects that still build, and errors in several places.
    expect(outcomes.has('graph')).toBe(true);
    expect(outcomes.size).toBeGreaterThan(5);
  });

  test('a relocation entry that is malformed is reported in order, as by createElfLinkGraph', () => {
    const p = corpusObjects().find((o) => o.endsWith('O2-pic-small/hello/hello.o'));
    if (p === undefined) return;
    const bytes = readObject(p).slice();
    const elf = parseElf(bytes, 'hello.o');
    const rela = elf.relocationSections.find((r) => elf.sections[r.targetIndex]!.name === '.text')!;
    // The second entry's symbol index out of range: decoding keeps the first, building reports the second.
    new DataView(bytes.buffer).setUint32(rela.section.offset + rela.entrySize + 12, 0xffff, true);
    const decoded = decodeElf(bytes, 'hello.o');
    expect(decoded.ok).toBe(true);
    const slot = elf.relocationSections.indexOf(rela);
    expect(decoded.relocationSections[slot * 3 + 1]).toBe(1);
    expect(expectSameOutcome(bytes, 'hello.o')).toMatch(/^error MalformedObject .*section=\.rela\.text .*symbol index 65535 is out of range/);
  });
});
