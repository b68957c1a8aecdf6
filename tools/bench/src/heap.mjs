#!/usr/bin/env node
// What a link keeps alive: runs one benchmark workload through the jitlink
// command in this process (the built @jitlink/cli, not the bundle) and writes a
// V8 heap snapshot when the last graph reaches its lookup phase (for links
// within the layer's graph budget, the moment when every graph of the link is
// alive at once; beyond it, graphs are dropped as their links end). A first
// run counts the graphs; a second takes the snapshot. Prints the heap summed
// by object kind.
//
// Usage: node --max-old-space-size=8192 src/heap.mjs --workload <id> [--top <n>] [--keep <file>]
import { mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { writeHeapSnapshot } from 'node:v8';
// The built command's library entry (the bench builds nothing; `npm run bench` builds first).
import { runJitlink } from '../../../packages/cli/dist/index.js';
import { summarizeHeapSnapshot } from './parse.mjs';
import { buildWorkloads, toolArguments } from './workloads.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const workloadId = option('--workload') ?? 'libsqlite3-all';
const top = Number(option('--top')) || 25;
const keep = option('--keep');

const quiet = { stdout: () => undefined, stderr: (t) => process.stderr.write(t) };

const workDir = mkdtempSync(join(os.tmpdir(), 'jitlink-heap-'));
try {
  const [workload] = await buildWorkloads(ROOT, workDir, [workloadId]);
  if (!workload.linkPhase) throw new Error(`${workloadId} links nothing`);
  // -noexec in both runs: the question is what linking keeps, not what the program does.
  const argv = toolArguments('jitlink', { ...workload, noexec: true, programArgs: undefined });

  let graphs = 0;
  let status = await runJitlink(argv, {
    ...quiet,
    observer: { phase: (p) => void (p === 'lookup' && graphs++) },
  });
  if (status !== 0) throw new Error(`jitlink exited with ${status}`);

  const file = join(workDir, 'link.heapsnapshot');
  let seen = 0;
  let heapAtSnapshot = 0;
  status = await runJitlink(argv, {
    ...quiet,
    observer: {
      phase: (p) => {
        if (p !== 'lookup' || ++seen !== graphs) return;
        heapAtSnapshot = process.memoryUsage().heapUsed;
        writeHeapSnapshot(file);
      },
    },
  });
  if (status !== 0) throw new Error(`jitlink exited with ${status}`);
  if (keep) copyFileSync(file, keep);

  const { totalBytes, rows } = summarizeHeapSnapshot(JSON.parse(readFileSync(file, 'utf8')));
  const mb = (n) => (n / 1e6).toFixed(1).padStart(8);
  process.stdout.write(
    `${workloadId}: snapshot when graph ${graphs} of ${graphs} reached its lookup phase; ` +
      `heap used ${(heapAtSnapshot / 1e6).toFixed(0)} MB, snapshot ${(totalBytes / 1e6).toFixed(0)} MB ` +
      `("(native)" is mostly the input files' bytes)\n\n      MB     count  kind\n`,
  );
  for (const row of rows.slice(0, top)) {
    process.stdout.write(`${mb(row.bytes)}  ${String(row.count).padStart(8)}  ${row.name}\n`);
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
