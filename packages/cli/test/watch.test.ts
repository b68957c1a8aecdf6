/**
 * jitlink --watch: the program keeps running while an input is rebuilt on
 * disk; the new version replaces the old one in it; Ctrl-C runs exit handlers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { file, needs, platform, tool } from '@jitlink/test-support';
import { parseOptions } from '../src/options.js';
import { CLI, REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

const LIVE = join(REPO_ROOT, 'test-corpus/obj/live');
const SOURCES = join(REPO_ROOT, 'test-corpus/src/live');
const inProcess = needs(platform('linux', 'x64'), file(join(LIVE, 'tick_v2.o')), file(CLI));

/** A running jitlink command whose output can be awaited. */
class Running {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters: (() => void)[] = [];
  constructor(args: string[], cwd: string) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd });
    const wake = () => this.waiters.splice(0).forEach((w) => w());
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => ((this.stdout += d), wake()));
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => ((this.stderr += d), wake()));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => (resolve({ code, signal }), wake())));
  }
  /** Resolves once `test` holds for the output; fails with the output if the command ends first. */
  async until(what: string, test: (r: Running) => boolean): Promise<void> {
    let ended = false;
    void this.exited.then(() => (ended = true));
    // A bound on waiting, not a timing: a wedged command fails with its output instead of hanging the run.
    const deadline = setTimeout(() => this.kill(), 90_000);
    try {
      while (!test(this)) {
        if (ended) throw new Error(`jitlink ended before ${what}:\n${this.stdout.slice(-2000)}\n${this.stderr}`);
        await new Promise<void>((r) => this.waiters.push(r));
      }
    } finally {
      clearTimeout(deadline);
    }
  }
  ticks(): { tick: number; compute: number; saved: number; table: number; counter: number }[] {
    return [...this.stdout.matchAll(/^tick (\d+) compute=(\d+) saved=(\d+) table=(\d+) counter=(\d+)/gm)].map((m) => ({
      tick: Number(m[1]),
      compute: Number(m[2]),
      saved: Number(m[3]),
      table: Number(m[4]),
      counter: Number(m[5]),
    }));
  }
  interrupt(): void {
    this.child.kill('SIGINT');
  }
  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Replaces `path` the way a build does: a new file renamed over the old one. */
function rebuildAs(path: string, content: Buffer | string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

describe('--watch options', () => {
  test('--watch takes objects and sources; --compile needs --watch; -noexec is refused', () => {
    expect(parseOptions(['--watch', '--compile', 'gcc -O2', 'a.o', 'b.c'])).toMatchObject({ watch: true, compile: 'gcc -O2' });
    expect(() => parseOptions(['--watch', '-noexec', 'a.o'])).toThrow('--watch runs the program: it cannot be combined with -noexec');
    expect(() => parseOptions(['--watch', 'a.o', '-lz'])).toThrow('--watch takes object and source files only (not -library)');
    expect(() => parseOptions(['--compile', 'cc', 'a.c'])).toThrow('--compile is for --watch');
  });

  needs(file(CLI)).test('a missing input is reported in words before anything runs', async () => {
    const missing = join(tmpdir(), 'jitlink-watch-no-such-input.o');
    const result = await runCli(['--watch', missing]);
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: `jitlink: error: cannot read ${missing}: No such file or directory\n` });
  });
});

const EXECUTORS = join(REPO_ROOT, 'packages/executor-remote/dist/native');
/** Where the program runs: this process, or an executor (which cannot call back, so safe_point.o defines the safe point). */
const WHERE = [
  { name: 'in process', args: [], objects: LIVE, extra: [], gate: inProcess },
  {
    name: 'in the x86-64 jitlink-executor',
    args: ['-oop-executor'],
    objects: LIVE,
    extra: ['safe_point.o'],
    gate: needs(platform('linux', 'x64'), file(join(LIVE, 'tick_v2.o')), file(CLI), file(join(EXECUTORS, 'jitlink-executor-x86_64'))),
  },
  {
    name: 'in the aarch64 jitlink-executor under qemu',
    args: [`-oop-executor=${join(EXECUTORS, 'jitlink-executor-aarch64-qemu')}`],
    objects: join(REPO_ROOT, 'test-corpus/obj/live-aarch64'),
    extra: ['safe_point.o'],
    gate: needs(tool('qemu-aarch64'), file(CLI), file(join(EXECUTORS, 'jitlink-executor-aarch64-qemu'))),
  },
];

for (const where of WHERE) {
  where.gate.describe(`jitlink --watch, ${where.name}`, () => {
    test('a rebuilt object replaces the running one: new code runs, state survives, Ctrl-C runs exit handlers', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'jitlink-watch-'));
      for (const o of ['driver.o', ...where.extra]) copyFileSync(join(where.objects, o), join(dir, o));
      copyFileSync(join(where.objects, 'tick_v1.o'), join(dir, 'tick.o'));
      const run = new Running(['--watch', ...where.args, 'driver.o', ...where.extra, 'tick.o'], dir);
      try {
        await run.until('three ticks', (r) => r.ticks().length >= 3);
        rebuildAs(join(dir, 'tick.o'), readFileSync(join(where.objects, 'tick_v2.o')));
        await run.until('the replacement', (r) => r.stderr.includes('jitlink: tick.o (version 2): replaced compute, bump\n'));
        const replacedAt = run.ticks().length;
        await run.until('three ticks of the new version', (r) => r.ticks().length >= replacedAt + 3);
        rebuildAs(join(dir, 'tick.o'), readFileSync(join(where.objects, 'tick_resize.o')));
        await run.until('the refusal', (r) => r.stderr.includes('refused'));
        const refusedAt = run.ticks().length;
        await run.until('ticks after the refusal', (r) => r.ticks().length >= refusedAt + 2);
        run.interrupt();
        expect(await run.exited).toEqual({ code: 130, signal: null });
      } finally {
        run.kill();
      }
      const ticks = run.ticks();
      expect(ticks[0]).toMatchObject({ compute: 20, saved: 20, table: 20 });
      expect(ticks.at(-1)).toMatchObject({ compute: 30, saved: 30, table: 30 });
      // One process throughout: the counter never restarts.
      ticks.forEach((t, i) => expect([t.tick, t.counter]).toEqual([i, i + 1]));
      expect(run.stderr).toContain(
        'jitlink: replacement of tick.o refused, the old version keeps running: cannot keep the data of tick.o: counter changed size (8 -> 4 bytes)\n',
      );
      expect(run.stdout).toMatch(/^exit handlers ran after \d+ ticks$/m);
    }, 300_000);
  });
}

inProcess.describe('jitlink --watch, sources', () => {
  needs(tool('gcc')).test('a source edited on disk is recompiled with --compile and replaces the running code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jitlink-watch-src-'));
    copyFileSync(join(LIVE, 'driver.o'), join(dir, 'driver.o'));
    copyFileSync(join(SOURCES, 'tick_v1.c'), join(dir, 'tick.c'));
    const run = new Running(['--watch', '--compile', 'gcc -O1 -fPIC', 'driver.o', 'tick.c'], dir);
    try {
      await run.until('three ticks', (r) => r.ticks().length >= 3);
      rebuildAs(join(dir, 'tick.c'), readFileSync(join(SOURCES, 'tick_v2.c')));
      await run.until('the replacement', (r) => r.stderr.includes('jitlink: tick.c (version 2): replaced compute, bump\n'));
      const replacedAt = run.ticks().length;
      await run.until('a tick of the new version', (r) => r.ticks().length >= replacedAt + 2);
      rebuildAs(join(dir, 'tick.c'), 'int compute(int x) { return x +; }\n');
      await run.until('the compiler error', (r) => r.stderr.includes('compilation failed'));
      run.interrupt();
      expect(await run.exited).toEqual({ code: 130, signal: null });
    } finally {
      run.kill();
    }
    expect(run.ticks().at(-1)).toMatchObject({ compute: 30 });
    expect(run.stderr).toMatch(/^jitlink: tick.c: compilation failed \(gcc -O1 -fPIC -c 'tick.c' -o '.*'\): .*error/m);
  }, 300_000);
});
