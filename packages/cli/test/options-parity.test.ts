/**
 * llvm-jitlink's options, each with a real input: spelling, meaning and output.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkGraph, Linkage, MemProt, Scope } from '@jitlink/core';
import { X86_64EdgeKinds, getX86_64EdgeKindName } from '@jitlink/arch-x86-64';
import { nearestOption, parseAlias, parseOptions, parseSectCreate } from '../src/options.js';
import { addSelfRelocations } from '../src/link-extras.js';
import { createDefaultRegistry } from '../src/backends.js';
import { REPO_ROOT, requireOrSkip } from './corpus.js';
import { runCli } from './run-cli.js';

const OBJ = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small');
const HELLO = join(OBJ, 'hello/hello.o');
const ZLIB_DRIVER = join(OBJ, 'zlib_driver/zlib_driver.o');
const SQLITE_DRIVER = join(OBJ, 'sqlite_driver/sqlite_driver.o');
const LIBZ = '/usr/lib/x86_64-linux-gnu/libz.a';
const LIBSQLITE_SO = '/usr/lib/x86_64-linux-gnu/libsqlite3.so.0';
const SLAB = ['-noexec', '-slab-allocate', '1Mb', '-slab-address', '0x7000000000', '-slab-page-size', '4096'];
/** The corpus program's exit code (its main returns a checksum-like value). */
function expectedExit(program: string): number {
  return Number(readFileSync(join(REPO_ROOT, `test-corpus/obj/expected/${program}.exit`), 'utf8').trim());
}
const scratch = mkdtempSync(join(tmpdir(), 'jitlink-options-'));

describe('option parsing', () => {
  test('new options in every LLVM spelling', () => {
    const o = parseOptions([
      '--alias=a=b',
      '-sectcreate',
      'sec,f@s=4',
      '-hidden-lz',
      '--hidden-l',
      'm',
      '-load_hidden=x.a',
      '-preload',
      'libfoo.so',
      '-show-sizes',
      '--show-relocated-section-contents',
      '-show-init-es',
      '-show-entry-es',
      '-add-self-relocations',
      '--json',
      'o.o',
    ]);
    expect(o.inputs.map((i) => [i.kind, i.value, i.hidden ?? false])).toEqual([
      ['alias', 'a=b', false],
      ['sectcreate', 'sec,f@s=4', false],
      ['library', 'z', true],
      ['library', 'm', true],
      ['file', 'x.a', true],
      ['file', 'o.o', false],
    ]);
    expect(o.preload).toEqual(['libfoo.so']);
    expect([
      o.showSizes,
      o.showRelocatedSectionContents,
      o.showInitES,
      o.showEntryES,
      o.addSelfRelocations,
      o.json,
    ]).toEqual([true, true, true, true, true, true]);
  });

  test('-alias and -sectcreate values follow llvm-jitlink syntax', () => {
    expect(parseAlias('foo=bar')).toEqual({
      aliasDylib: undefined,
      alias: 'foo',
      targetDylib: undefined,
      target: 'bar',
    });
    expect(parseAlias('lib:foo=bar')).toEqual({
      aliasDylib: 'lib',
      alias: 'foo',
      targetDylib: 'lib',
      target: 'bar',
    });
    expect(parseAlias('foo=other:bar')).toEqual({
      aliasDylib: undefined,
      alias: 'foo',
      targetDylib: 'other',
      target: 'bar',
    });
    expect(() => parseAlias('foo')).toThrow(/-alias expects/);
    expect(parseSectCreate('__data,/tmp/f.bin@a=0,b=0x10')).toEqual({
      section: '__data',
      file: '/tmp/f.bin',
      symbols: [
        { name: 'a', offset: 0 },
        { name: 'b', offset: 16 },
      ],
    });
    expect(parseSectCreate('a,b,/tmp/f')).toEqual({ section: 'a,b', file: '/tmp/f', symbols: [] });
    expect(() => parseSectCreate('/tmp/f')).toThrow(/section name component cannot be empty/);
    expect(() => parseSectCreate('s,/tmp/f@x=ten')).toThrow(/'ten' is not a valid integer/);
  });

  test('unknown options suggest the nearest new spelling', async () => {
    expect(nearestOption('show-size')).toBe('show-sizes');
    expect(nearestOption('sectcreat')).toBe('sectcreate');
    expect(nearestOption('show-init-ess')).toBe('show-init-es');
    const r = await runCli(['-show-entry-e', HELLO]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "jitlink: error: unknown option '-show-entry-e'; did you mean '-show-entry-es'? (see --help)\n",
    );
  });

  test("--help lists every option under llvm-jitlink's categories, sorted", async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const jitlink = r.stdout.slice(
      r.stdout.indexOf('JITLink Options:'),
      r.stdout.indexOf('jitlink-ts Options:'),
    );
    const names = [...jitlink.matchAll(/^ {2}-([\w-]+)/gm)].map((m) => m[1]!);
    for (const n of [
      'alias',
      'sectcreate',
      'hidden-l',
      'load_hidden',
      'preload',
      'no-process-syms',
      'show-sizes',
      'show-relocated-section-contents',
      'show-init-es',
      'show-entry-es',
      'add-self-relocations',
      'check-name',
      'harness',
      'oop-executor',
      'oop-executor-connect',
      'use-shared-memory',
    ]) {
      expect(names).toContain(n);
    }
    expect(names).toEqual([...names].sort());
    expect(r.stdout).toMatch(/Generic Options:[\s\S]*-help[\s\S]*-version/);
    expect(r.stdout).toMatch(/jitlink-ts Options:[\s\S]*-json/);
  });
});

describe('options at work', () => {
  test('-alias makes a second name for a definition (here the entry point)', async () => {
    const r = await runCli(['-alias', 'greet=main', '-entry', 'greet', HELLO]);
    expect(r.stdout).toBe('hello, world!\n');
    expect(r.code).toBe(0);
    const bad = await runCli(['-alias', 'greet=nowhere:main', '-entry', 'greet', HELLO]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no dylib named nowhere/);
  });

  test("-sectcreate adds a section with the file's bytes and symbols at offsets", async () => {
    const file = join(scratch, 'blob.bin');
    writeFileSync(file, 'ABCDEFGH');
    const r = await runCli([
      ...SLAB,
      '-sectcreate',
      `mydata,${file}@blob=0,blob_mid=4`,
      '-show-addrs',
      '-show-relocated-section-contents',
      HELLO,
    ]);
    expect(r.code).toBe(0);
    const blob = BigInt(/main: blob = (0x[0-9a-f]+)/.exec(r.stdout)![1]!);
    const mid = BigInt(/main: blob_mid = (0x[0-9a-f]+)/.exec(r.stdout)![1]!);
    expect(mid - blob).toBe(4n);
    expect(r.stdout).toMatch(
      /Relocated section contents for orc_sectcreate_mydata:\nmydata content:\n0x[0-9a-f]+: 41 42 43 44 45 46 47 48\n/,
    );
    const missing = await runCli(['-noexec', '-sectcreate', `mydata,${join(scratch, 'absent.bin')}`, HELLO]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`jitlink: error: cannot read ${join(scratch, 'absent.bin')}: No such file or directory\n`);
  });

  test('-load_hidden and -hidden-l: archive members are visible only inside their JITDylib', async () => {
    if (!requireOrSkip(existsSync(LIBZ), `${LIBZ} (zlib1g-dev) is not installed`)) return;
    // Same dylib: the program links against the hidden members and runs.
    const same = await runCli(['-load_hidden', LIBZ, ZLIB_DRIVER]);
    expect(same.code).toBe(expectedExit('zlib_driver'));
    expect(same.stdout).toMatch(/crc32: 63b2e52d/);
    const es = await runCli([
      '-noexec',
      '-show-entry-es',
      '-hidden-lz',
      '-L',
      '/usr/lib/x86_64-linux-gnu',
      ZLIB_DRIVER,
    ]);
    expect(es.stdout).toMatch(
      /"deflate": 0x[0-9a-f]+ \[Callable, Hidden\] Ready \(.*libz\.a\(deflate\.o\)\)/,
    );
    expect(es.stdout).toMatch(/"main": 0x[0-9a-f]+ \[Callable, Exported\] Ready/);
    // Another dylib: hidden members cannot satisfy main's references; plain ones can.
    const hidden = await runCli([
      '-noexec',
      '-no-process-syms',
      ZLIB_DRIVER,
      '-jd',
      'zlib',
      '-load_hidden',
      LIBZ,
    ]);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toMatch(/symbols not found: \[.*\bdeflate\b/);
    const plain = await runCli(['-noexec', '-no-process-syms', ZLIB_DRIVER, '-jd', 'zlib', LIBZ]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/symbols not found: \[/);
    expect(plain.stderr).not.toMatch(/\bdeflate\b/);
  });

  test('-graph-budget: beyond it (archives read on demand, members built when linked) the program runs the same', async () => {
    const libsqlite = '/usr/lib/x86_64-linux-gnu/libsqlite3.a';
    if (!requireOrSkip(existsSync(libsqlite), `${libsqlite} (libsqlite3-dev) is not installed`)) return;
    const expected = readFileSync(join(REPO_ROOT, 'test-corpus/obj/expected/sqlite_driver.stdout'), 'utf8');
    for (const budget of ['1', '64Kb']) {
      const r = await runCli(['-graph-budget', budget, SQLITE_DRIVER, libsqlite, '-args', 'prog']);
      expect([r.code, r.stderr]).toEqual([expectedExit('sqlite_driver'), '']);
      expect(r.stdout).toBe(expected);
    }
    const bad = await runCli(['-graph-budget', 'lots', HELLO]);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/invalid graph budget 'lots'/)]);
  });

  test('-preload loads a shared library whose symbols the JIT code then uses', async () => {
    if (!requireOrSkip(existsSync(LIBSQLITE_SO), `${LIBSQLITE_SO} (libsqlite3-dev) is not installed`)) return;
    const without = await runCli(['-noexec', SQLITE_DRIVER]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/symbols not found: \[ sqlite3_open/);
    const r = await runCli(['-preload', LIBSQLITE_SO, SQLITE_DRIVER]);
    expect(r.code).toBe(expectedExit('sqlite_driver'));
    expect(r.stdout).toMatch(/\[select\] id=1 name=apple/);
    const absent = await runCli(['-preload', join(scratch, 'libabsent.so'), HELLO]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/libabsent\.so/);
  });

  test('-no-process-syms leaves libc unresolved', async () => {
    const r = await runCli(['-noexec', '-no-process-syms', HELLO]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/symbols not found: \[ puts \]/);
  });

  test('-show-sizes prints block totals before pruning and after fixups', async () => {
    const r = await runCli(['-noexec', '-show-sizes', HELLO]);
    expect(r.code).toBe(0);
    const m =
      /^ {2}Total size of all blocks before pruning: (\d+)\n {2}Total size of all blocks after fixups: (\d+)\n$/m.exec(
        r.stdout,
      );
    expect(m).not.toBeNull();
    // hello.o: main (17) + "hello, world!\0" (14) + .eh_frame (48 + 4); after fixups a GOT entry and a stub are added.
    expect(Number(m![1])).toBeGreaterThanOrEqual(17 + 14);
    expect(Number(m![2])).toBeGreaterThan(Number(m![1]));
  });

  test('-show-relocated-section-contents dumps the final bytes, 16 per line', async () => {
    const r = await runCli([...SLAB, '-show-relocated-section-contents', HELLO]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Relocated section contents for .*hello\.o:\n/);
    expect(r.stdout).toMatch(
      /\.rodata\.str1\.1 content:\n0x70[0-9a-f]+: 68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 00\n/,
    );
    // main's lea and call were fixed up: the call's displacement is no longer zero.
    const text = /\.text content:\n(0x[0-9a-f]+):((?: [0-9a-f]{2})+)/.exec(r.stdout)!;
    const bytes = text[2]!.trim().split(' ');
    expect(bytes.slice(1, 4)).toEqual(['48', '8d', '3d']);
    expect(bytes.slice(9, 13)).not.toEqual(['00', '00', '00', '00']);
  });

  test('-show-init-es and -show-entry-es print the session before and after the entry lookup', async () => {
    const r = await runCli(['-noexec', '-show-init-es', '-show-entry-es', HELLO]);
    expect(r.code).toBe(0);
    const [init, entry] = r.stdout.split(/(?=JITDylib "main")/);
    expect(init).toMatch(/"main": <not resolved> \[Callable, Exported\] NeverSearched \(.*hello\.o\)/);
    expect(entry).toMatch(/"main": 0x[0-9a-f]{16} \[Callable, Exported\] Ready/);
    expect(entry).toMatch(/"puts": 0x[0-9a-f]{16} \[Callable, Exported, Weak\] Ready \(absolute\)/);
  });

  test("-add-self-relocations: a function's unrelocated RIP-relative pointer to itself gets a Delta32 edge", () => {
    const graph = new LinkGraph({
      name: 'self',
      triple: 'x86_64-unknown-linux-gnu',
      pointerSize: 8,
      endianness: 'little',
      getEdgeKindName: getX86_64EdgeKindName,
    });
    const text = graph.createSection('.text', MemProt.Read | MemProt.Exec);
    // f: leaq -7(%rip), %rax  (the address of f itself);  leaq 0(%rip), %rcx  (not f);  ret
    const code = new Uint8Array([
      0x48, 0x8d, 0x05, 0xf9, 0xff, 0xff, 0xff, 0x48, 0x8d, 0x0d, 0x00, 0x00, 0x00, 0x00, 0xc3,
    ]);
    const block = graph.createContentBlock(text, code, 0x1000, 16, 0);
    const f = graph.addDefinedSymbol(block, 0, 'f', code.length, Linkage.Strong, Scope.Default, true, true);
    // The pass asks the graph's backend (ELF/x86-64) to add the edges.
    const pass = addSelfRelocations(createDefaultRegistry());
    void pass(graph);
    expect(block.edges.map((e) => [e.kind, e.offset, e.target, e.addend])).toEqual([
      [X86_64EdgeKinds.Delta32, 3, f, -4],
    ]);
    // Idempotent: an existing relocation at that offset is left alone.
    void pass(graph);
    expect(block.edges).toHaveLength(1);
  });

  test('-add-self-relocations links and runs real code', async () => {
    const r = await runCli(['-add-self-relocations', HELLO]);
    expect(r.stdout).toBe('hello, world!\n');
    expect(r.code).toBe(0);
  });
});

describe('--json', () => {
  test('-show-addrs, -show-graphs, -show-times and -show-sizes as one document', async () => {
    const r = await runCli([
      ...SLAB,
      '--json',
      '-show-addrs',
      '-show-graphs',
      'hello',
      '-show-times',
      '-show-sizes',
      HELLO,
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      addrs: { dylib: string; name: string; address: string; state: string }[];
      graphs: {
        name: string;
        sections: {
          name: string;
          blocks: {
            address: string;
            size: number;
            alignment: number;
            alignmentOffset: number;
            symbols: { name: string | null }[];
            edges: { kind: string; addend: number; targetName: string }[];
          }[];
        }[];
      }[];
      times: Record<string, number>;
      sizes: { beforePruning: number; afterFixups: number };
    };
    expect(doc.addrs).toContainEqual({
      dylib: 'main',
      name: 'main',
      address: expect.stringMatching(/^0x00000070[0-9a-f]{8}$/),
      state: 'Ready',
    });
    expect(doc.graphs).toHaveLength(1);
    const text = doc.graphs[0]!.sections.find((s) => s.name === '.text')!;
    const mainBlock = text.blocks.find((b) => b.symbols.some((s) => s.name === 'main'))!;
    expect(mainBlock).toMatchObject({ size: 17, alignment: 16, alignmentOffset: 0 });
    expect(mainBlock.edges.map((e) => e.kind)).toEqual(expect.arrayContaining(['Delta32']));
    expect(mainBlock.edges.find((e) => e.kind === 'Delta32')).toMatchObject({
      targetName: '.Lstr',
      addend: -4,
    });
    expect(doc.times.link).toBeGreaterThan(0);
    expect(Object.keys(doc.times)).toEqual(
      expect.arrayContaining(['read inputs', 'build graphs', 'link', 'link: fixup']),
    );
    expect(doc.times['build graphs']).toBeGreaterThan(0);
    expect(doc.sizes.afterFixups).toBeGreaterThan(doc.sizes.beforePruning);
    expect(r.stderr).toBe('');
  });

  test('when the program runs, its output comes first and the document is the last line', async () => {
    const r = await runCli(['--json', '-show-addrs', HELLO]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('hello, world!');
    expect(JSON.parse(lines.at(-1)!).addrs.length).toBeGreaterThan(0);
  });
});
