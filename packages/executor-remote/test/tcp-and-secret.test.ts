/**
 * TCP (an executor started with listen=) and the shared-secret challenge:
 * the right secret links and runs; a wrong or missing one gives one clear
 * error, and the executor drops the connection without running anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { connectTcp, spawnExecutor } from '../src/index.js';
import {
  corpusProgram,
  expectedOf,
  haveLlvmExecutor,
  haveOurExecutor,
  isX64Linux,
  LLVM_EXECUTOR,
  OUR_EXECUTOR,
  requirement,
  runCorpusProgram,
  x86Registry,
} from './helpers.js';
import { needs } from '@jitlink/test-support';

interface Listening {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts our executor with listen=<spec> and waits (bounded) for the port it reports. */
function listen(spec: string, env: NodeJS.ProcessEnv = process.env): Promise<Listening> {
  const child = spawn(OUR_EXECUTOR, [`listen=${spec}`], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no port reported: ${err}`));
    }, 10_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (\S+):(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[2]), stdout: () => out, stderr: () => err, exited });
      }
    });
  });
}

/** A port nothing listens on right now (for executors that cannot report theirs). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const describeOurs = needs(requirement(isX64Linux && haveOurExecutor, `needs ${OUR_EXECUTOR} (npm run build)`)).describe;

describeOurs('jitlink-executor over TCP', () => {
  it('binds 127.0.0.1 when no host is given', async () => {
    const l = await listen(':0');
    expect(l.stderr()).toMatch(/listening on 127\.0\.0\.1:\d+/);
    l.child.kill('SIGKILL');
    await l.exited;
  });

  it('a controller with the secret links and runs; the challenge is answered before setup', async () => {
    const env = { ...process.env, JITLINK_EXECUTOR_SECRET: 'correct horse battery staple' };
    const l = await listen('127.0.0.1:0', env);
    const { control } = await connectTcp(`127.0.0.1:${l.port}`, { registry: x86Registry(), secret: 'correct horse battery staple' });
    const program = corpusProgram('hello');
    expect(await runCorpusProgram(control, program, 'gcc/O2-pic-small')).toBe(0);
    expect(l.stdout()).toBe(expectedOf(program).stdout);
  });

  it.each([
    ['a wrong secret', 'Tr0ub4dor&3', /did not accept the shared secret/],
    ['no secret', undefined, /requires a shared secret \(set JITLINK_EXECUTOR_SECRET/],
  ])('%s: one clear error; the executor drops the connection and runs nothing', async (_, secret, message) => {
    const env = { ...process.env, JITLINK_EXECUTOR_SECRET: 'correct horse battery staple' };
    const l = await listen('127.0.0.1:0', env);
    const error = await connectTcp(`127.0.0.1:${l.port}`, { secret, setupTimeoutMs: 10_000 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(message);
    expect(await l.exited).not.toBe(0);
    if (secret) expect(l.stderr()).toMatch(/did not prove knowledge of the shared secret; connection dropped/);
    expect(l.stdout()).toBe('');
  });

  it('an answer that never comes in full: the executor drops the connection at its deadline', async () => {
    const env = { ...process.env, JITLINK_EXECUTOR_SECRET: 'correct horse battery staple', JITLINK_EXECUTOR_CHALLENGE_TIMEOUT: '1' };
    const l = await listen('127.0.0.1:0', env);
    // A bound on the test, not a measurement: an executor without a deadline is killed and the test fails.
    const guard = setTimeout(() => l.child.kill('SIGKILL'), 10_000);
    const socket = createConnection(l.port, '127.0.0.1');
    socket.on('error', () => {});
    let received = Buffer.alloc(0);
    const challenge = new Promise<void>((resolve) =>
      socket.on('data', (c: Buffer) => {
        received = Buffer.concat([received, c]);
        if (received.length >= 40) resolve();
      }),
    );
    try {
      await challenge;
      // 20 of the 32 bytes, then silence with the connection left open.
      socket.write(Buffer.alloc(20));
      expect(await l.exited).toBe(1);
      expect(l.stderr()).toMatch(/the controller did not answer the challenge within 1 s; connection dropped/);
      expect(received.length).toBe(40);
      expect(l.stdout()).toBe('');
    } finally {
      clearTimeout(guard);
      socket.destroy();
    }
  }, 20_000);

  it('a challenge deadline that is not whole seconds is refused before the challenge', async () => {
    const env = { ...process.env, JITLINK_EXECUTOR_SECRET: 'x', JITLINK_EXECUTOR_CHALLENGE_TIMEOUT: '0.5' };
    const l = await listen('127.0.0.1:0', env);
    const outcome = await connectTcp(`127.0.0.1:${l.port}`, { secret: 'x', setupTimeoutMs: 10_000 }).catch((e: Error) => e);
    if (!(outcome instanceof Error)) await outcome.control.dispose();
    expect((outcome as Error).message).toMatch(/closed the connection/);
    expect(await l.exited).toBe(1);
    expect(l.stderr()).toMatch(/JITLINK_EXECUTOR_CHALLENGE_TIMEOUT takes whole seconds from 1 to 86400, not "0\.5"/);
  });

  it('over pipes, the secret is read from a file named by JITLINK_EXECUTOR_SECRET_FILE on both sides', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'jitlink-secret-'));
    const file = path.join(dir, 'secret');
    writeFileSync(file, 'from a file\n', { mode: 0o600 });
    try {
      const env = { ...process.env, JITLINK_EXECUTOR_SECRET_FILE: file };
      const { control, child } = await spawnExecutor(OUR_EXECUTOR, { env, stdio: 'pipe' });
      expect(control.triple).toBe('x86_64-unknown-linux-gnu');
      await control.dispose();
      expect(child!.exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

const tcpCases: [string, string][] = [
  ['hello', 'clang-19/O2-pic-small'],
  ['cxx', 'gcc/O2-pic-small'],
  ['sqlite_driver', 'gcc/O2-pic-small'],
  ['lua_driver', 'clang-19/O2-pic-small'],
  ['zlib_driver', 'gcc/O2-pic-small'],
];

/** Debian's executor reports nothing when ready: a free port, and connection attempts for a bounded time. */
async function listenLlvm(): Promise<{ port: number; exited: Promise<unknown>; stdout: () => string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(LLVM_EXECUTOR, [`listen=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { port, exited, stdout: () => out, child };
}

async function connectWithRetry(port: number) {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await connectTcp(`127.0.0.1:${port}`, { registry: x86Registry() })).control;
    } catch (e) {
      if (attempt > 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

for (const [label, ok] of [
  ['jitlink-executor', isX64Linux && haveOurExecutor],
  ['llvm-jitlink-executor', isX64Linux && haveLlvmExecutor],
] as const) {
  needs(requirement(ok, `needs the ${label} executor`)).describe(`corpus programs in ${label} over TCP`, () => {
    it.each(tcpCases)('%s (%s) prints what it prints in process', async (name, variant) => {
      const l = label === 'jitlink-executor' ? await listen('127.0.0.1:0') : await listenLlvm();
      try {
        const control = await connectWithRetry(l.port);
        const program = corpusProgram(name);
        const exit = await runCorpusProgram(control, program, variant);
        await l.exited;
        expect(l.stdout()).toBe(expectedOf(program).stdout);
        expect(exit).toBe(expectedOf(program).exit);
      } finally {
        l.child.kill('SIGKILL');
      }
    });
  });
}
