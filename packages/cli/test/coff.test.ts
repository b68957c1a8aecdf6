/**
 * COFF through the command: every COFF object of the corpus links under
 * -noexec with no extra flags, the assembly tests' check files pass (for
 * x86-64, where llvm-jitlink-19 links the case, under it too; arm64 COFF,
 * which llvm-jitlink-19 refuses, links and checks here), and each COMDAT
 * selection kind links two objects as LLVM defines it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, tool } from '@jitlink/test-support';
import { REPO_ROOT, requireOrSkip } from './corpus.js';
import { mapLimit, runCli } from './run-cli.js';

const OBJ = join(REPO_ROOT, 'test-corpus/obj');
const ASM = join(OBJ, 'asm/x86_64-coff');
const withJitlink = needs(tool('llvm-jitlink-19', 'llvm-19'));

// Objects that link only with others or not at all have tests of their own: archive members (archive_*),
// refused calls (refused_*), and mingw's weak_main.obj, whose undefined weak declaration is a plain reference.
const linksAlone = (compiler: string, f: string) =>
  !f.startsWith('archive_') && !f.startsWith('refused_') && !(compiler.startsWith('mingw') && f === 'weak_main.obj');
const compiled = ['clang-19-coff-x86_64', 'mingw-coff-x86_64'].flatMap((compiler) =>
  readdirSync(join(OBJ, compiler)).flatMap((variant) =>
    readdirSync(join(OBJ, compiler, variant))
      .filter((f) => f.endsWith('.obj') && linksAlone(compiler, f))
      .map((f) => `${compiler}/${variant}/${f}`),
  ),
);

const ASM_ARM64 = join(OBJ, 'asm/aarch64-coff');
const compiledArm64 = readdirSync(join(OBJ, 'clang-19-coff-aarch64')).flatMap((variant) =>
  readdirSync(join(OBJ, 'clang-19-coff-aarch64', variant))
    .filter((f) => f.endsWith('.obj'))
    .map((f) => `clang-19-coff-aarch64/${variant}/${f}`),
);
const arm64Checks = readdirSync(ASM_ARM64)
  .filter((f) => f.endsWith('.s'))
  .map((f) => f.slice(0, -2));

test('every compiled COFF object of the corpus links under -noexec with no extra flags', async () => {
  expect(compiled.length).toBeGreaterThanOrEqual(10);
  expect(compiledArm64.length).toBeGreaterThanOrEqual(4);
  const results = await mapLimit([...compiled, ...compiledArm64], 2, async (o) => ({ o, r: await runCli(['-noexec', join(OBJ, o)]) }));
  for (const { o, r } of results) {
    expect({ o, stderr: r.stderr, code: r.code }).toEqual({ o, stderr: '', code: 0 });
  }
});

const checks: [name: string, objects: string[]][] = [
  ['relocs', ['relocs']],
  ['addr32', ['addr32']],
  ...['discard', 'same_size', 'same_contents', 'largest', 'associative'].map(
    (k): [string, string[]] => [`comdat_${k}_a`, [`comdat_${k}_a`, `comdat_${k}_b`]],
  ),
];

test.each(checks)('%s: its check file passes', async (name, objects) => {
  const r = await runCli(['-noexec', '-check', join(ASM, `${name}.s`), ...objects.map((o) => join(ASM, `${o}.obj`))]);
  expect(r.stderr).toMatch(/^jitlink-check: \d+ checks? passed\n$/);
  expect(r.code).toBe(0);
});

test.each(arm64Checks)('arm64 %s: its check file passes', async (name) => {
  const source = join(ASM_ARM64, `${name}.s`);
  const abs = [...readFileSync(source, 'utf8').matchAll(/-abs (\w+=0x[0-9a-f]+)/g)].flatMap((m) => ['-abs', m[1]!]);
  const r = await runCli(['-noexec', ...abs, '-check', source, join(ASM_ARM64, `${name}.obj`)]);
  expect(r.stderr).toMatch(/^jitlink-check: \d+ checks? passed\n$/);
  expect(r.code).toBe(0);
});

withJitlink.test('llvm-jitlink-19 refuses every arm64 COFF object that links here', () => {
  // Objects with an entry point to name (llvm-jitlink-19 looks it up before it reads them): init_b.obj has none.
  const entryObjects = compiledArm64.filter((o) => !o.endsWith('/init_b.obj'));
  const objects = [...entryObjects.map((o) => join(OBJ, o)), ...arm64Checks.map((n) => join(ASM_ARM64, `${n}.obj`))];
  for (const object of objects) {
    // Its entry point is looked up before objects are read: name one the object defines.
    const entry = object.endsWith('compute.obj') ? ['-entry', 'compute'] : [];
    const r = spawnSync('llvm-jitlink-19', ['-noexec', ...entry, object], { encoding: 'utf8' });
    expect({ object, stderr: r.stderr, status: r.status }).toEqual({
      object,
      stderr: `llvm-jitlink error: Unsupported target machine architecture in COFF object ${object}: ARM64\n`,
      status: 1,
    });
  }
});

test('arm64 COFF code does not run in this x86-64 process: the command says how to link or run it', async () => {
  const object = join(OBJ, 'clang-19-coff-aarch64/O2/hello.obj');
  const r = await runCli([object]);
  expect(r.stderr).toContain(`${object}: aarch64 code cannot run in this x86_64 executor (link it with -noexec, or run it with -oop-executor=<an aarch64 executor>)`);
  expect(r.code).toBe(1);
});

// Windows on Arm passes integer, pointer and non-variadic floating-point arguments as AAPCS64 does, and leaves
// x18 alone: arm64 COFF code of integer and pointer calls runs in the aarch64 executor (qemu-aarch64).
const AARCH64_EXECUTOR = join(REPO_ROOT, 'packages/executor-remote/dist/native/jitlink-executor-aarch64-qemu');
test('arm64 COFF code runs in the aarch64 executor under qemu, printing and computing what its Linux build does', async () => {
  if (!existsSync(AARCH64_EXECUTOR)) throw new Error('the aarch64 jitlink-executor was not built (needs aarch64-linux-gnu-gcc)');
  const gcc = spawnSync('gcc', ['--version']).status === 0;
  if (!requireOrSkip(gcc, 'gcc is not installed')) return;
  const scratch = mkdtempSync(join(tmpdir(), 'jitlink-coff-'));
  const hello = join(scratch, 'hello');
  const compute = join(scratch, 'compute');
  const driver = join(scratch, 'driver.c');
  writeFileSync(driver, 'int compute(int);\nint main(int argc, char **argv) { (void)argv; return compute(argc - 1) & 0xff; }\n');
  expect(spawnSync('gcc', ['-O1', join(REPO_ROOT, 'test-corpus/src/coff/hello.c'), '-o', hello]).status).toBe(0);
  expect(spawnSync('gcc', ['-O1', driver, join(REPO_ROOT, 'test-corpus/src/coff/compute.c'), '-o', compute]).status).toBe(0);
  const printed = spawnSync(hello, [], { encoding: 'utf8' });
  const computed = spawnSync(compute, ['a', 'b', 'c']);
  for (const variant of ['O0', 'O2']) {
    const dir = join(OBJ, 'clang-19-coff-aarch64', variant);
    const h = await runCli([`-oop-executor=${AARCH64_EXECUTOR}`, join(dir, 'hello.obj')], 120_000);
    expect({ variant, stdout: h.stdout, stderr: h.stderr, code: h.code }).toEqual({ variant, stdout: printed.stdout, stderr: '', code: printed.status });
    const c = await runCli([`-oop-executor=${AARCH64_EXECUTOR}`, '-entry', 'compute', join(dir, 'compute.obj'), '-args', 'a', 'b', 'c'], 120_000);
    expect({ variant, stderr: c.stderr, code: c.code }).toEqual({ variant, stderr: '', code: computed.status });
  }
  rmSync(scratch, { recursive: true });
}, 300_000);

test('COMDAT NODUPLICATES: a second definition is an error naming both objects', async () => {
  const a = join(ASM, 'comdat_one_only_a.obj');
  const b = join(ASM, 'comdat_one_only_b.obj');
  const r = await runCli(['-noexec', a, b]);
  expect(r.stderr).toBe(`jitlink: error: duplicate definition of symbol shared: defined in ${a} and in ${b}\n`);
  expect(r.code).toBe(1);
});

test('COMDAT NEWEST is refused with a message naming the symbol', async () => {
  const a = join(ASM, 'comdat_newest_a.obj');
  const r = await runCli(['-noexec', a, join(ASM, 'comdat_newest_b.obj')]);
  expect(r.stderr).toMatch(/symbol #\d+ \(shared\) leads a COMDAT with selection NEWEST/);
  expect(r.code).toBe(1);
});

test('llvm-jitlink-19 passes the same relocation checks once given the __ImageBase it lacks', () => {
  const present = spawnSync('llvm-jitlink-19', ['--version']).status === 0;
  if (!requireOrSkip(present, 'llvm-jitlink-19 is not installed (apt-get install llvm-19)')) return;
  // Without the phony __ImageBase, llvm-jitlink-19 fails: "Symbols not found: [ __ImageBase ]".
  const bare = spawnSync('llvm-jitlink-19', ['-noexec', join(ASM, 'relocs.obj')], { encoding: 'utf8' });
  expect(bare.stderr).toMatch(/Symbols not found: \[ __ImageBase \]/);
  const slab = ['-noexec', '-slab-allocate', '100Kb', '-slab-address', '0x10000', '-slab-page-size', '4096', '-abs', '__ImageBase=0x10000'];
  for (const [name, objects] of [checks[0]!, checks[checks.length - 1]!]) {
    const r = spawnSync('llvm-jitlink-19', [...slab, '-check', join(ASM, `${name}.s`), ...objects.map((o) => join(ASM, `${o}.obj`))], {
      encoding: 'utf8',
    });
    expect({ name, output: r.stdout + r.stderr, status: r.status }).toEqual({ name, output: '', status: 0 });
  }
});

test('-entry runs a pure-C COFF x86-64 function through the Microsoft x64 bridge, as its Linux build computes it', async () => {
  const gcc = spawnSync('gcc', ['--version']).status === 0;
  if (!requireOrSkip(gcc, 'gcc is not installed')) return;
  // The Linux build: the same source, called with argc (no program name, as the command passes it).
  const scratch = mkdtempSync(join(tmpdir(), 'jitlink-coff-'));
  const driver = join(scratch, 'driver.c');
  writeFileSync(driver, 'int compute(int);\nint main(int argc, char **argv) { (void)argv; return compute(argc - 1) & 0xff; }\n');
  const native = join(scratch, 'compute');
  expect(spawnSync('gcc', ['-O1', driver, join(REPO_ROOT, 'test-corpus/src/coff/compute.c'), '-o', native]).status).toBe(0);
  const argLists = [[], ['a', 'b', 'c'], ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']];
  const objects = compiled.filter((o) => o.endsWith('/compute.obj'));
  expect(objects.length).toBeGreaterThanOrEqual(5);
  for (const args of argLists) {
    const expected = spawnSync(native, args).status;
    const runs = await mapLimit(objects, 2, async (o) => ({ o, r: await runCli(['-entry', 'compute', join(OBJ, o), '-args', ...args]) }));
    for (const { o, r } of runs) expect({ o, args, code: r.code, stderr: r.stderr }).toEqual({ o, args, code: expected, stderr: '' });
  }
  rmSync(scratch, { recursive: true });
});

test('a COFF program printing through printf and putchar prints what its Linux build prints', async () => {
  const gcc = spawnSync('gcc', ['--version']).status === 0;
  if (!requireOrSkip(gcc, 'gcc is not installed')) return;
  const scratch = mkdtempSync(join(tmpdir(), 'jitlink-coff-'));
  const native = join(scratch, 'hello');
  expect(spawnSync('gcc', ['-O1', join(REPO_ROOT, 'test-corpus/src/coff/hello.c'), '-o', native]).status).toBe(0);
  const expected = spawnSync(native, [], { encoding: 'utf8' });
  expect(expected.stdout).toContain('gamma (14)');
  const objects = compiled.filter((o) => o.endsWith('/hello.obj'));
  expect(objects.length).toBeGreaterThanOrEqual(5);
  const runs = await mapLimit(objects, 2, async (o) => ({ o, r: await runCli([join(OBJ, o)]) }));
  for (const { o, r } of runs) {
    expect({ o, stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ o, stdout: expected.stdout, stderr: '', code: expected.status });
  }
  rmSync(scratch, { recursive: true });
});

describe('COFF initializers (test-corpus/src/coff/init)', () => {
  // As the C runtimes run them: .CRT$XI*, then .CRT$XC*, each by section name and then link order;
  // init_b.c's .CRT$XIB/.CRT$XCB entries run before init_a.c's although init_a.obj is linked first.
  const crt = ['b: .CRT$XIB', 'a: .CRT$XIU', 'b: .CRT$XCB', 'a: .CRT$XCU'];
  // At exit: .CRT$XT* by name (clang's destructor is in .CRT$XTX), then mingw's .dtors.
  const atExit = ['b: .CRT$XTB', 'a: destructor'];
  const cases: [compiler: string, lines: string[]][] = [
    // clang puts __attribute__((constructor)) into .CRT$XCU, after the object's own .CRT$XCU entry.
    ['clang-19-coff-x86_64', [...crt, 'a: constructor', 'b: .CRT$XCU', 'main', ...atExit]],
    // mingw gcc puts it into .ctors, which its __main runs after the C runtime's tables.
    ['mingw-coff-x86_64', [...crt, 'b: .CRT$XCU', 'a: constructor', 'main', ...atExit]],
  ];
  test.each(cases)('%s: two objects\' initializers run in name order before main, terminators after it', async (compiler, lines) => {
    const objects = ['init_a', 'init_b'].map((o) => join(OBJ, compiler, 'O2', `${o}.obj`));
    const r = await runCli(objects);
    expect({ stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ stdout: lines.map((l) => `${l}\n`).join(''), stderr: '', code: 0 });
  });

  test('clang-19-coff-aarch64: the same order in the aarch64 executor under qemu, entries called directly', async () => {
    if (!existsSync(AARCH64_EXECUTOR)) throw new Error('the aarch64 jitlink-executor was not built (needs aarch64-linux-gnu-gcc)');
    const objects = ['init_a', 'init_b'].map((o) => join(OBJ, 'clang-19-coff-aarch64/O2', `${o}.obj`));
    const r = await runCli([`-oop-executor=${AARCH64_EXECUTOR}`, ...objects], 120_000);
    const lines = cases[0]![1];
    expect({ stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ stdout: lines.map((l) => `${l}\n`).join(''), stderr: '', code: 0 });
  });
});

describe('archives of COFF members (test-corpus/src/coff/archive)', () => {
  const cases: [compiler: string, archive: string][] = [
    ['clang-19-coff-x86_64', 'clang-19-x86_64.lib'], // llvm-ar-19: GNU symbol index, then COFF's second linker member
    ['mingw-coff-x86_64', 'mingw-x86_64.a'], // x86_64-w64-mingw32-ar
  ];
  test.each(cases)('%s: members are loaded on demand, and the program prints what its Linux build prints', async (compiler, archive) => {
    const gcc = spawnSync('gcc', ['--version']).status === 0;
    if (!requireOrSkip(gcc, 'gcc is not installed')) return;
    const src = join(REPO_ROOT, 'test-corpus/src/coff/archive');
    const scratch = mkdtempSync(join(tmpdir(), 'jitlink-coff-'));
    const native = join(scratch, 'main');
    // unused.c is left out: its member must not be loaded (it needs a symbol nothing defines).
    expect(spawnSync('gcc', ['-O1', ...['main', 'square', 'greet'].map((p) => join(src, `${p}.c`)), '-o', native]).status).toBe(0);
    const expected = spawnSync(native, [], { encoding: 'utf8' });
    expect(expected.stdout).toBe('hello from archive\nsquare(12) = 144\n');
    const lib = join(OBJ, 'archive-coff', archive);
    // -graph-budget 1: the archive is read on demand and members are registered from the definitions scan.
    for (const args of [[], ['-graph-budget', '1'], ['-noexec']]) {
      const r = await runCli([...args, join(OBJ, compiler, 'O2/archive_main.obj'), lib]);
      const run = !args.includes('-noexec');
      expect({ stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({
        stdout: run ? expected.stdout : '',
        stderr: '',
        code: run ? expected.status : 0,
      });
    }
    rmSync(scratch, { recursive: true });
  });

  test('an archive member the program does not need is not loaded (linked directly, its missing symbol fails)', async () => {
    const members = ['main', 'square', 'greet', 'unused'].map((p) => join(OBJ, `clang-19-coff-x86_64/O2/archive_${p}.obj`));
    const r = await runCli(['-noexec', ...members]);
    expect(r.stderr).toMatch(/symbols not found: \[ missing_everywhere \]/);
    expect(r.code).toBe(1);
  });
});

describe('calls from COFF code the host thunks cannot bridge are refused (test-corpus/src/coff/refused)', () => {
  test.each([
    ['float_argument', 'COFF code calls pow: the host\'s pow takes floating-point arguments, which calls from COFF code to the host cannot pass (integer and pointer arguments only)'],
    ['callback', 'COFF code calls qsort: the host\'s qsort would call the COFF function it is given with the host\'s calling convention, which COFF code cannot be called with'],
  ])('%s', async (name, message) => {
    const object = join(OBJ, `clang-19-coff-x86_64/O2/refused_${name}.obj`);
    const r = await runCli([object]);
    expect(r.stderr).toContain(`${object}: ${message}\n`);
    expect(r.code).toBe(1);
  });
});

describe('weak externals and /alternatename across objects (test-corpus/src/coff/weak)', () => {
  const src = join(REPO_ROOT, 'test-corpus/src/coff/weak');
  /** The Linux build's output and exit code for these sources. */
  function linux(sources: string[]): { stdout: string; status: number | null } {
    const scratch = mkdtempSync(join(tmpdir(), 'jitlink-coff-'));
    const native = join(scratch, 'weak');
    expect(spawnSync('gcc', ['-O1', ...sources.map((s) => join(src, `${s}.c`)), '-o', native]).status).toBe(0);
    const r = spawnSync(native, [], { encoding: 'utf8' });
    rmSync(scratch, { recursive: true });
    return { stdout: r.stdout, status: r.status };
  }
  const withGcc = needs(tool('gcc', 'apt-get install gcc'));

  // clang writes weak externals with search characteristic ALIAS (an undefined one's default: the absolute 0),
  // mingw gcc with NOLIBRARY (and an undefined weak declaration as a plain undefined symbol, as GNU ld reads it too).
  withGcc.test.each<[compiler: string, objects: string[]]>([
    ['clang-19-coff-x86_64', ['weak_main']],
    ['clang-19-coff-x86_64', ['weak_main', 'weak_strong']],
    ['mingw-coff-x86_64', ['weak_main', 'weak_strong']],
  ])('%s %j: the weak default, or the strong definition, as the Linux build prints', async (compiler, objects) => {
    const expected = linux(objects);
    expect(expected.stdout).toContain('fallback() = ');
    const r = await runCli(objects.map((o) => join(OBJ, compiler, 'O2', `${o}.obj`)));
    expect({ stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ stdout: expected.stdout, stderr: '', code: expected.status });
  });

  test('mingw: an undefined weak declaration is a plain reference, unresolved as x86_64-w64-mingw32-ld leaves it', async () => {
    const object = join(OBJ, 'mingw-coff-x86_64/O2/weak_main.obj');
    const r = await runCli([object]);
    expect(r.stderr).toContain(`${object}: symbols not found: [ optional ]`);
    expect(r.code).toBe(1);
  });

  test.each([
    [['alternate_main'], 'configured() = 7\n', 7],
    [['alternate_main', 'alternate_strong'], 'configured() = 9\n', 9],
  ])('/alternatename %j: the alternate unless something defines the name', async (objects, stdout, code) => {
    const r = await runCli(objects.map((o) => join(OBJ, 'clang-19-coff-x86_64/O2', `${o}.obj`)));
    expect({ stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ stdout, stderr: '', code });
  });
});
