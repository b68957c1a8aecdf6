/**
 * -debugger-support and -perf-support on real -g objects
 * (test-corpus/obj/debug, built by test-corpus/build-debug.sh): gdb breaks
 * on a JIT'd function by name and names the JIT'd frames with file:line, and
 * stops listing objects once they are removed; the perf map and the jitdump
 * records match the addresses the program prints; perf, where it can sample
 * here, attributes the hot loop to the JIT'd function by name.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JIT_CODE_CLOSE, JIT_CODE_LOAD, JITDUMP_MAGIC, readJitdump } from '@jitlink/core';
import { parseElf, sectionContent } from '@jitlink/elf';
import { file, needs, tool } from '@jitlink/test-support';
import { parseOptions } from '../src/options.js';
import { CLI, REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

const DEBUG = join(REPO_ROOT, 'test-corpus/obj/debug');
const DEBUG_MAIN = join(DEBUG, 'debug_main.o');
const DEBUG_LEAF = join(DEBUG, 'debug_leaf.o');
const PERF_HOT = join(DEBUG, 'perf_hot.o');
const OUR_EXECUTOR = join(REPO_ROOT, 'packages/executor-remote/dist/native/jitlink-executor-x86_64');
const scratch = mkdtempSync(join(tmpdir(), 'jitlink-debugging-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out });
    });
  });
}

// Where gdb stops it prints the location only, not the source line: the
// sources are not beside the objects, and gdb's "No such file" note goes to
// stderr, which can land in the middle of a backtrace line read from stdout.
const GDB_PREAMBLE = 'set pagination off\nset breakpoint pending on\nset print frame-info location';

/** gdb in batch mode on the jitlink command, with a script of gdb commands. */
function gdb(script: string, cliArgs: readonly string[]): Promise<{ code: number | null; out: string }> {
  const file = join(scratch, `script-${Math.random().toString(16).slice(2)}.gdb`);
  writeFileSync(file, `${GDB_PREAMBLE}\n${script}`);
  return run('gdb', ['-batch', '-nx', '-x', file, '--args', process.execPath, CLI, ...cliArgs]);
}

describe('options', () => {
  test('-debugger-support is on unless -noexec, as in llvm-jitlink; -perf-support is off unless given', () => {
    expect(parseOptions(['a.o'])).toMatchObject({ debuggerSupport: true, debuggerSupportGiven: false, perfSupport: false });
    expect(parseOptions(['-noexec', 'a.o'])).toMatchObject({ debuggerSupport: false, debuggerSupportGiven: false });
    expect(parseOptions(['-noexec', '--debugger-support', 'a.o'])).toMatchObject({ debuggerSupport: true, debuggerSupportGiven: true });
    expect(parseOptions(['-debugger-support=false', 'a.o'])).toMatchObject({ debuggerSupport: false, debuggerSupportGiven: true });
    expect(parseOptions(['--perf-support', 'a.o']).perfSupport).toBe(true);
  });
});

needs(tool('gdb', 'apt-get install gdb')).describe('gdb on a linked -g program', () => {
  test.each([
    ['-debugger-support', ['-debugger-support']],
    ['on by default', []],
  ])('(%s) a breakpoint on a JIT\'d function by name is hit; bt names the JIT\'d frames with file:line', async (_name, flags) => {
    const { code, out } = await gdb('break jitted_leaf\nrun\nbt 3\ncontinue\n', [...flags, DEBUG_MAIN, DEBUG_LEAF]);
    expect(code).toBe(0);
    expect(out).toMatch(/Breakpoint 1, jitted_leaf \(x=7\) at \.\/debug_leaf\.c:3\n/);
    expect(out).toMatch(/^#0 +jitted_leaf \(x=7\) at \.\/debug_leaf\.c:3$/m);
    // A static function of the other object, and main: names, arguments, file:line.
    expect(out).toMatch(/^#1 +0x[0-9a-f]+ in jitted_middle \(x=5\) at \.\/debug_main\.c:7$/m);
    expect(out).toMatch(/^#2 +0x[0-9a-f]+ in main \(\) at \.\/debug_main\.c:12$/m);
    expect(out).toMatch(/^44$/m);
    expect(out).toContain('exited normally');
  });

  test('each object is listed once registered and no more once its resources are removed', async () => {
    // At each call of __jit_debug_register_code: the action, the head of the list, and what gdb knows.
    const script = [
      'break __jit_debug_register_code',
      'commands',
      '  silent',
      '  printf "action=%d first=%#lx\\n", ((unsigned int *)&__jit_debug_descriptor)[1], ((unsigned long *)&__jit_debug_descriptor)[2]',
      '  info functions ^jitted_',
      '  continue',
      'end',
      'run',
      '',
    ].join('\n');
    const { code, out } = await gdb(script, [DEBUG_MAIN, DEBUG_LEAF]);
    expect(code).toBe(0);
    const events = out.split(/^(?=action=)/m).slice(1);
    expect(events.map((e) => e.match(/^action=(\d)/)![1])).toEqual(['1', '1', '2', '2']);
    const known = events.map((e) => [...e.matchAll(/^File \.\/(debug_\w+\.c):/gm)].map((m) => m[1]).sort());
    // Registered one by one (the callee's object first: main's link waits for it)...
    expect(known[0]).toEqual(['debug_leaf.c']);
    expect(known[1]).toEqual(['debug_leaf.c', 'debug_main.c']);
    // ...and taken out when the session ends and frees their memory.
    expect(known[2]).toHaveLength(1);
    expect(known[3]).toEqual([]);
    expect(events[3]).toMatch(/^action=2 first=0\n/);
  });
});

needs(tool('gdb', 'apt-get install gdb'), file(OUR_EXECUTOR, 'npm run build')).describe('gdb on jitlink-executor (out of process)', () => {
  test('the executor registers each debug object (LLVM\'s llvm_orc_registerJITLoaderGDBAllocAction): breakpoint, bt with file:line, removal', async () => {
    const script = join(scratch, 'remote.gdb');
    writeFileSync(
      script,
      [
        GDB_PREAMBLE,
        'break jitted_leaf',
        'break __jit_debug_register_code',
        'commands',
        '  silent',
        '  printf "action=%d\\n", ((unsigned int *)&__jit_debug_descriptor)[1]',
        '  info functions ^jitted_',
        '  continue',
        'end',
        'run',
        'bt 3',
        'continue',
        '',
      ].join('\n'),
    );
    const gdbProcess = spawn('gdb', ['-batch', '-nx', '-x', script, '--args', OUR_EXECUTOR, 'listen=127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const port = new Promise<string>((resolvePort, reject) => {
      const onData = (d: string) => {
        out += d;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolvePort(m[1]!);
      };
      gdbProcess.stdout.setEncoding('utf8').on('data', onData);
      gdbProcess.stderr.setEncoding('utf8').on('data', onData);
      gdbProcess.on('close', () => reject(new Error(`gdb ended before the executor listened:\n${out}`)));
    });
    const closed = new Promise<number | null>((resolveClose) => gdbProcess.on('close', resolveClose));
    const timer = setTimeout(() => gdbProcess.kill('SIGKILL'), 240_000);
    try {
      const cli = await runCli([`-oop-executor-connect=127.0.0.1:${await port}`, DEBUG_MAIN, DEBUG_LEAF], 240_000);
      expect(cli.stderr).toBe('');
      expect(cli.code).toBe(0);
      expect(await closed).toBe(0);
    } finally {
      clearTimeout(timer);
    }
    expect(out).toMatch(/Breakpoint 1, jitted_leaf \(x=7\) at \.\/debug_leaf\.c:3\n/);
    expect(out).toMatch(/^#1 +0x[0-9a-f]+ in jitted_middle \(x=5\) at \.\/debug_main\.c:7$/m);
    expect(out).toMatch(/^#2 +0x[0-9a-f]+ in main \(\) at \.\/debug_main\.c:12$/m);
    expect(out).toMatch(/^44$/m); // the program's output is the executor's
    const events = out.split(/^(?=action=)/m).slice(1);
    expect(events.map((e) => e.match(/^action=(\d)/)![1])).toEqual(['1', '1', '2', '2']);
    const known = events.map((e) => [...e.matchAll(/^File \.\/(debug_\w+\.c):/gm)].map((m) => m[1]).sort());
    expect(known[1]).toEqual(['debug_leaf.c', 'debug_main.c']);
    expect(known[2]).toHaveLength(1);
    expect(known[3]).toEqual([]);
  });
});

/** The jitdump file the command wrote under `base` (LLVM's layout), and the pid in its name. */
function findJitdump(base: string): { path: string; pid: number } {
  const jitDir = join(base, '.debug', 'jit');
  const dirs = readdirSync(jitDir).filter((d) => /^llvm-IR-jit-\d{8}-\w+$/.test(d));
  expect(dirs).toHaveLength(1);
  const files = readdirSync(join(jitDir, dirs[0]!)).filter((f) => /^jit-\d+\.dump$/.test(f));
  expect(files).toHaveLength(1);
  return { path: join(jitDir, dirs[0]!, files[0]!), pid: Number(/\d+/.exec(files[0]!)![0]) };
}

/** hot_spin's bytes in the object (first in .text): it calls nothing, so its linked code is the same. */
function hotSpinBytes(): Uint8Array {
  const elf = parseElf(new Uint8Array(readFileSync(PERF_HOT)), PERF_HOT);
  return sectionContent(elf, elf.sections.find((s) => s.name === '.text')!);
}

describe('-perf-support', () => {
  test('perf map lines and jitdump JIT_CODE_LOAD records at the addresses the program prints', async () => {
    const base = mkdtempSync(join(scratch, 'jitdumpdir-'));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun, reject) => {
      const child = spawn(process.execPath, [CLI, '-perf-support', PERF_HOT, '-args', '1000'], { env: { ...process.env, JITDUMPDIR: base } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = new Map([...result.stdout.matchAll(/^(\w+) 0x([0-9a-f]+)$/gm)].map((m) => [m[1]!, BigInt(`0x${m[2]}`)]));
    expect([...printed.keys()]).toEqual(['hot_spin', 'cold_helper', 'main']);

    const { path, pid } = findJitdump(base);
    const mapPath = `/tmp/perf-${pid}.map`;
    try {
      const lines = readFileSync(mapPath, 'utf8').trimEnd().split('\n');
      for (const [name, address] of printed) {
        const line = lines.find((l) => l.endsWith(` ${name}`));
        expect(line).toMatch(/^[0-9a-f]+ [0-9a-f]+ \w+$/);
        expect(BigInt(`0x${line!.split(' ')[0]}`)).toBe(address);
      }

      const dump = readJitdump(new Uint8Array(readFileSync(path)), path);
      expect(dump.header).toMatchObject({ version: 1, elfMachine: 62, pid });
      expect(readFileSync(path).readUInt32LE(0)).toBe(JITDUMP_MAGIC);
      const loads = dump.records.filter((r) => r.id === JIT_CODE_LOAD).map((r) => r.load!);
      for (const [name, address] of printed) {
        const load = loads.find((l) => l.name === name)!;
        expect(load).toMatchObject({ pid, address, vma: address });
        const mapSize = Number.parseInt(lines.find((l) => l.endsWith(` ${name}`))!.split(' ')[1]!, 16);
        expect(load.code.length).toBe(mapSize);
      }
      expect(new Set(loads.map((l) => l.codeIndex)).size).toBe(loads.length);
      const hot = loads.find((l) => l.name === 'hot_spin')!;
      const text = hotSpinBytes();
      expect(hot.code).toEqual(text.subarray(0, hot.code.length));
      // Timestamps are CLOCK_MONOTONIC, in order, the file closed last.
      const stamps = dump.records.map((r) => r.timestamp);
      expect(stamps[0]! >= dump.header.timestamp).toBe(true);
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]! >= stamps[i - 1]!).toBe(true);
      expect(dump.records.at(-1)!.id).toBe(JIT_CODE_CLOSE);
    } finally {
      rmSync(mapPath, { force: true });
    }
  });

  /** Why perf cannot sample this process here, or undefined when it can. */
  function perfCannotSample(): string | undefined {
    const probe = spawnSync('perf', ['record', '-q', '-e', 'cpu-clock', '-o', join(scratch, 'probe.data'), '--', 'true'], { encoding: 'utf8' });
    if (probe.status === 0) return undefined;
    let paranoid = '?';
    try {
      paranoid = readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim();
    } catch {
      /* not Linux */
    }
    return `perf record fails here (perf_event_paranoid ${paranoid}): ${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]}`;
  }

  needs(tool('perf', 'apt-get install linux-perf')).test('perf record, perf inject --jit, perf report: the hot loop is the JIT\'d hot_spin', async () => {
    const reason = perfCannotSample();
    if (reason !== undefined) {
      // The records are checked byte-wise above; only the sampling needs the kernel.
      console.warn(`not sampling: ${reason}`);
      return;
    }
    const dir = mkdtempSync(join(scratch, 'perf-'));
    const data = join(dir, 'perf.data');
    const recorded = await run(
      'perf',
      ['record', '-q', '-k', '1', '-e', 'cpu-clock', '-o', data, '--', process.execPath, CLI, '-perf-support', PERF_HOT, '-args', '300000000'],
      { ...process.env, JITDUMPDIR: dir },
    );
    expect(recorded.code).toBe(0);
    const { pid } = findJitdump(dir);
    rmSync(`/tmp/perf-${pid}.map`, { force: true });
    const injected = join(dir, 'perf.jit.data');
    expect((await run('perf', ['inject', '--jit', '-i', data, '-o', injected])).code).toBe(0);
    const report = await run('perf', ['report', '-i', injected, '--stdio', '--sort', 'sym']);
    expect(report.code).toBe(0);
    const top = report.out.split('\n').find((l) => /^\s+\d+\.\d+%/.test(l));
    expect(top).toMatch(/\[\.\] hot_spin$/);
  });
});

// The rebuilt corpus is an input, not a tool: .ci/run always builds one and sets the variable;
// a local `npm test` has none, so the comparison is skipped with its reason printed.
const REBUILT = process.env.JITLINK_REBUILT_CORPUS;
if (REBUILT === undefined) {
  console.log('skipped: comparing rebuilt debug objects needs JITLINK_REBUILT_CORPUS (a corpus rebuilt by test-corpus/build.sh; .ci/run sets it)');
}
(REBUILT === undefined ? test.skip : test)(
  'test-corpus/build.sh rebuilds these objects (build-debug.sh) byte for byte: their DWARF names no checkout',
  () => {
    const names = readdirSync(DEBUG).filter((n) => n.endsWith('.o'));
    expect(names.sort()).toEqual(['debug_leaf.o', 'debug_main.o', 'perf_hot.o']);
    for (const name of names) expect(readFileSync(join(REBUILT!, 'debug', name)).equals(readFileSync(join(DEBUG, name)))).toBe(true);
  },
);
