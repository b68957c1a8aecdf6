/** Archives read from their files on demand. */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JITLinkError, parseArchive } from '@jitlink/core';
import { createDefaultRegistry } from '../src/backends.js';
import { describeFileError, FileArchiveSource, readInputFile } from '../src/file-source.js';
import { runJitlink } from '../src/run.js';
import { CLI } from './corpus.js';
import { runCli } from './run-cli.js';

const LIBZ = '/usr/lib/x86_64-linux-gnu/libz.a';
const HELLO = join(__dirname, '../../../test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');

function haveLibz(): boolean {
  if (existsSync(LIBZ)) return true;
  if (process.env.CI === 'true') throw new Error(`missing test prerequisite: ${LIBZ}`);
  console.warn(`skipping: ${LIBZ} is not available`);
  return false;
}

describe('FileArchiveSource', () => {
  test('reads exact ranges; an archive parsed from it equals one parsed from its bytes', () => {
    if (!haveLibz()) return;
    const bytes = new Uint8Array(readFileSync(LIBZ));
    const source = new FileArchiveSource(LIBZ);
    try {
      expect(source.size).toBe(bytes.length);
      expect(source.read(100, 50)).toEqual(bytes.subarray(100, 150));
      const into = new Uint8Array(50);
      source.readInto(into, 100);
      expect(into).toEqual(bytes.subarray(100, 150));
      const fromFile = parseArchive(source, 'libz.a');
      const fromBytes = parseArchive(bytes, 'libz.a');
      expect(fromFile.members.map((m) => [m.name, m.offset, m.size])).toEqual(fromBytes.members.map((m) => [m.name, m.offset, m.size]));
      for (const [i, m] of fromFile.members.entries()) expect(m.data).toEqual(fromBytes.members[i]!.data);
      expect([...fromFile.symbolIndex].map(([s, m]) => [s, m.index])).toEqual([...fromBytes.symbolIndex].map(([s, m]) => [s, m.index]));
    } finally {
      source.close();
    }
    expect(() => source.read(0, 1)).toThrow(/was closed/);
    expect(() => source.readInto(new Uint8Array(1), 0)).toThrow(/was closed/);
  });

  test("members' definitions read in part from the file, one after another into the registry's kept buffer, equal those read from their bytes", () => {
    if (!haveLibz()) return;
    const archives = [LIBZ, '/usr/lib/x86_64-linux-gnu/libsqlite3.a'].filter((p) => existsSync(p));
    for (const path of archives) {
      const bytes = new Uint8Array(readFileSync(path));
      const source = new FileArchiveSource(path);
      try {
        const fromFile = parseArchive(source, path).members;
        const fromBytes = parseArchive(bytes, path).members;
        // Largest first, so that later members are read into a buffer earlier ones filled further.
        const order = fromFile.map((_, i) => i).sort((a, b) => fromFile[b]!.size - fromFile[a]!.size);
        const kept = createDefaultRegistry();
        for (const i of order) {
          const name = `${path}(${fromFile[i]!.name})`;
          const whole = createDefaultRegistry().readObjectDefinitions(fromBytes[i]!.data, { name });
          expect([...kept.readObjectDefinitions(fromFile[i]!, { name })]).toEqual([...whole]);
        }
      } finally {
        source.close();
      }
    }
  });

  test('a file that shrinks while open is a MalformedObject error naming it; a missing file an InvalidArgument', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jitlink-source-'));
    try {
      const path = join(dir, 'shrinks.a');
      writeFileSync(path, new Uint8Array(256).fill(7));
      const source = new FileArchiveSource(path);
      truncateSync(path, 100);
      for (const read of [() => source.read(64, 128), () => source.readInto(new Uint8Array(128), 64)]) {
        let caught: unknown;
        try {
          read();
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(JITLinkError);
        expect([(caught as JITLinkError).code, (caught as JITLinkError).file, (caught as JITLinkError).offset]).toEqual(['MalformedObject', path, 100]);
      }
      source.close();
      expect(() => new FileArchiveSource(join(dir, 'missing.a'))).toThrow(
        new JITLinkError('InvalidArgument', `cannot read ${join(dir, 'missing.a')}: No such file or directory`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the command reports the total size of its inputs before linking', async () => {
    if (!haveLibz()) return;
    const hello = HELLO;
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

describe('inputs that cannot be read are one line saying why', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jitlink-unreadable-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The message a failure to read `path` gives, in process. */
  function messageOf(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(JITLinkError);
      expect((e as JITLinkError).code).toBe('InvalidArgument');
      return (e as JITLinkError).message;
    }
    throw new Error('expected a JITLinkError');
  }

  test('a missing file, a directory, a missing -check file, in words', async () => {
    const missing = join(dir, 'missing.o');
    expect(messageOf(() => readInputFile(missing))).toBe(`cannot read ${missing}: No such file or directory`);
    expect(messageOf(() => readInputFile(dir))).toBe(`cannot read ${dir}: Is a directory`);
    expect(messageOf(() => readInputFile(join(HELLO, 'x')))).toBe(`cannot read ${join(HELLO, 'x')}: Not a directory`);
    const out: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => void out.push(t) };
    expect(await runJitlink(['-noexec', dir], io)).toBe(1);
    expect(await runJitlink(['-noexec', '-check', missing, HELLO], io)).toBe(1);
    expect(out).toEqual([`jitlink: error: cannot read ${dir}: Is a directory\n`, `jitlink: error: cannot read check file ${missing}: No such file or directory\n`]);
  });

  test('a FIFO is refused at once, with or without a writer (opening one to read waits for a writer)', async () => {
    const fifo = join(dir, 'pipe.o');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.error || made.status !== 0) {
      if (process.env.CI === 'true') throw new Error(`mkfifo failed: ${made.error?.message ?? made.stderr.toString()}`);
      console.warn(`skipping: mkfifo failed (${made.error?.message ?? made.stderr.toString()})`);
      return;
    }
    // No writer: in a child process, which is killed if it waits (a hang then fails here, it does not stop the tests).
    const r = await runCli(['-noexec', fifo], 30_000);
    expect([r.signal, r.code, r.stderr]).toEqual([null, 1, `jitlink: error: cannot read ${fifo}: Is a FIFO (named pipe), not a regular file\n`]);
    // With a writer holding it open, in process.
    const writer = openSync(fifo, constants.O_RDWR);
    try {
      expect(messageOf(() => new FileArchiveSource(fifo))).toBe(`cannot read ${fifo}: Is a FIFO (named pipe), not a regular file`);
    } finally {
      closeSync(writer);
    }
  });

  test('a file over 2 GiB (sparse) is refused whole, with its size; archives that large are read on demand', async () => {
    const big = join(dir, 'big.o');
    const size = 2 ** 31 + 1;
    writeFileSync(big, new Uint8Array(0));
    truncateSync(big, size);
    expect(messageOf(() => readInputFile(big))).toBe(`cannot read ${big}: File is larger than the 2 GiB that can be read (2147483649 bytes)`);
    const source = new FileArchiveSource(big);
    try {
      expect(source.size).toBe(size);
      expect(source.read(2 ** 31 - 8, 9)).toEqual(new Uint8Array(9));
      expect(messageOf(() => source.read(1, 2 ** 31 + 1))).toBe(`cannot read ${big}: 2147483649 bytes at 1 are more than the 2 GiB that can be read at once`);
    } finally {
      source.close();
    }
    const out: string[] = [];
    expect(await runJitlink(['-noexec', big], { stdout: () => undefined, stderr: (t) => void out.push(t) })).toBe(1);
    expect(out).toEqual([`jitlink: error: cannot read ${big}: File is larger than the 2 GiB that can be read (2147483649 bytes)\n`]);

    // An archive whose second member starts past 2 GiB: its headers are read where they are.
    const archive = join(dir, 'big.a');
    const first = 2 ** 31 + 2;
    const header = (name: string, length: number) => `${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'644'.padEnd(8)}${String(length).padEnd(10)}\`\n`;
    const fd = openSync(archive, 'w');
    try {
      writeSync(fd, `!<arch>\n${header('hole.o/', first)}`);
      writeSync(fd, `${header('tail.o/', 4)}tail`, 8 + 60 + first);
    } finally {
      closeSync(fd);
    }
    const onDemand = new FileArchiveSource(archive);
    try {
      const parsed = parseArchive(onDemand, 'big.a');
      expect(parsed.members.map((m) => [m.name, m.offset, m.size])).toEqual([
        ['hole.o', 68, first],
        ['tail.o', 68 + first + 60, 4],
      ]);
      expect(new TextDecoder().decode(parsed.members[1]!.data)).toBe('tail');
      expect(messageOf(() => parsed.members[0]!.data)).toBe(`cannot read ${archive}: 2147483650 bytes at 68 are more than the 2 GiB that can be read at once`);
    } finally {
      onDemand.close();
    }
  });

  test('a file without read permission: Permission denied (as root, whom permissions do not stop, checked as nobody)', async () => {
    const secret = join(dir, 'secret.o');
    writeFileSync(secret, readFileSync(HELLO));
    chmodSync(secret, 0o000);
    const expected = `cannot read ${secret}: Permission denied`;
    if (process.getuid?.() !== 0) {
      expect(messageOf(() => readInputFile(secret))).toBe(expected);
      return;
    }
    // Root reads it regardless (CAP_DAC_OVERRIDE), so the command runs as nobody (uid 65534), which
    // may enter the directory but not read the file.
    expect(readInputFile(secret)).toEqual(new Uint8Array(readFileSync(HELLO)));
    chmodSync(dir, 0o755);
    // That needs a process as nobody that can read the command itself (not so in every container or checkout).
    const probe = spawnSync(process.execPath, ['-e', `require('fs').readFileSync(${JSON.stringify(CLI)})`], { uid: 65534, gid: 65534 });
    if (probe.error || probe.status !== 0) {
      const why = `cannot run the command as uid 65534 (${probe.error?.message ?? probe.stderr.toString().split('\n').find((l) => l.includes('Error')) ?? `exit ${probe.status}`})`;
      if (process.env.CI === 'true') throw new Error(`missing test prerequisite: ${why}`);
      console.warn(`skipping the Permission denied case: ${why}`);
      return;
    }
    const r = await new Promise<{ code: number | null; stderr: string }>((resolveRun, reject) => {
      const child = spawn(process.execPath, [CLI, '-noexec', secret], { uid: 65534, gid: 65534, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolveRun({ code, stderr }));
    });
    expect(r).toEqual({ code: 1, stderr: `jitlink: error: ${expected}\n` });
  });

  test('other system errors in words: strerror\'s for the common ones, libuv\'s otherwise', () => {
    const error = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(describeFileError(error('EMFILE', "EMFILE: too many open files, open 'x'"))).toBe('Too many open files');
    expect(describeFileError(error('EXDEV', "EXDEV: cross-device link not permitted, open 'x'"))).toBe('Cross-device link not permitted');
    expect(describeFileError(error('EWHATEVER', 'odd'))).toBe('EWHATEVER');
    expect(describeFileError(new Error('plain'))).toBe('plain');
  });
});
