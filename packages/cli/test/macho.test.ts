/**
 * MachO through the jitlink command: clang-19 x86_64-apple-macos11 programs
 * (C, and C++ with static constructors and destructors and exceptions) run in this Linux
 * process and print what their native builds print; the
 * MachO assembly tests pass their checks here and under llvm-jitlink-19;
 * every object of the MachO corpus links under -noexec; dead-stripping of
 * subsections shows in -show-graphs; universal files by -triple.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, requireOrSkip } from './corpus.js';
import { mapLimit, runCli } from './run-cli.js';

const CORPUS = join(REPO_ROOT, 'test-corpus/obj-macho');
const EXPECTED = join(REPO_ROOT, 'test-corpus/expected/macho');
const ASM = join(CORPUS, 'asm/x86_64');

const PROGRAMS: { name: string; objects: string[]; args: string[] }[] = [
  { name: 'hello', objects: ['hello.o'], args: [] },
  { name: 'args', objects: ['args.o'], args: ['alpha', 'be', 'gamma'] },
  { name: 'ctors', objects: ['ctors.o'], args: [] },
  { name: 'multi', objects: ['multi_main.o', 'multi_util.o'], args: [] },
  { name: 'shapes', objects: ['shapes.o'], args: [] },
  { name: 'exceptions', objects: ['exceptions.o'], args: [] },
];
const VARIANTS = ['O0', 'O2'];

describe('MachO x86_64 programs run in-process on Linux', () => {
  const cases = PROGRAMS.flatMap((p) => VARIANTS.map((v) => [`${v}/${p.name}`, p, v] as const));
  test.each(cases)('%s prints what its native build prints', async (_label, p, v) => {
    const objects = p.objects.map((o) => join(CORPUS, 'x86_64', v, p.name, o));
    // llvm-jitlink passes no program name: give one, as the native run has.
    const args = p.args.length > 0 ? ['-args', p.name, ...p.args] : [];
    const r = await runCli([...objects, ...args]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(EXPECTED, `${p.name}.stdout`), 'utf8'));
    expect(r.code).toBe(Number(readFileSync(join(EXPECTED, `${p.name}.exit`), 'utf8')));
  });
});

const SLAB = ['-noexec', '-slab-allocate', '100Kb', '-slab-address', '0x7fff0000', '-slab-page-size', '4096'];
const ABS = ['-abs', '_extern_near=0x7ff00000', '-abs', '_extern_far=0x100000000000'];
const asmTests = readdirSync(ASM)
  .filter((f) => f.endsWith('.s'))
  .map((f) => f.slice(0, -2))
  .sort();
const checkArgs = (name: string) => [...SLAB, ...ABS, '-check', join(ASM, `${name}.s`), join(ASM, `${name}.o`)];

function llvmJitlink(): boolean {
  const found = spawnSync('llvm-jitlink-19', ['--version'], { encoding: 'utf8' }).status === 0;
  return requireOrSkip(found, 'llvm-jitlink-19 is not installed (apt-get install llvm-19)');
}

describe('MachO assembly tests (one per X86_64_RELOC type, subsections, linker options)', () => {
  test('there is one per relocation type', () => {
    for (const t of ['UNSIGNED', 'SIGNED', 'BRANCH', 'GOT_LOAD', 'GOT', 'SUBTRACTOR']) expect(asmTests).toContain(`X86_64_RELOC_${t}`);
  });

  test.each(asmTests)('%s passes its checks', async (name) => {
    const r = await runCli(checkArgs(name));
    expect(r.stderr).toMatch(/^jitlink-check: \d+ checks? passed\n$/);
    expect(r.code).toBe(0);
  });

  test('llvm-jitlink-19 passes the same check files', () => {
    if (!llvmJitlink()) return;
    for (const name of asmTests) {
      const r = spawnSync('llvm-jitlink-19', checkArgs(name), { encoding: 'utf8' });
      expect({ name, stderr: r.stderr, status: r.status }).toEqual({ name, stderr: '', status: 0 });
    }
  });
});

describe('every MachO x86_64 corpus object links under -noexec', () => {
  const objects = PROGRAMS.flatMap((p) => VARIANTS.flatMap((v) => p.objects.map((o) => join(CORPUS, 'x86_64', v, p.name, o))));
  test('ours and llvm-jitlink-19', async () => {
    const results = await mapLimit(objects, 2, (o) => runCli(['-noexec', '-phony-externals', o]));
    results.forEach((r, i) => expect({ object: objects[i], stderr: r.stderr, code: r.code }).toEqual({ object: objects[i], stderr: '', code: 0 }));
    if (!llvmJitlink()) return;
    for (const o of objects) {
      const r = spawnSync('llvm-jitlink-19', ['-noexec', '-phony-externals', o], { encoding: 'utf8' });
      expect({ object: o, stderr: r.stderr, status: r.status }).toEqual({ object: o, stderr: '', status: 0 });
    }
  });
});

describe('subsections and dead-stripping in -show-graphs', () => {
  /** Blocks printed per section of the graph. */
  function blocks(shown: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    let section = '';
    for (const line of shown.split('\n')) {
      const s = /^section (\S+) /.exec(line);
      if (s) out[(section = s[1]!)] = [];
      const b = /^ {2}block 0x[0-9a-f]+ size = (0x[0-9a-f]+)/.exec(line);
      if (b) out[section]!.push(b[1]!);
    }
    return out;
  }

  test('with subsections, the unused local function and its string are stripped', async () => {
    const r = await runCli(['-noexec', '-show-graphs', '.*', join(ASM, 'subsections.o')]);
    expect(r.code).toBe(0);
    const shown = blocks(r.stdout);
    // _main (with its alternate entry) and _helper; _unused_local is gone, and so is "unused".
    expect(shown['__TEXT,__text']).toEqual(['0x0000000f', '0x00000001']);
    expect(shown['__TEXT,__cstring']).toEqual(['0x00000005']);
    expect(r.stdout).not.toContain('_unused_local');
  });

  test('without them, the section is one block and nothing in it is stripped', async () => {
    const r = await runCli(['-noexec', '-show-graphs', '.*', join(ASM, 'no_subsections.o')]);
    expect(r.code).toBe(0);
    const shown = blocks(r.stdout);
    expect(shown['__TEXT,__text']).toEqual(['0x00000018']);
    // Both strings stay: the whole text block, unused function included, refers to them.
    expect(shown['__TEXT,__cstring']).toEqual(['0x00000005', '0x00000007']);
  });
});

test('archive members are MachO objects too: linked when the program needs them', async () => {
  const dir = join(CORPUS, 'x86_64/O2/multi');
  const r = await runCli([join(dir, 'multi_main.o'), '-L', dir, '-lmulti_util']);
  expect(r.stdout).toBe(readFileSync(join(EXPECTED, 'multi.stdout'), 'utf8'));
  expect(r.code).toBe(0);
});

describe('universal files', () => {
  const fat = join(CORPUS, 'universal/hello.o');
  test('-triple chooses the slice that runs', async () => {
    const r = await runCli(['-triple', 'x86_64-apple-macosx', fat]);
    expect(r.stdout).toBe('hello, world!\n');
    expect(r.code).toBe(0);
  });
  test('without -triple, or with a slice not present: the slices are listed', async () => {
    const none = await runCli([fat]);
    expect(none.stderr).toBe(
      `jitlink: error: ${fat}, offset 0x0: universal MachO file holds several architectures (x86_64, arm64): choose one with -triple\n`,
    );
    const absent = await runCli(['-triple', 'i386-apple-macosx', fat]);
    expect(absent.stderr).toBe(`jitlink: error: ${fat}, offset 0x0: universal MachO file has no i386 slice (slices present: x86_64, arm64)\n`);
    expect(absent.code).toBe(1);
  });
});

test('a clang-19 MachO object of another corpus source links (it got the planned-backend advice before)', async () => {
  const found = spawnSync('clang-19', ['--version']).status === 0;
  if (!requireOrSkip(found, 'clang-19 is not installed (apt-get install clang-19)')) return;
  const object = join(mkdtempSync(join(tmpdir(), 'jitlink-macho-')), 'weak_defaults.o');
  execFileSync('clang-19', ['--target=x86_64-apple-macos11', '-c', join(REPO_ROOT, 'test-corpus/src/weak/weak_defaults.c'), '-o', object]);
  const r = await runCli(['-noexec', object]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

describe('MachO arm64', () => {
  const ARM64_ASM = join(CORPUS, 'asm/arm64');
  const arm64AsmTests = readdirSync(ARM64_ASM)
    .filter((f) => f.endsWith('.s'))
    .map((f) => f.slice(0, -2))
    .sort();
  const ARM64_SLAB = ['-noexec', '-slab-allocate', '100Kb', '-slab-address', '0x10000', '-slab-page-size', '4096'];
  const ARM64_ABS = ['-abs', '_extern_far=0x100000000000', '-abs', '__tlv_bootstrap=0x200000000000'];
  const arm64CheckArgs = (name: string) => [...ARM64_SLAB, ...ARM64_ABS, '-check', join(ARM64_ASM, `${name}.s`), join(ARM64_ASM, `${name}.o`)];
  // The 64-bit absolute form of POINTER_TO_GOT: llvm-jitlink-19 reads only the 32-bit pc-relative one.
  const NOT_IN_LLVM = ['ARM64_RELOC_POINTER_TO_GOT_64'];

  test('there is an assembly test per ARM64_RELOC type', () => {
    const types = ['UNSIGNED', 'SUBTRACTOR', 'BRANCH26', 'PAGE21', 'PAGEOFF12', 'GOT_LOAD_PAGE21', 'GOT_LOAD_PAGEOFF12', 'POINTER_TO_GOT'];
    for (const t of [...types, 'TLVP_LOAD_PAGE21', 'TLVP_LOAD_PAGEOFF12', 'ADDEND']) expect(arm64AsmTests).toContain(`ARM64_RELOC_${t}`);
  });

  test.each(arm64AsmTests)('%s passes its checks', async (name) => {
    const r = await runCli(arm64CheckArgs(name));
    expect(r.stderr).toMatch(/^jitlink-check: \d+ checks? passed\n$/);
    expect(r.code).toBe(0);
  });

  test('llvm-jitlink-19 passes the same check files, but for the relocation form it does not read', () => {
    if (!llvmJitlink()) return;
    for (const name of arm64AsmTests) {
      const r = spawnSync('llvm-jitlink-19', arm64CheckArgs(name), { encoding: 'utf8' });
      if (NOT_IN_LLVM.includes(name)) {
        expect({ name, stderr: r.stderr, status: r.status }).toEqual({ name, stderr: expect.stringContaining('Unsupported arm64 relocation'), status: 1 });
      } else {
        expect({ name, stderr: r.stderr, status: r.status }).toEqual({ name, stderr: '', status: 0 });
      }
    }
  });

  const objects = PROGRAMS.flatMap((p) => VARIANTS.flatMap((v) => p.objects.map((o) => join(CORPUS, 'arm64', v, p.name, o))));
  test('every clang-19 arm64 corpus object links under -noexec, with ours and llvm-jitlink-19', async () => {
    const results = await mapLimit(objects, 2, (o) => runCli(['-noexec', '-phony-externals', o]));
    results.forEach((r, i) => expect({ object: objects[i], stderr: r.stderr, code: r.code }).toEqual({ object: objects[i], stderr: '', code: 0 }));
    if (!llvmJitlink()) return;
    for (const o of objects) {
      const r = spawnSync('llvm-jitlink-19', ['-noexec', '-phony-externals', o], { encoding: 'utf8' });
      expect({ object: o, stderr: r.stderr, status: r.status }).toEqual({ object: o, stderr: '', status: 0 });
    }
  });

  test('archive members are arm64 MachO objects too: linked when the program needs them', async () => {
    const dir = join(CORPUS, 'arm64/O2/multi');
    const r = await runCli(['-noexec', '-phony-externals', '-show-addrs', join(dir, 'multi_main.o'), '-L', dir, '-lmulti_util']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/_bump = 0x[0-9a-f]{16}/);
  });

  test('-triple chooses the arm64 slice of a universal file', async () => {
    const r = await runCli(['-noexec', '-triple', 'arm64-apple-macosx', '-show-graphs', '.*', join(CORPUS, 'universal/hello.o')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/arm64-apple-macosx/);
  });

  // Darwin's arm64 ABI passes variadic arguments on the stack, Linux's in registers: only programs
  // whose calls to the host's C library pass no variadic argument run right (hello: puts, or printf
  // of the format alone).
  const AARCH64_EXECUTOR = join(REPO_ROOT, 'packages/executor-remote/dist/native/jitlink-executor-aarch64-qemu');
  test.each(VARIANTS)('%s/hello runs in the aarch64 executor under qemu and prints what its native build prints', async (v) => {
    if (!requireOrSkip(existsSync(AARCH64_EXECUTOR), 'the aarch64 jitlink-executor was not built (needs aarch64-linux-gnu-gcc and qemu-aarch64)')) return;
    const r = await runCli([`-oop-executor=${AARCH64_EXECUTOR}`, join(CORPUS, 'arm64', v, 'hello/hello.o')], 120_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(EXPECTED, 'hello.stdout'), 'utf8'));
    expect(r.code).toBe(0);
  }, 180_000);
});
