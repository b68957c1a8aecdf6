// Process-level measurement: single checked runs (output, exit code, peak RSS,
// -show-times) and hyperfine timing runs; running the tools that build inputs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Runs `argv` once under `/usr/bin/time -f %M`, returning output, exit status,
 * peak RSS (KiB) and wall time. `-show-times` output is left in stderr.
 * @param {string[]} argv
 * @returns {{ status: number | null, signal: string | null, stdout: string, stderr: string, rssKiB: number | undefined, wallMs: number }}
 */
export function runOnce(argv) {
  const dir = mkdtempSync(join(tmpdir(), 'jitlink-bench-rss-'));
  const rssFile = join(dir, 'rss');
  try {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...argv], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const wallMs = performance.now() - t0;
    // GNU time writes "Command exited with non-zero status N" or "Command
    // terminated by signal N" before the figure; its own exit status is 128+N then.
    const report = safeRead(rssFile).trim().split('\n');
    const rss = Number(report[report.length - 1]);
    const rssKiB = report[0] !== '' && Number.isFinite(rss) ? rss : undefined;
    const killed = /Command terminated by signal (\d+)/.exec(report.join('\n'));
    const status = killed ? null : r.status;
    const signal = killed ? `signal ${killed[1]}` : r.signal;
    return { status, signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', rssKiB, wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function safeRead(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Times commands with hyperfine (no intermediate shell, non-zero exits allowed:
 * the drivers' exit codes are their results, checked beforehand).
 * @param {{ name: string, argv: string[] }[]} commands
 * @param {{ runs: number, warmup: number }} opts
 * @returns {{ name: string, medianMs: number, meanMs: number, minMs: number, maxMs: number, stddevMs: number, runs: number, timesMs: number[] }[]}
 */
export function hyperfine(commands, { runs, warmup }) {
  const dir = mkdtempSync(join(tmpdir(), 'jitlink-bench-hf-'));
  const json = join(dir, 'out.json');
  try {
    const args = [
      '-N',
      '-i',
      '--style',
      'none',
      '--warmup',
      String(warmup),
      '--runs',
      String(runs),
      '--export-json',
      json,
    ];
    for (const c of commands) args.push('-n', c.name, c.argv.map(shellWord).join(' '));
    const r = spawnSync('hyperfine', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`hyperfine failed (${r.status}): ${r.stderr}`);
    const { results } = JSON.parse(readFileSync(json, 'utf8'));
    return results.map((res, i) => ({
      name: commands[i].name,
      medianMs: res.median * 1000,
      meanMs: res.mean * 1000,
      minMs: res.min * 1000,
      maxMs: res.max * 1000,
      stddevMs: (res.stddev ?? 0) * 1000,
      runs: res.times.length,
      timesMs: res.times.map((t) => t * 1000),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Quotes a word for hyperfine's shell-words splitting (used even with -N). */
function shellWord(word) {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** @param {string} cmd @param {string[]} args */
export function capture(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Runs commands (argv arrays) with up to `concurrency` at a time and returns
 * their stdout, in order; rejects with the first failure's stderr.
 * @param {{ argv: string[], cwd?: string }[]} commands
 * @param {number} [concurrency]
 * @returns {Promise<string[]>}
 */
export async function runAll(commands, concurrency = availableParallelism()) {
  const out = new Array(commands.length);
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const index = next++;
      const { argv, cwd } = commands[index];
      out[index] = await new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (status) =>
          status === 0
            ? resolve(stdout)
            : reject(new Error(`${argv.join(' ')} failed (${status}): ${stderr}`)),
        );
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return out;
}
