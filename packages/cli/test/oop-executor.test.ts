import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseOptions } from '../src/options.js';
import { corpora, REPO_ROOT } from './corpus.js';
import { mapLimit, runCli } from './run-cli.js';

const HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');
const ARGS = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/args/args.o');
const OUR_EXECUTOR = join(REPO_ROOT, 'packages/executor-remote/dist/native/jitlink-executor-x86_64');
const LLVM_EXECUTOR = '/usr/lib/llvm-19/bin/llvm-jitlink-executor';
// The aarch64 build of jitlink-executor, run by a wrapper under qemu-aarch64.
const AARCH64_EXECUTOR = join(REPO_ROOT, 'packages/executor-remote/dist/native/jitlink-executor-aarch64-qemu');
const AARCH64_HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19-aarch64/O2-pic-small/hello/hello.o');
// Debian's arm64 archives, unpacked by test-corpus/fetch-debian-arm64.sh.
const ARM64_LIBDIR = join(process.env.JITLINK_DEBIAN_ARM64 ?? join(REPO_ROOT, 'test-corpus/debian-arm64'), 'usr/lib/aarch64-linux-gnu');
/** The arm64 build of an x86-64 archive the manifest names (same file name). */
const arm64Archive = (archive: string) => join(ARM64_LIBDIR, basename(archive));

describe('out-of-process executor options', () => {
  test('spellings: -oop-executor with and without a path, -oop-executor-connect, -use-shared-memory', () => {
    expect(parseOptions(['-oop-executor', HELLO])).toMatchObject({ oopExecutor: true, inputs: [{ kind: 'file', value: HELLO }] });
    expect(parseOptions(['--oop-executor=/bin/x', HELLO]).oopExecutor).toBe('/bin/x');
    expect(parseOptions(['-oop-executor-connect', 'localhost:20000']).oopExecutorConnect).toBe('localhost:20000');
    expect(parseOptions(['-oop-executor-connect=localhost:20000', '-use-shared-memory']).useSharedMemory).toBe(true);
  });

  test('-use-shared-memory alone, and both executor options together, are refused in one line', async () => {
    const alone = await runCli(['-use-shared-memory', HELLO]);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toBe('jitlink: error: -use-shared-memory needs -oop-executor or -oop-executor-connect\n');
    const both = await runCli(['-oop-executor', '-oop-executor-connect=127.0.0.1:1', HELLO]);
    expect(both.stderr).toBe('jitlink: error: only one of -oop-executor and -oop-executor-connect can be used\n');
  });

  // The default executor is the package's jitlink-executor (built where a C compiler exists), else LLVM's.
  const executors = [
    { name: 'jitlink-executor (default)', flag: '-oop-executor', present: existsSync(OUR_EXECUTOR) },
    { name: 'llvm-jitlink-executor', flag: `-oop-executor=${LLVM_EXECUTOR}`, present: existsSync(LLVM_EXECUTOR) },
  ];
  for (const { name, flag, present } of executors) {
    for (const shared of [false, true]) {
      test(`${name}${shared ? ' with shared memory' : ''} runs a program with the in-process output and exit code`, async () => {
        if (!present) throw new Error(`${name} is missing (build @jitlink/executor-remote; install llvm-19)`);
        const args = [flag, ...(shared ? ['-use-shared-memory'] : []), ARGS, '-args', 'one', 'two'];
        const inProcess = await runCli([ARGS, '-args', 'one', 'two']);
        const remote = await runCli(args);
        expect(remote.stderr).toBe('');
        expect(remote.stdout).toBe(inProcess.stdout);
        expect(remote.code).toBe(inProcess.code);
      }, 60_000);
    }
  }

  test('-oop-executor-connect runs the program in an executor listening on the loopback', async () => {
    if (!existsSync(OUR_EXECUTOR)) throw new Error('jitlink-executor was not built (needs a C compiler)');
    const executor = spawn(OUR_EXECUTOR, ['listen=127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => executor.kill('SIGKILL'), 30_000);
    const exited = new Promise((resolve) => executor.on('close', resolve));
    try {
      let out = '';
      let err = '';
      executor.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const port = await new Promise<string>((resolve, reject) => {
        executor.stderr.setEncoding('utf8').on('data', (d: string) => {
          err += d;
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        executor.on('exit', () => reject(new Error(`executor exited: ${err}`)));
      });
      const r = await runCli([`-oop-executor-connect=127.0.0.1:${port}`, HELLO]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      await exited;
      // The program's output is the executor's: it ran there.
      expect(out).toBe('hello, world!\n');
    } finally {
      clearTimeout(timer);
      executor.kill('SIGKILL');
    }
  }, 60_000);

  test('aarch64 code is not run in this x86-64 process: one line says where it can run', async () => {
    const r = await runCli([AARCH64_HELLO]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^jitlink: error: .*hello\.o: aarch64 code cannot run in this x86_64 executor \(link it with -noexec, or run it with -oop-executor=<an aarch64 executor>\)\n$/,
    );
    expect((await runCli(['-noexec', AARCH64_HELLO])).code).toBe(0);
  });

  // The drivers link Debian's arm64 archives; tls and tls_threads load their TLS blocks in the executor.
  test('the aarch64 corpus programs, the Debian-archive drivers included, run in the aarch64 jitlink-executor under qemu with the native output', async () => {
    if (!existsSync(AARCH64_EXECUTOR)) throw new Error('the aarch64 jitlink-executor was not built (needs aarch64-linux-gnu-gcc)');
    if (!existsSync(join(ARM64_LIBDIR, 'libsqlite3.a'))) throw new Error(`Debian's arm64 archives are missing in ${ARM64_LIBDIR}: bash test-corpus/fetch-debian-arm64.sh`);
    const corpus = corpora()[0]!;
    const cases = corpus.programs
      .filter((p) => p.expectLinkError === undefined && !p.harnessObjects)
      .flatMap((p) =>
        ['clang-19-aarch64', 'gcc-aarch64'].flatMap((tree) =>
          ['O2-pic-small', 'O0-nopic-small']
            .map((variant) => ({ p, dir: join(corpus.root, tree, variant) }))
            .filter(({ p, dir }) => p.objects.every((o) => existsSync(join(dir, o)))),
        ),
      );
    const results = await mapLimit(cases, 2, async ({ p, dir }) => {
      const args = [`-oop-executor=${AARCH64_EXECUTOR}`, ...p.objects.map((o) => join(dir, o)), ...p.archives.map(arm64Archive), '-args', 'prog', ...p.args];
      return { label: `${dir} ${p.name}`, r: await runCli(args, 120_000), stdout: readFileSync(join(corpus.root, p.expected.stdout), 'utf8'), exit: p.expected.exit };
    });
    const wrong = results.filter(({ r, stdout, exit }) => r.stdout !== stdout || r.code !== exit || r.stderr !== '');
    expect(wrong.map(({ label, r }) => `${label}: exit ${r.code} ${r.stderr.slice(0, 200)}`)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(40);
    expect(results.filter(({ label }) => /_driver$/.test(label)).length).toBe(12);
  }, 900_000);

  test('the Debian-archive drivers for aarch64 link under -noexec into a slab at a fixed address', async () => {
    if (!existsSync(join(ARM64_LIBDIR, 'libsqlite3.a'))) throw new Error(`Debian's arm64 archives are missing in ${ARM64_LIBDIR}: bash test-corpus/fetch-debian-arm64.sh`);
    const drivers = corpora()[0]!.programs.filter((p) => p.archives.length > 0);
    expect(drivers.map((p) => p.name).sort()).toEqual(['lua_driver', 'sqlite_driver', 'zlib_driver']);
    for (const p of drivers) {
      for (const tree of ['clang-19-aarch64', 'gcc-aarch64']) {
        const objects = p.objects.map((o) => join(REPO_ROOT, 'test-corpus/obj', tree, 'O2-pic-small', o));
        const args = ['-noexec', '-slab-allocate', '64Mb', '-slab-address', '0x10000000', '-phony-externals', '-show-addrs', ...objects, ...p.archives.map(arm64Archive)];
        const r = await runCli(args, 120_000);
        expect(`${tree} ${p.name}: ${r.code} ${r.stderr}`).toBe(`${tree} ${p.name}: 0 `);
        // The entry point lies in the slab.
        expect(r.stdout).toMatch(/main: main = 0x0000000010[0-9a-f]{6}/);
      }
    }
  }, 300_000);
});
