/**
 * Thread-local storage (tls_threads: thread-locals in two objects, used from
 * the main thread, two pthreads created after the link and one that may be
 * created before it) for -fPIC, -fPIE and -fno-pic builds of gcc and clang:
 * in this process, out of process, and the AArch64 builds in the aarch64
 * executor under qemu — each with the natively linked program's output.
 * llvm-jitlink-19 rejects R_X86_64_TLSLD (-fPIC) and R_X86_64_GOTTPOFF
 * (-fPIE, -fno-pic), and every AArch64 TLS relocation.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { file, needs, tool } from '@jitlink/test-support';
import { corpora, REPO_ROOT, requireOrSkip } from './corpus.js';
import { mapLimit, runCli } from './run-cli.js';

const corpus = corpora()[0]!;
const program = corpus.programs.find((p) => p.name === 'tls_threads')!;
const LLVM_JITLINK = '/usr/bin/llvm-jitlink-19';

describe('thread-locals in two objects (tls_threads)', () => {
  test.each([
    ['O2-pic-small', 'R_X86_64_TLSLD'],
    ['O2-pie-small', 'R_X86_64_GOTTPOFF'],
    ['O2-nopic-small', 'R_X86_64_GOTTPOFF'],
  ])('clang-19 %s: llvm-jitlink-19 rejects %s, jitlink runs it right', async (variant, rejected) => {
    const objects = program.objects.map((o) => join(corpus.root, 'clang-19', variant, o));
    const expected = readFileSync(join(corpus.root, program.expected.stdout), 'utf8');
    const ours = await runCli(objects);
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe(expected);
    expect(ours.code).toBe(0);
    const llvm = spawnSync(LLVM_JITLINK, objects, { encoding: 'utf8', timeout: 60_000 });
    if (!requireOrSkip(llvm.error === undefined, `${LLVM_JITLINK} is not installed`)) return;
    expect(llvm.stderr).toContain(`Unsupported x86-64 relocation type ${rejected}`);
    expect(llvm.status).not.toBe(0);
  }, 120_000);
});

const VARIANTS = ['O2-pic-small', 'O2-pie-small', 'O2-nopic-small'];
const NATIVE = join(REPO_ROOT, 'packages/executor-remote/dist/native');
const X86_EXECUTOR = join(NATIVE, 'jitlink-executor-x86_64');
const AARCH64_EXECUTOR = join(NATIVE, 'jitlink-executor-aarch64-qemu');
const LLVM_EXECUTOR = '/usr/lib/llvm-19/bin/llvm-jitlink-executor';
const CHILD = join(__dirname, 'early-thread-child.mjs');
const expected = () => readFileSync(join(corpus.root, program.expected.stdout), 'utf8');
const cases = (trees: string[]) => trees.flatMap((tree) => VARIANTS.map((variant) => ({ tree, variant, dir: join(corpus.root, tree, variant) })));

/** Runs early-thread-child.mjs: early.o linked and its thread started, then main.o and vars.o linked and run. */
function runEarlyThread(dir: string, executor?: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, ...(executor ? [executor] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

const withX86Executor = needs(file(X86_EXECUTOR, 'npm run build (a C compiler)'));
const withAArch64Executor = needs(
  file(AARCH64_EXECUTOR, 'npm run build (aarch64-linux-gnu-gcc)'),
  tool('qemu-aarch64', 'qemu-user', ['-version']),
);

describe('a thread created before the thread-locals are linked', () => {
  // The thread waits on a condition while main.o and vars.o are linked and their TLS blocks loaded;
  // the loader gives it its own initialized copy (static TLS: every model, -fno-pic's included).
  test.each(cases(['gcc', 'clang-19']).map((c) => [`${c.tree} ${c.variant}`, c.dir]))(
    'in this process, %s: its thread-locals start initialized, as the other threads\'',
    async (_label, dir) => {
      const r = await runEarlyThread(dir);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${expected()}waiting threads created: 1\n`);
      expect(r.code).toBe(0);
    },
    120_000,
  );

  withX86Executor.test('in jitlink-executor, every gcc and clang variant', async () => {
    const results = await mapLimit(cases(['gcc', 'clang-19']), 2, async (c) => ({ ...c, r: await runEarlyThread(c.dir, X86_EXECUTOR) }));
    for (const { tree, variant, r } of results) {
      expect(`${tree} ${variant}: ${r.code} ${r.stderr}${r.stdout}`).toBe(`${tree} ${variant}: 0 ${expected()}waiting threads created: 1\n`);
    }
  }, 300_000);

  withAArch64Executor.test('in the aarch64 jitlink-executor under qemu, every gcc and clang variant', async () => {
    const results = await mapLimit(cases(['gcc-aarch64', 'clang-19-aarch64']), 2, async (c) => ({ ...c, r: await runEarlyThread(c.dir, AARCH64_EXECUTOR) }));
    for (const { tree, variant, r } of results) {
      expect(`${tree} ${variant}: ${r.code} ${r.stderr}${r.stdout}`).toBe(`${tree} ${variant}: 0 ${expected()}waiting threads created: 1\n`);
    }
  }, 600_000);
});

describe('thread-locals out of process', () => {
  withX86Executor.test('-oop-executor runs every x86-64 variant (the executor loads each TLS block; -fno-pic memory below 2 GiB)', async () => {
    const results = await mapLimit(cases(['gcc', 'clang-19']), 2, async (c) => ({
      ...c,
      r: await runCli([`-oop-executor=${X86_EXECUTOR}`, ...program.objects.map((o) => join(c.dir, o))], 120_000),
    }));
    for (const { tree, variant, r } of results) expect(`${tree} ${variant}: ${r.code} ${r.stderr}${r.stdout}`).toBe(`${tree} ${variant}: 0 ${expected()}`);
  }, 300_000);

  withAArch64Executor.test('-oop-executor=<aarch64 executor> runs every aarch64 variant under qemu (TLS descriptors, IE, LE)', async () => {
    const results = await mapLimit(cases(['gcc-aarch64', 'clang-19-aarch64']), 2, async (c) => ({
      ...c,
      r: await runCli([`-oop-executor=${AARCH64_EXECUTOR}`, ...program.objects.map((o) => join(c.dir, o))], 180_000),
    }));
    for (const { tree, variant, r } of results) expect(`${tree} ${variant}: ${r.code} ${r.stderr}${r.stdout}`).toBe(`${tree} ${variant}: 0 ${expected()}`);
  }, 600_000);

  needs(file(LLVM_EXECUTOR, 'llvm-19')).test("LLVM's executor has no TLS service: the link fails naming what is missing", async () => {
    const objects = program.objects.map((o) => join(corpus.root, 'clang-19', 'O2-pic-small', o));
    const r = await runCli([`-oop-executor=${LLVM_EXECUTOR}`, ...objects], 120_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('thread-local storage needs an executor with a TLS service (__jitlink_ExecutorTLSService_load_wrapper');
  }, 120_000);
});

describe('AArch64 thread-local relocations under -noexec', () => {
  const ASM = join(REPO_ROOT, 'test-corpus/obj/asm/aarch64');
  test("tls_models.s's checks hold with the command's simulated TLS layout (one module after the 16-byte TCB)", async () => {
    const args = ['-noexec', '-slab-allocate', '1Mb', '-slab-address', '0x10000', '-slab-page-size', '4096'];
    const r = await runCli([...args, '-check', join(ASM, 'tls_models.s'), join(ASM, 'tls_models.o')]);
    expect(r.stderr).toBe('jitlink-check: 18 checks passed\n');
    expect(r.code).toBe(0);
  });
});

describe("a shared library's thread-locals (tls_shared: libstdc++'s std::__once_callable)", () => {
  const shared = corpus.programs.find((p) => p.name === 'tls_shared')!;
  const runs = ['gcc', 'clang-19'].flatMap((tree) => ['O2-pic-small', 'O2-nopic-small'].map((variant) => ({ tree, variant })));
  const expectedShared = () => readFileSync(join(corpus.root, shared.expected.stdout), 'utf8');

  test.each(runs.map((r) => [`${r.tree} ${r.variant}`, r]))('in this process, %s: the code reaches the loader\'s copy', async (_label, { tree, variant }) => {
    const r = await runCli(shared.objects.map((o) => join(corpus.root, tree, variant, o)));
    expect(`${r.code} ${r.stderr}${r.stdout}`).toBe(`0 ${expectedShared()}`);
  });

  // The executor loads libstdc++ when linked code needs it: its block is in dynamic TLS there, which
  // general-dynamic code (-fPIC) reaches through its module id, and initial-exec code (-fno-pic) cannot.
  withX86Executor.test('in jitlink-executor: -fPIC runs right (its TLS service locates the library block), -fno-pic is refused', async () => {
    for (const { tree, variant } of runs) {
      const r = await runCli([`-oop-executor=${X86_EXECUTOR}`, ...shared.objects.map((o) => join(corpus.root, tree, variant, o))]);
      if (variant === 'O2-pic-small') {
        expect(`${tree} ${variant}: ${r.code} ${r.stderr}${r.stdout}`).toBe(`${tree} ${variant}: 0 ${expectedShared()}`);
      } else {
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('_ZSt15__once_callable is a thread-local of a library in dynamic TLS (loaded after start-up)');
      }
    }
  }, 120_000);

  needs(file(LLVM_EXECUTOR, 'llvm-19')).test("LLVM's executor cannot locate them: one line says so", async () => {
    const r = await runCli([`-oop-executor=${LLVM_EXECUTOR}`, join(corpus.root, 'clang-19', 'O2-pic-small', shared.objects[0]!)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("thread-locals of the executor's libraries need an executor with a TLS service");
  }, 60_000);
});
