// The eh-frame passes alone, over every ELF member of some archives (x86-64):
// CPU time of the main thread in them (from /proc/thread-self/schedstat, in
// nanoseconds), or a digest of the graphs they leave. The graphs are built
// first (this checkout's elf and x86-64 packages); the passes come from the
// core build named by --core (its `dist`), so two builds of the core can be
// compared on the same graphs, in fresh processes, interleaved:
//
//   node tools/bench/src/eh-frame-passes.mjs --core /other/checkout/packages/core/dist --runs 15 \
//     --measure all /usr/lib/x86_64-linux-gnu/libcrypto.a /usr/lib/x86_64-linux-gnu/libsqlite3.a
//
// --core may be given several times: each run visits the builds in turn and
// the medians are printed per build. --measure all|split|fix (default all):
// all three passes, or the splitter or the edge fixer alone (the others still
// run). --digest prints, per build, a hash of every block, edge and symbol
// the passes leave (independent of creation order) instead of timing: the
// same digest means the same graph. The command's V8 flags for large inputs
// are set (its tier-up budget). Linux only (schedstat).
import { spawnSync } from 'node:child_process';
import { graphsDigest } from './graph-digest.mjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import process from 'node:process';
import { parseArchive } from '@jitlink/core';
import { createElfLinkGraph } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { X86_64_EH_FRAME_OPTIONS } from '@jitlink/arch-x86-64';

const args = process.argv.slice(2);
const values = (name) => args.flatMap((a, i) => (a === name ? [args[i + 1]] : []));
const cores = values('--core').map((dir) => resolve(dir));
const runs = Number(values('--runs')[0] ?? 10);
const measure = values('--measure')[0] ?? 'all';
const digest = args.includes('--digest');
const child = values('--child')[0];
const WITH_VALUE = new Set(['--core', '--runs', '--measure', '--child']);
const inputs = args.filter((a, i) => !a.startsWith('--') && !WITH_VALUE.has(args[i - 1]));

const SECTION = '.eh_frame';
const EDGE_KINDS = X86_64_EH_FRAME_OPTIONS.edgeKinds;

if (child !== undefined) {
  process.stdout.write(`${JSON.stringify(await runChild(child))}\n`);
} else {
  if (cores.length === 0) throw new Error('name at least one core build with --core <packages/core/dist>');
  const results = new Map(cores.map((c) => [c, []]));
  for (let r = 0; r < (digest ? 1 : runs); r++) {
    for (const core of cores) {
      const argv = [
        '--expose-gc',
        new URL(import.meta.url).pathname,
        '--child',
        core,
        '--measure',
        measure,
        ...(digest ? ['--digest'] : []),
        ...inputs,
      ];
      const out = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (out.status !== 0) throw new Error(`run with ${core} failed: ${out.stderr}`);
      results.get(core).push(JSON.parse(out.stdout));
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  for (const [core, rs] of results) {
    if (digest) process.stdout.write(`${core}: ${JSON.stringify(rs[0])}\n`);
    else {
      const ms = rs.map((x) => x.cpuMs);
      process.stdout.write(
        `${core}: ${measure} cpu median ${median(ms).toFixed(1)} ms, min ${Math.min(...ms).toFixed(1)} (${rs.length} runs, ${rs[0].graphs} graphs)\n`,
      );
    }
  }
}

async function runChild(core) {
  if (!digest) (await import('node:v8')).setFlagsFromString('--interrupt-budget=270336');
  const eh = await import(pathToFileURL(`${core}/eh-frame.js`).href);
  const passList = () => {
    if (eh.addEHFramePasses === undefined) {
      return [
        eh.createEHFrameSplitterPass(SECTION),
        eh.createEHFrameEdgeFixerPass(SECTION, 8, EDGE_KINDS),
        eh.createEHFrameNullTerminatorPass(SECTION),
      ];
    }
    const config = { prePrunePasses: [] };
    eh.addEHFramePasses(config, SECTION, X86_64_EH_FRAME_OPTIONS);
    return config.prePrunePasses;
  };
  const members = inputs.flatMap((file) => {
    const bytes = new Uint8Array(readFileSync(file));
    return file.endsWith('.a') ? parseArchive(bytes, file).members.map((m) => m.data) : [bytes];
  });
  const graphs = members
    .filter((d) => d[0] === 0x7f)
    .map((m, i) => createElfLinkGraph(m, x86_64Elf, { name: `member${i}` }));
  const threadCpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  globalThis.gc?.();
  let cpuMs = 0;
  if (measure === 'all') {
    const start = threadCpu();
    for (const g of graphs) for (const pass of passList()) pass(g);
    cpuMs = threadCpu() - start;
  } else {
    const timed = measure === 'split' ? 0 : 1;
    for (const g of graphs) {
      const passes = passList();
      for (let i = 0; i < passes.length; i++) {
        if (i !== timed) passes[i](g);
        else {
          const start = threadCpu();
          passes[i](g);
          cpuMs += threadCpu() - start;
        }
      }
    }
  }
  if (!digest) return { graphs: graphs.length, cpuMs: +cpuMs.toFixed(2) };

  return { graphs: graphs.length, ...graphsDigest(graphs) };
}
