#!/usr/bin/env node
// npm run bench: jitlink against llvm-jitlink-19 on the same workloads.
//
// For each workload and tool: three checked runs (exit code, stdout against
// the expectation, peak RSS, -show-times link phase), then hyperfine timing of
// both tools' whole process. With orc-1000, also the in-process ORC
// throughput (orc-throughput.mjs, in a process of its own). Writes
// docs/performance.json, the "Latest results" section of docs/performance.md
// and the scaling chart docs/performance.svg.
//
// Options: --only <id,...>  --runs <n> (fixed run count)  --seconds <s> (time
// budget per workload, default 30)  --orc-time <ms> (tinybench budget of the
// in-process ORC measure, default 3000)  --no-write (print only).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capture, hyperfine, runOnce } from './measure.mjs';
import { median, parseJitlinkTimes, parseLlvmTimes } from './parse.mjs';
import {
  compactCommand,
  markdownSection,
  replaceSection,
  scalingChart,
  terminalSummary,
  terminalTable,
} from './report.mjs';
import { buildWorkloads, toolArguments } from './workloads.mjs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'packages/cli/dist/jitlink.cjs');
const LLVM_JITLINK = 'llvm-jitlink-19';
const CHECK_RUNS = 3;
const WARMUP = 2;
const MIN_RUNS = 5;
const MAX_RUNS = 30;

function parseArgs(argv) {
  const opts = { only: undefined, runs: undefined, seconds: 30, orcTimeMs: 3000, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') opts.only = argv[++i].split(',');
    else if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--seconds') opts.seconds = Number(argv[++i]);
    else if (a === '--orc-time') opts.orcTimeMs = Number(argv[++i]);
    else if (a === '--no-write') opts.write = false;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

/**
 * Command line of one tool for one workload: `extra` (e.g. -show-times), the
 * arguments only this tool gets for the workload, -noexec, the inputs.
 */
function commandLine(tool, workload, extra = []) {
  const words = toolArguments(tool, workload, extra);
  return tool === 'jitlink' ? [process.execPath, CLI, ...words] : [LLVM_JITLINK, ...words];
}

/** Strips the -show-times tables, leaving diagnostics. */
function diagnostics(stderr) {
  return stderr
    .replace(/jitlink timers:\n(\s*[0-9.]+ ms {2}.*\n?)*/g, '')
    .replace(/=+-+=+\n\s*timers for llvm-jitlink phases[\s\S]*?\s+Total\n/g, '')
    .trim();
}

/**
 * Checked runs of one tool: the outcome must match the corpus expectation
 * before any timing is trusted.
 */
function check(tool, workload) {
  const rss = [];
  const link = [];
  const load = [];
  const wall = [];
  for (let i = 0; i < CHECK_RUNS; i++) {
    const r = runOnce(commandLine(tool, workload, workload.linkPhase ? ['-show-times'] : []));
    const diag = diagnostics(r.stderr);
    const firstLine = diag.split('\n').find((l) => /error/i.test(l)) ?? diag.split('\n')[0] ?? '';
    let error;
    if (r.signal) error = `killed by ${r.signal}${firstLine ? ` after "${firstLine}"` : ''}`;
    else if (r.status !== workload.expectedExit)
      error = `exit ${r.status}, expected ${workload.expectedExit}${firstLine ? `: ${firstLine}` : ''}`;
    else if (workload.expectedStdout !== undefined && r.stdout !== workload.expectedStdout)
      error = 'stdout differs from the expected output';
    else if (/error/i.test(diag)) error = firstLine;
    if (error) return { ok: false, error };
    rss.push(r.rssKiB);
    wall.push(r.wallMs);
    if (!workload.linkPhase) continue;
    const times = tool === 'jitlink' ? parseJitlinkTimes(r.stderr) : parseLlvmTimes(r.stderr);
    if (!times) return { ok: false, error: '-show-times output not recognised' };
    link.push(times.linkMs);
    if (times.loadMs !== undefined) load.push(times.loadMs);
  }
  return {
    ok: true,
    rssKiB: median(rss),
    linkMs: link.length ? median(link) : undefined,
    loadMs: load.length ? median(load) : undefined,
    checkWallMs: median(wall),
  };
}

/**
 * Node 20 reads and parses the certificates NODE_EXTRA_CA_CERTS names at
 * every start, before any script runs (65 ms of CPU for a 220 KB bundle on the
 * machine of docs/performance.md, where the environment sets it): a cost of
 * the machine's configuration, not of the linkers, that only Node processes
 * pay. The measured commands (jitlink, node -e 0) run without it; the machine
 * line says when it was set.
 */
function dropExtraCACertificates() {
  if (process.env.NODE_EXTRA_CA_CERTS === undefined) return false;
  delete process.env.NODE_EXTRA_CA_CERTS;
  return true;
}

function machineInfo() {
  const firstLine = (s) => s.trim().split('\n')[0];
  const extraCACertificatesDropped = dropExtraCACertificates();
  return {
    extraCACertificatesDropped,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    nproc: Number(capture('nproc', []).stdout.trim()) || os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    llvmJitlink:
      firstLine(capture(LLVM_JITLINK, ['--version']).stdout).replace(/^\s*/, '') + ` (${LLVM_JITLINK})`,
    hyperfine: firstLine(capture('hyperfine', ['--version']).stdout),
    commit: firstLine(capture('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).stdout),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    // Whole-process times include this: an empty Node process, for reference.
    nodeStartupMs: hyperfine([{ name: 'node', argv: [process.execPath, '-e', '0'] }], {
      runs: 10,
      warmup: 2,
    })[0].medianMs,
  };
}

/** Formats a generated file with the repository's prettier settings, so `npm run format` leaves it alone. */
async function formatted(path, text) {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...config, filepath: path });
}

/**
 * The in-process ORC throughput measure, in a Node process of its own (so its
 * JIT memory and heap are not the bench's); its failure is reported, not fatal.
 */
function measureOrc(objectsDir, timeMs) {
  process.stderr.write('orc-1000 in process: measuring...');
  const script = join(dirname(fileURLToPath(import.meta.url)), 'orc-throughput.mjs');
  const r = spawnSync(
    process.execPath,
    [script, '--objects', objectsDir, '--time', String(timeMs), '--json'],
    {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    },
  );
  process.stderr.write(' done\n');
  if (r.status !== 0) {
    const firstLine = (r.stderr || r.stdout).split('\n').find((l) => l.trim()) ?? `exit ${r.status}`;
    return { ok: false, error: firstLine.trim() };
  }
  return { ok: true, ...JSON.parse(r.stdout) };
}

/**
 * Out of process, copying against shared memory (remote-memory.mjs, in a
 * process of its own); its failure (no C compiler, no libsqlite3.a) is
 * reported, not fatal.
 */
function measureRemoteMemory() {
  process.stderr.write('remote memory managers: measuring...');
  const script = join(dirname(fileURLToPath(import.meta.url)), 'remote-memory.mjs');
  const r = spawnSync(process.execPath, [script, '--json', '--runs', '10'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  process.stderr.write(' done\n');
  if (r.status !== 0) {
    const firstLine = (r.stderr || r.stdout).split('\n').find((l) => l.trim()) ?? `exit ${r.status}`;
    return { ok: false, error: firstLine.trim() };
  }
  return { ok: true, ...JSON.parse(r.stdout) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const workDir = mkdtempSync(join(os.tmpdir(), 'jitlink-bench-'));
  try {
    const machine = machineInfo();
    process.stderr.write(
      `${machine.nproc} CPUs, load average ${machine.loadAverage.join(' ')}; node -e 0: ${machine.nodeStartupMs.toFixed(1)} ms\n`,
    );
    process.stderr.write('preparing workloads...');
    const workloads = await buildWorkloads(ROOT, workDir, opts.only);
    process.stderr.write(' done\n');
    const results = [];
    for (const w of workloads) {
      process.stderr.write(`${w.id}: checking...`);
      const jitlink = check('jitlink', w);
      const llvm = check('llvm', w);
      const timed = [];
      if (jitlink.ok) timed.push({ name: 'jitlink', argv: commandLine('jitlink', w) });
      if (llvm.ok) timed.push({ name: 'llvm-jitlink-19', argv: commandLine('llvm', w) });
      // Runs fit the per-workload budget, judged from the checked runs.
      const perRound = (jitlink.ok ? jitlink.checkWallMs : 0) + (llvm.ok ? llvm.checkWallMs : 0);
      const runs =
        opts.runs ??
        Math.max(
          MIN_RUNS,
          Math.min(MAX_RUNS, Math.floor((opts.seconds * 1000) / Math.max(perRound, 1) - WARMUP)),
        );
      let timings = [];
      if (timed.length) {
        process.stderr.write(` timing ${runs} runs...`);
        timings = hyperfine(timed, { runs, warmup: WARMUP });
      }
      const t = (name) => timings.find((x) => x.name === name);
      const result = {
        id: w.id,
        description: w.description,
        members: w.members,
        inputBytes: w.inputBytes,
        links: w.links,
        runs: timed.length ? runs : undefined,
        command: {
          jitlink: compactCommand(
            commandLine('jitlink', w).map((a) => a.replace(workDir, '$TMP').replace(ROOT + '/', '')),
          ),
          llvm: compactCommand(
            commandLine('llvm', w).map((a) => a.replace(workDir, '$TMP').replace(ROOT + '/', '')),
          ),
        },
        jitlink: { ...jitlink, ...t('jitlink') },
        llvm: { ...llvm, ...t('llvm-jitlink-19') },
        ratio: jitlink.ok && llvm.ok ? t('jitlink').medianMs / t('llvm-jitlink-19').medianMs : undefined,
      };
      if (w.links) {
        result.linksPerSecond = {
          jitlink: jitlink.ok ? (w.links * 1000) / jitlink.linkMs : undefined,
          llvm: llvm.ok ? (w.links * 1000) / llvm.linkMs : undefined,
        };
      }
      results.push(result);
      process.stderr.write(' done\n');
    }
    const orcWorkload = workloads.find((w) => w.id === 'orc-1000');
    const orcThroughput = orcWorkload ? measureOrc(orcWorkload.objectsDir, opts.orcTimeMs) : undefined;
    const remoteMemory = opts.only === undefined || opts.only.includes('remote-memory') ? measureRemoteMemory() : undefined;
    const report = { date: new Date().toISOString().slice(0, 10), machine, results, orcThroughput, remoteMemory };
    process.stdout.write(terminalTable(results) + '\n');
    if (remoteMemory?.ok) {
      process.stdout.write('\nsqlite driver out of process (jitlink-executor), link and run:\n');
      for (const name of ['copying', 'shared memory']) {
        const m = remoteMemory[name];
        process.stdout.write(`  ${name.padEnd(14)} ${m.medianMs.toFixed(1).padStart(8)} ms median   ${(m.bytesSent / 1e6).toFixed(2)} MB sent\n`);
      }
    } else if (remoteMemory) {
      process.stdout.write(`\nremote memory managers: not measured (${remoteMemory.error})\n`);
    }
    const summary = terminalSummary(report);
    if (summary) process.stdout.write('\n' + summary + '\n');
    if (opts.write) {
      const json = join(ROOT, 'docs/performance.json');
      writeFileSync(json, await formatted(json, JSON.stringify(report, null, 2) + '\n'));
      const md = join(ROOT, 'docs/performance.md');
      let doc = '';
      try {
        doc = readFileSync(md, 'utf8');
      } catch {
        doc = '# Performance\n';
      }
      writeFileSync(md, await formatted(md, replaceSection(doc, markdownSection(report))));
      writeFileSync(join(ROOT, 'docs/performance.svg'), scalingChart(results));
      process.stderr.write(`wrote docs/performance.json, docs/performance.md and docs/performance.svg\n`);
    }
    process.stderr.write(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
