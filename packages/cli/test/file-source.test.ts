/** Archives read from their files on demand. */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JITLinkError, parseArchive } from '@jitlink/core';
import { FileArchiveSource } from '../src/file-source.js';
import { runJitlink } from '../src/run.js';
import { debianLibrary, needs } from '@jitlink/test-support';

const LIBZ = '/usr/lib/x86_64-linux-gnu/libz.a';

const libz = needs(debianLibrary(LIBZ));

describe('FileArchiveSource', () => {
  libz.test('reads exact ranges; an archive parsed from it equals one parsed from its bytes', () => {
    const bytes = new Uint8Array(readFileSync(LIBZ));
    const source = new FileArchiveSource(LIBZ);
    try {
      expect(source.size).toBe(bytes.length);
      expect(source.read(100, 50)).toEqual(bytes.subarray(100, 150));
      const fromFile = parseArchive(source, 'libz.a');
      const fromBytes = parseArchive(bytes, 'libz.a');
      expect(fromFile.members.map((m) => [m.name, m.offset, m.size])).toEqual(fromBytes.members.map((m) => [m.name, m.offset, m.size]));
      for (const [i, m] of fromFile.members.entries()) expect(m.data).toEqual(fromBytes.members[i]!.data);
      expect([...fromFile.symbolIndex].map(([s, m]) => [s, m.index])).toEqual([...fromBytes.symbolIndex].map(([s, m]) => [s, m.index]));
    } finally {
      source.close();
    }
    expect(() => source.read(0, 1)).toThrow(/was closed/);
  });

  test('a file that shrinks while open is a MalformedObject error naming it; a missing file an InvalidArgument', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jitlink-source-'));
    try {
      const path = join(dir, 'shrinks.a');
      writeFileSync(path, new Uint8Array(256).fill(7));
      const source = new FileArchiveSource(path);
      truncateSync(path, 100);
      let caught: unknown;
      try {
        source.read(64, 128);
      } catch (e) {
        caught = e;
      }
      source.close();
      expect(caught).toBeInstanceOf(JITLinkError);
      expect([(caught as JITLinkError).code, (caught as JITLinkError).file, (caught as JITLinkError).offset]).toEqual(['MalformedObject', path, 100]);
      expect(() => new FileArchiveSource(join(dir, 'missing.a'))).toThrow(/cannot read .*missing\.a: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  libz.test('the command reports the total size of its inputs before linking', async () => {
    const hello = join(__dirname, '../../../test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');
    const sizes: number[] = [];
    const code = await runJitlink(['-noexec', hello, LIBZ], {
      stdout: () => undefined,
      stderr: () => undefined,
      inputsOpened: (total, budget) => void sizes.push(total, budget),
    });
    expect(code).toBe(0);
    expect(sizes).toEqual([readFileSync(hello).length + readFileSync(LIBZ).length, 32 * 1024 * 1024]);
  });
});
