#!/usr/bin/env node
// CPU profile of one benchmark workload run by jitlink (default: the
// libsqlite3 all-members link): prints the functions with the most self time,
// the most inclusive time, and self time grouped by file.
//
// Options: --workload <id> (any bench workload id, e.g. llvm-90mb, libcrypto-all)
// --top <n> (default 25)  --keep <file.cpuprofile> (save the raw profile)
// --no-inline (run V8 without inlining, so that time stays with the function
// that spends it; slower, but the attribution is exact)
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { aggregateProfile } from './parse.mjs';
import { buildWorkloads, toolArguments } from './workloads.mjs';
import process from 'node:process';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'packages/cli/dist/jitlink.cjs');

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const top = Number(option('--top')) || 25;
const keep = option('--keep');
const workloadId = option('--workload') ?? 'libsqlite3-all';
const noInline = args.includes('--no-inline');

const table = (title, rows, value, total) => {
  let text = `\n${title}\n`;
  for (const x of rows.slice(0, top)) {
    const ms = value(x);
    text += `${ms.toFixed(1).padStart(8)}  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${x.name}${x.location ? ` (${x.location})` : ''}\n`;
  }
  return text;
};

const workDir = mkdtempSync(join(os.tmpdir(), 'jitlink-profile-'));
try {
  const [workload] = await buildWorkloads(ROOT, workDir, [workloadId]);
  if (!workload.linkPhase) throw new Error(`${workloadId} links nothing`);
  const profDir = join(workDir, 'prof');
  const words = toolArguments('jitlink', workload);
  const argv = [
    ...(noInline ? ['--no-turbo-inlining'] : []),
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
    CLI,
    '-show-times',
    ...words,
  ];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== workload.expectedExit) throw new Error(`jitlink exited with ${r.status}: ${r.stderr}`);
  process.stdout.write(`node ${argv.join(' ').replaceAll(workDir, '$TMP')}\n${r.stderr}\n`);
  const file = join(
    profDir,
    readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')),
  );
  if (keep) copyFileSync(file, keep);
  const rows = aggregateProfile(JSON.parse(readFileSync(file, 'utf8')));
  const total = rows.reduce((s, x) => s + x.selfMs, 0);
  process.stdout.write(
    `profiled ${total.toFixed(0)} ms of ${workloadId}${noInline ? ' (no inlining)' : ''}\n`,
  );
  process.stdout.write(table('self ms   share  function (location)', rows, (x) => x.selfMs, total));
  const inclusive = [...rows].sort((a, b) => b.inclusiveMs - a.inclusiveMs);
  process.stdout.write(table('incl ms   share  function (location)', inclusive, (x) => x.inclusiveMs, total));
  const byFile = new Map();
  for (const x of rows) {
    const f = x.location
      ? x.location.replace(/:\d+$/, '')
      : x.name.startsWith('(')
        ? x.name
        : '(native/builtin)';
    byFile.set(f, (byFile.get(f) ?? 0) + x.selfMs);
  }
  const files = [...byFile].map(([name, selfMs]) => ({ name, location: '', selfMs }));
  files.sort((a, b) => b.selfMs - a.selfMs);
  process.stdout.write(table('self ms   share  file', files, (x) => x.selfMs, total));
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
