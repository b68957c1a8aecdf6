import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nearestOption, parseOptions, UsageError } from '../src/options.js';
import { corpora, REPO_ROOT } from './corpus.js';
import { mapLimit, runCli } from './run-cli.js';

const HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');
const scratch = mkdtempSync(join(tmpdir(), 'jitlink-cli-'));

describe('jitlink command', () => {
  test('the README example prints its greeting', async () => {
    const r = await runCli([HELLO]);
    expect(r.stdout).toBe('hello, world!\n');
    expect(r.code).toBe(0);
  });

  test('-noexec links every corpus program, thread-local ones included', async () => {
    const corpus = corpora()[0]!;
    const cases: { label: string; args: string[] }[] = [];
    for (const p of corpus.programs) {
      if (p.harnessObjects) continue;
      for (const [compiler, variants] of Object.entries(p.variants)) {
        for (const v of variants) {
          cases.push({ label: `${p.name} ${compiler} ${v}`, args: ['-noexec', ...p.objects.map((o) => join(corpus.root, compiler, v, o)), ...p.archives] });
        }
      }
    }
    const results = await mapLimit(cases, 2, async (c) => ({ c, r: await runCli(c.args) }));
    const bad = results.filter(({ r }) => r.code !== 0 || r.stderr !== '');
    expect(bad.map(({ c, r }) => `${c.label}: ${r.code} ${r.stderr.slice(0, 200)}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(300);
  }, 900_000);

  test('slab layout is deterministic and shown with -show-addrs', async () => {
    const args = ['-noexec', '-slab-allocate', '1Mb', '-slab-address', '0x7000000000', '-slab-page-size', '4096', '-show-addrs', HELLO];
    const a = await runCli(args);
    const b = await runCli(args);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/main: main = 0x00000070000/);
    expect(a.stdout).toBe(b.stdout);
  });

  test('-show-graphs prints the graph with edge kind names', async () => {
    const r = await runCli(['-noexec', '-show-graphs', 'hello', HELLO]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/section \.text/);
    expect(r.stdout).toMatch(/kind = (BranchPCRel32|PCRel32|Delta32)/);
  });

  test("the design document's harness example: a mock overrides, a static function is reached", async () => {
    const dir = join(REPO_ROOT, 'test-corpus/obj/clang-19/O0-pic-small/harness');
    const r = await runCli(['-phony-externals', join(dir, 'test_code.o'), '-harness', join(dir, 'test_code_harness.o')]);
    expect(r.stdout).toBe('used mock utility function\nY is 42\n');
    expect(r.code).toBe(0);
    // Without -phony-externals the test set's unrelated external is missing.
    const strict = await runCli([join(dir, 'test_code.o'), '-harness', join(dir, 'test_code_harness.o')]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/irrelevant_external/);
  });

  test('-abs defines symbols; -entry picks the entry point', async () => {
    const r = await runCli(['-noexec', '-abs', 'my_abs=0x1234', '-entry=main', HELLO]);
    expect(r.code).toBe(0);
  });
});

describe('option parsing', () => {
  test('LLVM spellings: one or two dashes, =value or next word, joined -L/-l', () => {
    const o = parseOptions(['--noexec', '-entry=start', '--abs', 'x=0x10', '-L/usr/lib', '-lz', '-slab-allocate=100Kb', 'a.o', '-args', 'p', '-q']);
    expect(o.noexec).toBe(true);
    expect(o.entry).toBe('start');
    expect(o.absolutes).toEqual([{ name: 'x', address: 0x10n }]);
    expect(o.slabAllocate).toBe(100 * 1024);
    expect(o.inputs).toEqual([
      { kind: 'library', value: 'z', searchPaths: ['/usr/lib'], harness: false },
      { kind: 'file', value: 'a.o', harness: false },
    ]);
    expect(o.programArgs).toEqual(['p', '-q']);
  });

  test('a -show-graphs pattern that is not a regular expression is a usage error before anything links', () => {
    expect(() => parseOptions(['-show-graphs', '(', 'a.o'])).toThrow(UsageError);
    expect(() => parseOptions(['-show-graphs=\\', 'a.o'])).toThrow("-show-graphs '\\' is not a valid regular expression: Invalid regular expression: /\\/: \\ at end of pattern");
    expect(parseOptions(['-show-graphs', 'x.*\\.o', 'a.o']).showGraphs).toEqual(['x.*\\.o']);
  });

  test('unknown options get the nearest valid spelling', async () => {
    expect(nearestOption('noexce')).toBe('noexec');
    const r = await runCli(['-show-adrs', HELLO]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("jitlink: error: unknown option '-show-adrs'; did you mean '-show-addrs'? (see --help)\n");
  });

  test("--help groups options in llvm-jitlink's categories", async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Generic Options:[\s\S]*-help[\s\S]*JITLink Options:[\s\S]*-abs[\s\S]*-slab-allocate/);
  });
});

// ---- malformed inputs: one clear line naming file, section and offset; no stack trace ----

interface Shdr {
  index: number;
  at: number;
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

function sectionHeaders(bytes: Uint8Array): Shdr[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * 64;
    return { index: i, at, nameOff: v.getUint32(at, true), type: v.getUint32(at + 4, true), offset: Number(v.getBigUint64(at + 24, true)), size: Number(v.getBigUint64(at + 32, true)), link: v.getUint32(at + 40, true), info: v.getUint32(at + 44, true) };
  });
  const strtab = raw[shstrndx]!;
  const nameAt = (off: number) => {
    let end = strtab.offset + off;
    while (bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(strtab.offset + off, end)).toString('latin1');
  };
  return raw.map((s) => ({ ...s, name: nameAt(s.nameOff) }));
}

function mutated(name: string, f: (bytes: Uint8Array, view: DataView, shdrs: Shdr[]) => Uint8Array | void): string {
  const bytes = new Uint8Array(readFileSync(HELLO));
  const view = new DataView(bytes.buffer);
  const out = f(bytes, view, sectionHeaders(bytes)) ?? bytes;
  const path = join(scratch, name);
  writeFileSync(path, out);
  return path;
}

const malformed: [string, () => string, RegExp][] = [
  ['truncated header', () => mutated('truncated.o', (b) => b.subarray(0, 40)), /truncated\.o.*(truncated|too small)/i],
  ['section table past end of file', () => mutated('shoff.o', (_b, v) => v.setBigUint64(0x28, 0xfffff0n, true)), /shoff\.o.*offset 0x/],
  ['symbol table past end of file', () => mutated('symtab.o', (_b, v, s) => v.setBigUint64(s.find((x) => x.type === 2)!.at + 24, 0x7fffff0n, true)), /symtab\.o, section \.symtab.*offset 0x/],
  ['symbol index out of range', () => mutated('symidx.o', (_b, v, s) => {
    const rela = s.find((x) => x.type === 4 && x.name === '.rela.text')!;
    v.setUint32(rela.offset + 12, 0xffff, true); // r_info high half: symbol index
  }), /symidx\.o, section \.rela\.text.*offset 0x.*symbol/i],
  ['relocation against a missing section', () => mutated('relsec.o', (_b, v, s) => v.setUint32(s.find((x) => x.type === 4 && x.name === '.rela.text')!.at + 44, 999, true)), /relsec\.o, section \.rela\.text.*(999|section)/i],
  ['unknown relocation type', () => mutated('reltype.o', (_b, v, s) => v.setUint32(s.find((x) => x.type === 4 && x.name === '.rela.text')!.offset + 8, 200, true)), /reltype\.o, section \.(rela\.)?text.*offset 0x.*(200|unsupported|unknown)/i],
  ['archive member size past end', () => {
    const member = readFileSync(HELLO);
    const header = Buffer.from('hello.o/        0           0     0     644     99999999  `\n', 'latin1');
    const path = join(scratch, 'bad.a');
    writeFileSync(path, Buffer.concat([Buffer.from('!<arch>\n'), header, member]));
    return path;
  }, /bad\.a.*offset 0x8.*(past|beyond|end)/i],
];

describe('malformed inputs', () => {
  test.each(malformed)('%s', async (_label, make, pattern) => {
    const path = make();
    const args = path.endsWith('.a') ? [HELLO, path, '-noexec'] : [path, '-noexec'];
    const r = await runCli(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^jitlink: error: /);
    expect(lines[0]).toMatch(pattern);
    const verbose = await runCli([...args, '--verbose']);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  test('names from the file (an archive member name with a newline, an escape and a byte that is not UTF-8) print escaped on one line', async () => {
    // A "/" index naming `nothere` in the member; the member is a truncated object.
    const member = readFileSync(HELLO).subarray(0, 200);
    const field = (name: Buffer, size: number) =>
      Buffer.concat([name, Buffer.from(' '.repeat(16 - name.length) + '0'.padEnd(12) + '0'.padEnd(6) + '0'.padEnd(6) + '644'.padEnd(8) + String(size).padEnd(10) + '`\n', 'latin1')]);
    const index = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 8 + 60 + 16]), Buffer.from('nothere\0', 'latin1')]);
    const path = join(scratch, 'names.a');
    writeFileSync(path, Buffer.concat([Buffer.from('!<arch>\n'), field(Buffer.from('/'), index.length), index, field(Buffer.from('a\nb\x1b[31m\xff.o/', 'latin1'), member.length), member]));
    const r = await runCli(['-entry', 'nothere', HELLO, path]);
    expect([r.code, r.stderr]).toEqual([
      1,
      `jitlink: error: ${path}(a\\nb\\x1b[31m\\xff.o), offset 0x28: section header table at 0x210 is past the end of the file\n`,
    ]);
  });

  test('a missing input file is one clear line', async () => {
    const r = await runCli([join(scratch, 'nope.o')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`jitlink: error: cannot read ${join(scratch, 'nope.o')}: No such file or directory\n`);
  });
});
