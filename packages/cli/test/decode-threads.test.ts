/**
 * -decode-threads: archive members decoded on worker threads while the link
 * goes on. The same programs run with the same output, the same graphs are
 * built, a malformed member gives the same error, and the workers end on
 * every path.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JITLinkError, type LinkGraph } from '@jitlink/core';
import { parseElf } from '@jitlink/elf';
import { createDefaultRegistry } from '../src/backends.js';
import { DecodePool } from '../src/decode-pool.js';
import { parseOptions } from '../src/options.js';
import { runJitlink } from '../src/run.js';
import { debianLibrary, needs } from '@jitlink/test-support';
import { REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

const OBJ = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small');
const EXPECTED = join(REPO_ROOT, 'test-corpus/obj/expected');
const scratch = mkdtempSync(join(tmpdir(), 'jitlink-decode-threads-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const expectedExit = (program: string): number => Number(readFileSync(join(EXPECTED, `${program}.exit`), 'utf8').trim());
const expectedStdout = (program: string): string => readFileSync(join(EXPECTED, `${program}.stdout`), 'utf8');

/** A System V archive of `members` without a symbol index (the generator indexes it from their definitions). */
function archive(members: [string, Uint8Array][]): Uint8Array {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const [name, data] of members) {
    const field = (v: string | number, width: number) => String(v).padEnd(width);
    parts.push(Buffer.from(`${field(`${name}/`, 16)}${field(0, 12)}${field(0, 6)}${field(0, 6)}${field(644, 8)}${field(data.length, 10)}\`\n`));
    parts.push(Buffer.from(data));
    if (data.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * -show-graphs output with the graphs in name order and every address
 * replaced: the layout follows the order graphs are linked in, which
 * decoding on other threads changes; their content must not change.
 */
function graphsByName(text: string): string[] {
  return text
    .split(/^(?=Link graph ")/m)
    .filter((g) => g.startsWith('Link graph "'))
    .map((g) => g.replace(/0x[0-9a-f]{16}/g, '<address>'))
    .sort();
}

describe('option', () => {
  test('-decode-threads takes a count', () => {
    expect(parseOptions(['-decode-threads', '3', 'x.o']).decodeThreads).toBe(3);
    expect(parseOptions(['--decode-threads=0', 'x.o']).decodeThreads).toBe(0);
    expect(parseOptions(['x.o']).decodeThreads).toBeUndefined();
    expect(() => parseOptions(['-decode-threads', 'lots', 'x.o'])).toThrow(/invalid decode thread count 'lots'/);
  });
});

const drivers: [string, string][] = [
  ['sqlite_driver', 'libsqlite3.a'],
  ['zlib_driver', 'libz.a'],
];

describe('linking with members decoded on worker threads', () => {
  for (const [program, lib] of drivers) {
    needs(debianLibrary(lib)).test(`${program} + Debian ${lib}: runs with the same output, threads or not`, async () => {
      const driver = join(OBJ, program, `${program}.o`);
      const library = debianLibrary(lib).path;
      // 64Kb: beyond the graph budget (archives read on demand, each member decoded ahead of its link).
      for (const extra of [['-decode-threads', '0'], ['-decode-threads', '1'], ['-decode-threads', '2'], ['-decode-threads', '1', '-graph-budget', '64Kb']]) {
        const r = await runCli([...extra, driver, library, '-args', 'prog']);
        expect([extra, r.code, r.signal, r.stderr]).toEqual([extra, expectedExit(program), null, '']);
        expect(r.stdout).toBe(expectedStdout(program));
      }
    });
  }

  needs(debianLibrary('libsqlite3.a')).test('sqlite_driver + libsqlite3.a: the same 88 graphs, built from what the workers decoded', async () => {
    const args = [
      '-noexec',
      '-slab-allocate', '64Mb',
      '-slab-address', '0x7000000000',
      '-show-graphs', '.*',
      join(OBJ, 'sqlite_driver/sqlite_driver.o'),
      debianLibrary('libsqlite3.a').path,
    ];
    // In this process, to count the members built from decoded tables.
    const decodedTaken: string[] = [];
    const originalTake = DecodePool.prototype.take;
    const take = jest.spyOn(DecodePool.prototype, 'take').mockImplementation(function (this: DecodePool, key: object) {
      const r = originalTake.call(this, key);
      if (r !== undefined) decodedTaken.push(r.decoded.fileName);
      return r;
    });
    const run = async (threads: string) => {
      let out = '';
      let err = '';
      const code = await runJitlink(['-decode-threads', threads, ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
      expect([code, err]).toEqual([0, '']);
      return graphsByName(out);
    };
    try {
      const single = await run('0');
      expect(decodedTaken).toEqual([]);
      const threaded = await run('1');
      expect(threaded).toHaveLength(88);
      expect(threaded).toEqual(single);
      // Members came from a worker: at least the first of each wave (this thread waits for it, building
      // members from the back of the wave meanwhile); how many more depends on how the threads are scheduled.
      expect(decodedTaken.length).toBeGreaterThan(0);
      expect(decodedTaken.every((name) => name.includes('libsqlite3.a('))).toBe(true);
    } finally {
      take.mockRestore();
    }
  });
});

describe('a malformed member decoded on a worker thread', () => {
  const multi = (f: string) => new Uint8Array(readFileSync(join(OBJ, 'multi', f)));

  /** tables.o with a relocation of its .rela.data naming a symbol that does not exist (decoding keeps the entries before it). */
  function badRelocation(): Uint8Array {
    const bytes = multi('tables.o');
    const elf = parseElf(bytes, 'tables.o');
    const rela = elf.relocationSections.find((r) => r.section.name === '.rela.data')!;
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(rela.section.offset + 2 * rela.entrySize + 12, 0xfff0, true);
    return bytes;
  }

  /** ops.o with a relocation section whose entry size is wrong (found by parseElf: the worker's decoding fails). */
  function badRelocationSection(): Uint8Array {
    const bytes = multi('ops.o');
    const elf = parseElf(bytes, 'ops.o');
    const rela = elf.relocationSections.find((r) => r.section.name === '.rela.text')!;
    new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(rela.section.headerOffset + 56, 23n, true);
    return bytes;
  }

  test.each([
    ['a relocation entry', () => archive([['ops.o', multi('ops.o')], ['tables.o', badRelocation()]]), /libmulti\.a\(tables\.o\), section \.rela\.data, offset 0x[0-9a-f]+: .*symbol index 65520 is out of range/],
    ['a relocation section header', () => archive([['ops.o', badRelocationSection()], ['tables.o', multi('tables.o')]]), /libmulti\.a\(ops\.o\), section \.rela\.text, offset 0x[0-9a-f]+: relocation entry size 23, expected 24/],
  ])('%s: the same JITLinkError as without threads, and the command ends', async (_what, make, message) => {
    const lib = join(scratch, 'libmulti.a');
    writeFileSync(lib, make());
    const main = join(OBJ, 'multi/main.o');
    // The member's error: file, section, offset and message, the last part of the line.
    const memberError = (stderr: string) => stderr.match(new RegExp(`${message.source}.*\n$`))?.[0];
    const single = await runCli(['-noexec', '-decode-threads', '0', main, lib]);
    expect(single.code).toBe(1);
    expect(single.stderr).toMatch(message);
    expect(single.stderr.split('\n').length).toBe(2);
    for (const threads of ['1', '2']) {
      const threaded = await runCli(['-noexec', '-decode-threads', threads, main, lib]);
      // Without threads the member fails when linked (the message names the units that depend on it);
      // with them, when its graph is built as it is loaded.
      expect([threaded.code, threaded.signal, memberError(threaded.stderr)]).toEqual([1, null, memberError(single.stderr)]);
      expect(memberError(threaded.stderr)).toBeDefined();
      expect(threaded.stderr.split('\n').length).toBe(2);
    }
  });

  test.each([
    ['a relocation entry', badRelocation, 'tables.o'],
    ['a relocation section header', badRelocationSection, 'ops.o'],
  ])('%s: built from what the worker decoded, the error of the linking thread (file, section, offset, message)', async (_what, make, name) => {
    const registry = createDefaultRegistry();
    const bytes = make();
    const expected = catchError(() => registry.createLinkGraph(bytes, { name }));
    const pool = new DecodePool({ threads: 1 });
    try {
      const key = {};
      pool.prefetch(key, name, () => bytes.slice());
      await pool.settled(key);
      const ready = pool.take(key);
      expect(ready).toBeDefined();
      expect(ready!.decoded.ok).toBe(name === 'tables.o');
      const error = catchError(() => registry.createLinkGraph(ready!.bytes, { name, decoded: ready!.decoded }));
      expect(fields(error)).toEqual(fields(expected));
    } finally {
      await pool.close();
    }
  });
});

function catchError(f: () => LinkGraph): JITLinkError {
  try {
    f();
  } catch (e) {
    if (e instanceof JITLinkError) return e;
    throw e;
  }
  throw new Error('no error');
}

function fields(e: JITLinkError): unknown {
  return { code: e.code, file: e.file, section: e.section, offset: e.offset, message: e.message };
}

describe('workers end on every path', () => {
  test('close() terminates them: nothing more is decoded, and what was queued is built by the caller', async () => {
    const pool = new DecodePool({ threads: 2 });
    expect(pool.threads).toBe(2);
    const bytes = new Uint8Array(readFileSync(join(OBJ, 'hello/hello.o')));
    const keys = Array.from({ length: 6 }, () => ({}));
    for (const key of keys) pool.prefetch(key, 'hello.o', () => bytes.slice());
    await pool.close();
    expect(pool.threads).toBe(0);
    for (const key of keys) expect(pool.take(key)).toBeUndefined();
    pool.prefetch({}, 'hello.o', () => bytes);
    expect(pool.settled(keys[0]!)).toBeUndefined();
  });

  test('a worker that cannot start leaves its objects to the caller', async () => {
    const pool = new DecodePool({ threads: 1, workerFile: join(scratch, 'absent-worker.cjs') });
    const key = {};
    pool.prefetch(key, 'hello.o', () => new Uint8Array(readFileSync(join(OBJ, 'hello/hello.o'))));
    await pool.settled(key);
    expect(pool.take(key)).toBeUndefined();
    await pool.close();
  });

  test('the command exits after a link that fails with threads running (symbols not found)', async () => {
    const lib = join(scratch, 'libmulti-partial.a');
    writeFileSync(lib, archive([['ops.o', new Uint8Array(readFileSync(join(OBJ, 'multi/ops.o')))]]));
    const r = await runCli(['-noexec', '-decode-threads', '2', join(OBJ, 'multi/main.o'), lib], 30_000);
    expect([r.code, r.signal]).toEqual([1, null]);
    expect(r.stderr).toMatch(/symbols not found/);
  });
});
