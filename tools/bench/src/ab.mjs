// Interleaved A/B runs of the jitlink command on bench workloads: the same
// inputs with two sets of extra options (e.g. -decode-threads 0 against
// -decode-threads 1), run in turn A, B, A, B... so that the load of a shared
// machine falls on both alike. Each run is checked (exit status, no error)
// and measured: wall time, CPU time of the process (user + system, every
// thread) and of its main thread alone (main-thread-cpu.cjs), peak RSS, and
// the link phase (`build graphs` + `link` of -show-times). Prints medians,
// and every sample as JSON with --json.
//
//   node tools/bench/src/ab.mjs --only libcrypto-all,llvm-20mb --runs 10 \
//     --a '-decode-threads 0' --b '-decode-threads 1'
//
// Two builds of the command compare with --cli-a/--cli-b (paths to a
// jitlink.cjs each, e.g. one built in a worktree of an older commit);
// --work-dir keeps the generated inputs for later runs, and --print
// prints each workload's command line instead of timing it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, parseJitlinkTimes } from './parse.mjs';
import { buildWorkloads, toolArguments } from './workloads.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'packages/cli/dist/jitlink.cjs');
const MAIN_THREAD_CPU = join(dirname(fileURLToPath(import.meta.url)), 'main-thread-cpu.cjs');

function parseArgs(argv) {
  const opts = {
    only: undefined,
    runs: 8,
    a: [],
    b: [],
    json: false,
    cliA: CLI,
    cliB: CLI,
    workDir: undefined,
    print: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') opts.only = argv[++i].split(',');
    else if (arg === '--runs') opts.runs = Number(argv[++i]);
    else if (arg === '--a') opts.a = argv[++i].split(' ').filter(Boolean);
    else if (arg === '--b') opts.b = argv[++i].split(' ').filter(Boolean);
    else if (arg === '--json') opts.json = true;
    else if (arg === '--cli-a') opts.cliA = resolve(argv[++i]);
    else if (arg === '--cli-b') opts.cliB = resolve(argv[++i]);
    else if (arg === '--work-dir') opts.workDir = resolve(argv[++i]);
    else if (arg === '--print') opts.print = true;
    else throw new Error(`unknown option ${arg}`);
  }
  if (opts.only === undefined) throw new Error('--only <workload,...> is required');
  return opts;
}

/** One run under GNU time: wall, user + system CPU, peak RSS, and the -show-times link phase. */
function run(cli, argv, timeFile, expectedExit = 0) {
  const t0 = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%U %S %M', '-o', timeFile, process.execPath, '-r', MAIN_THREAD_CPU, cli, '-show-times', ...argv],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  const wallMs = performance.now() - t0;
  const report = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const times = parseJitlinkTimes(r.stderr);
  const mainThread = /^main thread cpu: (\d+) ms$/m.exec(r.stderr);
  const diag = r.stderr
    .replace(/jitlink timers:\n(\s*[0-9.]+ ms {2}.*\n?)*/g, '')
    .replace(/^main thread cpu: .*$/m, '')
    .trim();
  if (r.status !== expectedExit || /error/i.test(diag))
    throw new Error(`${argv.join(' ')}: exit ${r.status}: ${diag.split('\n')[0]}`);
  return {
    wallMs,
    cpuMs: (report[0] + report[1]) * 1000,
    mainThreadCpuMs: mainThread ? Number(mainThread[1]) : undefined,
    rssMiB: report[2] / 1024,
    linkMs: times?.linkMs,
  };
}

function summary(samples) {
  const pick = (k) => median(samples.map((s) => s[k]));
  return {
    wallMs: pick('wallMs'),
    cpuMs: pick('cpuMs'),
    mainThreadCpuMs: pick('mainThreadCpuMs'),
    linkMs: pick('linkMs'),
    rssMiB: pick('rssMiB'),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const workDir = opts.workDir ?? mkdtempSync(join(os.tmpdir(), 'jitlink-ab-'));
  if (opts.workDir) mkdirSync(workDir, { recursive: true });
  const timeFile = join(workDir, 'time');
  const out = [];
  try {
    process.stderr.write(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; preparing...`,
    );
    const workloads = await buildWorkloads(ROOT, workDir, opts.only);
    process.stderr.write(' done\n');
    for (const w of workloads) {
      if (opts.print) {
        process.stdout.write(`${w.id}: ${toolArguments('jitlink', w, opts.a).join(' ')}\n`);
        continue;
      }
      const a = [];
      const b = [];
      // One of each first, untimed (page cache, code cache).
      run(opts.cliA, toolArguments('jitlink', w, opts.a), timeFile, w.expectedExit);
      run(opts.cliB, toolArguments('jitlink', w, opts.b), timeFile, w.expectedExit);
      for (let i = 0; i < opts.runs; i++) {
        a.push(run(opts.cliA, toolArguments('jitlink', w, opts.a), timeFile, w.expectedExit));
        b.push(run(opts.cliB, toolArguments('jitlink', w, opts.b), timeFile, w.expectedExit));
      }
      const result = {
        id: w.id,
        inputBytes: w.inputBytes,
        members: w.members,
        runs: opts.runs,
        a: summary(a),
        b: summary(b),
        samples: { a, b },
      };
      out.push(result);
      const f = (s) =>
        `wall ${s.wallMs.toFixed(0)} ms, cpu ${s.cpuMs.toFixed(0)} ms (main thread ${s.mainThreadCpuMs.toFixed(0)}), link ${s.linkMs.toFixed(0)} ms, rss ${s.rssMiB.toFixed(0)} MiB`;
      process.stdout.write(
        `${w.id} (${opts.runs} runs each, load ${os.loadavg()[0].toFixed(2)})\n  A ${opts.cliA === opts.cliB ? '' : opts.cliA + ' '}${opts.a.join(' ') || '(none)'}: ${f(result.a)}\n  B ${opts.cliA === opts.cliB ? '' : opts.cliB + ' '}${opts.b.join(' ') || '(none)'}: ${f(result.b)}\n`,
      );
    }
    if (opts.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    if (!opts.workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
