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
import { BackendRegistry, type LinkGraphBackend } from '@jitlink/core';
import { createMachOBackend } from '@jitlink/macho';
import { x86_64MachO } from '@jitlink/arch-x86-64/macho';
import { spellingsOf } from '../src/steps/symbols.js';

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
  // _Thread_local variables from the main thread and two pthreads, defined in one object and used from both.
  { name: 'tlv', objects: ['tlv_main.o', 'tlv_vars.o'], args: [] },
];
/** llvm-jitlink-19 has no thread-variable support without LLVM's ORC runtime: it rejects these objects. */
const LLVM_JITLINK_REJECTS = new Set(['tlv']);
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
    // SIGNED_1/2/4 are in X86_64_RELOC_SIGNED (the arch-x86-64 tests check every type occurs).
    for (const t of ['UNSIGNED', 'SIGNED', 'BRANCH', 'GOT_LOAD', 'GOT', 'SUBTRACTOR', 'TLV']) expect(asmTests).toContain(`X86_64_RELOC_${t}`);
  });

  test.each(asmTests)('%s passes its checks', async (name) => {
    const r = await runCli(checkArgs(name));
    expect(r.stderr).toMatch(/^jitlink-check: \d+ checks? passed\n$/);
    expect(r.code).toBe(0);
  });

  test('llvm-jitlink-19 passes the same check files', () => {
    if (!llvmJitlink()) return;
    for (const name of asmTests.filter((n) => n !== 'X86_64_RELOC_TLV')) {
      const r = spawnSync('llvm-jitlink-19', checkArgs(name), { encoding: 'utf8' });
      expect({ name, stderr: r.stderr, status: r.status }).toEqual({ name, stderr: '', status: 0 });
    }
  });

  test('llvm-jitlink-19 rejects X86_64_RELOC_TLV: without the ORC runtime it has no thread-variable support', () => {
    if (!llvmJitlink()) return;
    // Its descriptors name __tlv_bootstrap, which only that runtime defines; given one, the TLVP edge is refused.
    const missing = spawnSync('llvm-jitlink-19', checkArgs('X86_64_RELOC_TLV'), { encoding: 'utf8' });
    expect(missing.stderr).toContain('Symbols not found: [ __tlv_bootstrap ]');
    const given = spawnSync('llvm-jitlink-19', ['-abs', '__tlv_bootstrap=0x7ff10000', ...checkArgs('X86_64_RELOC_TLV')], { encoding: 'utf8' });
    expect(given.stderr).toContain('unsupported edge kind RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable');
    expect(given.status).not.toBe(0);
  });
});

describe('every MachO x86_64 corpus object links under -noexec', () => {
  const objectsOf = (programs: typeof PROGRAMS) =>
    programs.flatMap((p) => VARIANTS.flatMap((v) => p.objects.map((o) => join(CORPUS, 'x86_64', v, p.name, o))));
  const objects = objectsOf(PROGRAMS);
  test('ours and llvm-jitlink-19', async () => {
    const results = await mapLimit(objects, 2, (o) => runCli(['-noexec', '-phony-externals', o]));
    results.forEach((r, i) => expect({ object: objects[i], stderr: r.stderr, code: r.code }).toEqual({ object: objects[i], stderr: '', code: 0 }));
    if (!llvmJitlink()) return;
    for (const o of objectsOf(PROGRAMS.filter((p) => !LLVM_JITLINK_REJECTS.has(p.name)))) {
      const r = spawnSync('llvm-jitlink-19', ['-noexec', '-phony-externals', o], { encoding: 'utf8' });
      expect({ object: o, stderr: r.stderr, status: r.status }).toEqual({ object: o, stderr: '', status: 0 });
    }
  });

  test('llvm-jitlink-19 rejects the thread-variable accesses that link here', () => {
    if (!llvmJitlink()) return;
    const o = join(CORPUS, 'x86_64/O2/tlv/tlv_main.o');
    const r = spawnSync('llvm-jitlink-19', ['-noexec', '-phony-externals', o], { encoding: 'utf8' });
    expect(r.stderr).toContain('unsupported edge kind RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable');
    expect(r.status).not.toBe(0);
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

  test("compact unwind: an entry per live function, never allocated; the dead function's entry and LSDA are gone", async () => {
    const r = await runCli(['-noexec', '-show-graphs', '.*', join(ASM, 'compact_unwind.o')]);
    expect(r.code).toBe(0);
    const shown = blocks(r.stdout);
    // _main's and _thrower's entries; _unused_local's went with it.
    expect(shown['__LD,__compact_unwind']).toEqual(['0x00000020', '0x00000020']);
    expect(r.stdout).toMatch(/^section __LD,__compact_unwind \(RW-, ordinal \d+, no-alloc\):$/m);
    // Kept alive only through _thrower's entry (and FDE): its LSDA; the other one is stripped.
    expect(shown['__TEXT,__gcc_except_tab']).toEqual(['0x00000004']);
    expect(r.stdout).toContain('target = GCC_except_table_thrower');
    expect(r.stdout).not.toContain('GCC_except_table_unused');
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

describe('the entry point as the objects spell it comes from the backends, not the command', () => {
  test('the MachO backend mangles C names with a leading underscore; the command asks every registered backend', () => {
    const registry = new BackendRegistry();
    expect(spellingsOf(registry, 'main')).toEqual(['main']);
    registry.register(createMachOBackend(x86_64MachO));
    expect(spellingsOf(registry, 'main')).toEqual(['main', '_main']);
    // A third party's format with its own convention is asked the same way.
    const dotted = { name: 'Dotted/x', format: 'elf', arch: 'x', mangleName: (n: string) => '.' + n } as unknown as LinkGraphBackend;
    registry.register(dotted);
    expect(spellingsOf(registry, 'start')).toEqual(['start', '_start', '.start']);
  });

  test('-entry names a MachO function in source terms', async () => {
    // _tlv_bump_local(argc) adds argc to a thread-local 100 and returns it: the exit code.
    const r = await runCli(['-entry', 'tlv_bump_local', join(CORPUS, 'x86_64/O2/tlv/tlv_vars.o'), '-args', 'a', 'b']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(102);
  });
});
