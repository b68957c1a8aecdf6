#!/usr/bin/env node
// CPU profile of the libsqlite3 all-members -noexec link (the largest link in
// the benchmark): prints the functions with the most self time, and the same
// time grouped by file.
//
// Options: --top <n> (default 25)  --keep <file.cpuprofile> (save the raw profile)
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { aggregateProfile } from './parse.mjs';
import { allMembersEntry } from './workloads.mjs';
import process from 'node:process';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'packages/cli/dist/jitlink.cjs');
const ARCHIVE = '/usr/lib/x86_64-linux-gnu/libsqlite3.a';

const args = process.argv.slice(2);
const top = Number(args[args.indexOf('--top') + 1]) || 25;
const keep = args.includes('--keep') ? args[args.indexOf('--keep') + 1] : undefined;

const workDir = mkdtempSync(join(os.tmpdir(), 'jitlink-profile-'));
try {
  const entry = allMembersEntry(ARCHIVE, workDir);
  const profDir = join(workDir, 'prof');
  const argv = [
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
    CLI,
    '-noexec',
    '-show-times',
    entry.object,
    ARCHIVE,
  ];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`jitlink failed (${r.status}): ${r.stderr}`);
  process.stdout.write(`node ${argv.join(' ').replace(workDir, '$TMP')}\n${r.stderr}\n`);
  const file = join(
    profDir,
    readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')),
  );
  if (keep) copyFileSync(file, keep);
  const rows = aggregateProfile(JSON.parse(readFileSync(file, 'utf8')));
  const total = rows.reduce((s, x) => s + x.selfMs, 0);
  process.stdout.write(
    `profiled ${total.toFixed(0)} ms (${entry.forced} of ${entry.total} members forced)\n\n`,
  );
  process.stdout.write('self ms   share  function (location)\n');
  for (const x of rows.slice(0, top)) {
    process.stdout.write(
      `${x.selfMs.toFixed(1).padStart(7)}  ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}${x.location ? ` (${x.location})` : ''}\n`,
    );
  }
  const byFile = new Map();
  for (const x of rows) {
    const f = x.location
      ? x.location.replace(/:\d+$/, '')
      : x.name.startsWith('(')
        ? x.name
        : '(native/builtin)';
    byFile.set(f, (byFile.get(f) ?? 0) + x.selfMs);
  }
  process.stdout.write('\nself ms   share  file\n');
  for (const [f, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${v.toFixed(1).padStart(7)}  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${f}\n`,
    );
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
