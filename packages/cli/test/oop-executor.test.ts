import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseOptions } from '../src/options.js';
import { REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

const HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');
const ARGS = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/args/args.o');
const OUR_EXECUTOR = join(REPO_ROOT, 'packages/executor-remote/dist/native/jitlink-executor-x86_64');
const LLVM_EXECUTOR = '/usr/lib/llvm-19/bin/llvm-jitlink-executor';

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
});
