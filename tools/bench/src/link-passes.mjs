// The ELF/x86-64 default passes of a link alone (eh-frame, GOT/stubs,
// thread-local storage, relaxation), over every ELF member of some archives:
// main-thread CPU time in each pass phase (from /proc/thread-self/schedstat),
// or a digest of the graphs they leave. Each run is a fresh process that
// imports one checkout's built packages (`--root <checkout>`: its core, elf
// and arch-x86-64 `dist`), builds the graphs (not timed), then takes every
// graph through the phases of a link in turn: pre-prune passes, mark-all-live
// and prune, post-prune passes, layout at made-up addresses, externals
// resolved to made-up addresses, pre-fixup passes. Externals that another
// member defines land in the graphs' own range (their stubs get bypassed),
// the others 64 GiB away (as the C library's functions are). Several roots
// are visited in turn, one process each, and medians printed per root:
//
//   node tools/bench/src/link-passes.mjs --root ../other-checkout --root . --runs 15 \
//     /usr/lib/x86_64-linux-gnu/libsqlite3.a /usr/lib/x86_64-linux-gnu/libcrypto.a
//
// --paired (two roots) loads both builds into each process, each with its
// own graphs, and runs each phase of one build then the other (which goes
// first alternates from run to run): the median of the per-process
// differences is steadier than two medians on a busy machine.
//
// --digest prints, per root, a hash of every block (address, bytes), edge
// and symbol the passes leave instead of timing: the same digest means the
// same graphs. The command's V8 flags for large inputs are set (its tier-up
// budget). Linux only (schedstat).
import { spawnSync } from 'node:child_process';
import { graphsDigest } from './graph-digest.mjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import process from 'node:process';

const args = process.argv.slice(2);
const values = (name) => args.flatMap((a, i) => (a === name ? [args[i + 1]] : []));
const roots = values('--root').map((dir) => resolve(dir));
const runs = Number(values('--runs')[0] ?? 10);
const digest = args.includes('--digest');
const paired = args.includes('--paired');
const child = values('--child')[0];
const WITH_VALUE = new Set(['--root', '--runs', '--child']);
const inputs = args.filter((a, i) => !a.startsWith('--') && !WITH_VALUE.has(args[i - 1]));
const PHASES = ['pre-prune', 'prune', 'post-prune', 'pre-fixup'];

if (child !== undefined) {
  if (paired) {
    const [first, second] = child.split(',');
    process.stdout.write(`${JSON.stringify(await runPaired(first, second))}\n`);
  } else process.stdout.write(`${JSON.stringify(await runChild(child))}\n`);
} else if (paired) {
  if (roots.length !== 2) throw new Error('--paired compares two roots');
  const samples = [];
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? roots : [roots[1], roots[0]];
    const argv = [new URL(import.meta.url).pathname, '--paired', '--child', order.join(','), ...inputs];
    const out = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (out.status !== 0) throw new Error(`paired run failed: ${out.stderr}`);
    samples.push(JSON.parse(out.stdout));
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const [a, b] = roots;
  for (const phase of [...PHASES, 'all']) {
    const ms = (x, root) =>
      phase === 'all' ? PHASES.reduce((sum, p) => sum + x[root][p], 0) : x[root][phase];
    process.stdout.write(
      `${phase}: ${median(samples.map((x) => ms(x, a))).toFixed(1)} -> ${median(samples.map((x) => ms(x, b))).toFixed(1)} ms, ` +
        `median difference ${median(samples.map((x) => ms(x, b) - ms(x, a))).toFixed(1)} ms\n`,
    );
  }
  process.stdout.write(`(${runs} processes, ${a} -> ${b})\n`);
} else {
  if (roots.length === 0) throw new Error('name at least one checkout with --root <dir>');
  const results = new Map(roots.map((r) => [r, []]));
  for (let r = 0; r < (digest ? 1 : runs); r++) {
    for (const root of roots) {
      const argv = [
        new URL(import.meta.url).pathname,
        '--child',
        root,
        ...(digest ? ['--digest'] : []),
        ...inputs,
      ];
      const out = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (out.status !== 0) throw new Error(`run with ${root} failed: ${out.stderr}`);
      results.get(root).push(JSON.parse(out.stdout));
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  for (const [root, rs] of results) {
    if (digest) {
      process.stdout.write(`${root}: ${JSON.stringify(rs[0])}\n`);
      continue;
    }
    const cell = (phase) => `${phase} ${median(rs.map((x) => x.cpuMs[phase])).toFixed(1)}`;
    const all = rs.map((x) => PHASES.reduce((sum, p) => sum + x.cpuMs[p], 0));
    process.stdout.write(
      `${root}: cpu median ms: ${PHASES.map(cell).join(', ')}; all ${median(all).toFixed(1)} (min ${Math.min(...all).toFixed(1)}) ` +
        `(${rs.length} runs, ${rs[0].graphs} graphs)\n`,
    );
  }
}

async function runPaired(first, second) {
  (await import('node:v8')).setFlagsFromString('--interrupt-budget=270336');
  const links = [await prepare(first), await prepare(second)];
  const cpuMs = { [first]: {}, [second]: {} };
  globalThis.gc?.();
  for (const phase of PHASES) for (const l of links) cpuMs[l.root][phase] = l.run(phase);
  return cpuMs;
}

async function runChild(root) {
  if (!digest) (await import('node:v8')).setFlagsFromString('--interrupt-budget=270336');
  const l = await prepare(root);
  const cpuMs = {};
  globalThis.gc?.();
  for (const phase of PHASES) cpuMs[phase] = l.run(phase);
  if (!digest) return { graphs: l.graphs.length, cpuMs };
  return { graphs: l.graphs.length, ...graphsDigest(l.graphs) };
}

/** One build's graphs and its phases: run(phase) runs one phase over every graph and returns its CPU ms. */
async function prepare(root) {
  const load = (path) => import(pathToFileURL(`${root}/packages/${path}`).href);
  const core = await load('core/dist/index.js');
  const { createElfLinkGraph } = await load('elf/dist/index.js');
  const { x86_64Elf } = await load('arch-x86-64/dist/elf/index.js');
  const members = inputs.flatMap((file) => {
    const bytes = new Uint8Array(readFileSync(file));
    return file.endsWith('.a') ? core.parseArchive(bytes, file).members.map((m) => m.data) : [bytes];
  });
  const graphs = members
    .filter((d) => d[0] === 0x7f)
    .map((m, i) => createElfLinkGraph(m, x86_64Elf, { name: `member${i}` }));
  const defined = new Set();
  for (const g of graphs)
    g.forEachDefinedSymbol(
      (s) => s.name !== undefined && s.scope !== core.Scope.Local && defined.add(s.name),
    );
  const configs = graphs.map((g) => {
    const config = new core.PassConfiguration();
    x86_64Elf.target.addDefaultPasses(g, config);
    return config;
  });
  const threadCpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  const timed = (fn) => {
    const start = threadCpu();
    for (let i = 0; i < graphs.length; i++) fn(graphs[i], configs[i]);
    return +(threadCpu() - start).toFixed(2);
  };
  const runList = (list, g) => {
    for (const pass of list) pass(g);
  };
  // Each graph's segments at made-up addresses, 16 MiB apart, then its externals.
  const placeAndResolve = () => {
    let next = 0x7e0000000000;
    const near = new Map();
    const far = new Map();
    graphs.forEach((g) => {
      const layout = core.computeSegmentLayout(g);
      for (const seg of layout.segments) {
        for (let i = 0; i < seg.blocks.length; i++) seg.blocks[i].address = next + seg.offsets[i];
        next += 0x1000000;
      }
    });
    graphs.forEach((g) => {
      for (const sym of g.externalSymbols()) {
        const table = defined.has(sym.name) ? near : far;
        if (!table.has(sym.name))
          table.set(sym.name, (defined.has(sym.name) ? next : 0x7ff000000000) + table.size * 16);
        sym.base.address = table.get(sym.name);
      }
    });
  };
  const phases = {
    'pre-prune': () => timed((g, c) => runList(c.prePrunePasses, g)),
    prune: () =>
      timed((g) => {
        core.markAllSymbolsLive(g);
        core.prune(g);
      }),
    'post-prune': () => timed((g, c) => runList(c.postPrunePasses, g)),
    // Layout is not timed.
    'pre-fixup': () => (placeAndResolve(), timed((g, c) => runList(c.preFixupPasses, g))),
  };
  return { root, graphs, run: (phase) => phases[phase]() };
}
