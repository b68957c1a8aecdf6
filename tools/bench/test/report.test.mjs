import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compactCommand,
  linearity,
  logTicks,
  markdownSection,
  ratioText,
  replaceSection,
  scalingChart,
  scalingPoints,
  SECTION_END,
  SECTION_START,
  targetRows,
  terminalSummary,
  terminalTable,
} from '../src/report.mjs';

const ok = (medianMs) => ({
  ok: true,
  medianMs,
  minMs: medianMs - 1,
  maxMs: medianMs + 1,
  rssKiB: 65536,
  linkMs: 3,
});
const machine = {
  cpu: 'cpu',
  nproc: 2,
  memoryGiB: 4,
  kernel: 'k',
  node: 'v20',
  llvmJitlink: 'LLVM 19',
  hyperfine: 'hf',
  commit: 'abc',
  loadAverage: [1, 2, 3],
  nodeStartupMs: 40,
};
const results = [
  { id: 'sqlite_driver', description: 'd', runs: 10, jitlink: ok(200), llvm: ok(50), ratio: 4 },
  {
    id: 'lua_driver',
    description: 'd',
    runs: 10,
    jitlink: ok(100),
    llvm: { ok: false, error: 'killed by signal 11' },
  },
];

test('ratio text names the failing tool instead of a ratio', () => {
  assert.equal(ratioText(results[0]), '4.00×');
  assert.equal(ratioText(results[1]), 'llvm-jitlink-19 fails');
});

test('tables carry medians, ranges, RSS and link phase', () => {
  const table = terminalTable(results);
  assert.match(
    table,
    /sqlite_driver +10 +200 \(199–201\) +50\.0 \(49\.0–51\.0\) +4\.00× +64 \/ 64 +3\.0 \/ 3\.0/,
  );
  assert.match(table, /lua_driver .*fails +llvm-jitlink-19 fails/);
  const md = markdownSection({ date: '2025-01-01', machine, results });
  assert.match(md, /### Targets/);
  assert.match(
    md,
    /\| whole process, jitlink \/ llvm-jitlink, sqlite_driver \| ≤ 2\.5 \| 4\.00 \(sqlite_driver\) \| not met \|/,
  );
  assert.ok(md.startsWith(SECTION_START) && md.endsWith(SECTION_END));
  assert.match(md, /\| sqlite_driver \| 10 \| 200 \(199–201\) \| 50\.0 \(49\.0–51\.0\) \| 4\.00× \|/);
  assert.match(md, /llvm-jitlink-19 fails: killed by signal 11/);
});

test('replaceSection swaps only the generated part', () => {
  const doc = `# Title\n\nintro\n\n${SECTION_START}\nold\n${SECTION_END}\n\n## After\n`;
  const out = replaceSection(doc, `${SECTION_START}\nnew\n${SECTION_END}`);
  assert.equal(out, `# Title\n\nintro\n\n${SECTION_START}\nnew\n${SECTION_END}\n\n## After\n`);
  assert.equal(replaceSection('# T\n', 'S'), '# T\n\nS\n');
});

// All-members workloads at several input sizes: link phase and RSS per tool.
const side = (linkMs, rssMiB) => ({ ...ok(linkMs * 2), linkMs, rssKiB: rssMiB * 1024 });
const scaling = [
  { id: 'libz-all', inputBytes: 150e3, jitlink: side(20, 90), llvm: side(2, 50), ratio: 8 },
  { id: 'libcrypto-all', inputBytes: 9.1e6, jitlink: side(500, 180), llvm: side(100, 110), ratio: 6 },
  { id: 'llvm-1mb', inputBytes: 1.0e6, jitlink: side(60, 110), llvm: side(9, 60), ratio: 7 },
  { id: 'llvm-20mb', inputBytes: 20.7e6, jitlink: side(250, 190), llvm: side(48, 100), ratio: 5 },
  { id: 'llvm-50mb', inputBytes: 51e6, jitlink: side(700, 320), llvm: side(280, 200), ratio: 2.4 },
  { id: 'llvm-90mb', inputBytes: 90.7e6, jitlink: side(1300, 510), llvm: side(560, 350), ratio: 2.4 },
  {
    id: 'llvm-5mb',
    inputBytes: 4.9e6,
    jitlink: side(200, 150),
    llvm: { ok: false, error: 'llvm-jitlink error: Symbols not found' },
  },
  { id: 'hello', jitlink: ok(100), llvm: ok(10), ratio: 10 },
  {
    id: 'orc-1000',
    links: 1000,
    linksPerSecond: { jitlink: 5000, llvm: 33000 },
    jitlink: ok(300),
    llvm: ok(50),
    ratio: 6,
  },
];
const orcThroughput = {
  ok: true,
  objects: 1000,
  elapsedMs: 400,
  linksPerSecond: 2500,
  lookupMs: { p50: 0.2, p99: 6.5, max: 20, sum: 300 },
  steady: {
    objectsPerTask: 100,
    samples: 200,
    meanMs: 11,
    p99Ms: 30,
    opsPerSecond: 90,
    linksPerSecond: 9000,
  },
  llvm: { ok: true, elapsedMs: 250, linksPerSecond: 4000, lookupMs: { p50: 0.07, p99: 0.3, max: 9 } },
  targets: { p99Ms: 0.5 },
};

test('scaling points: workloads with an input size where the tool succeeded, by size', () => {
  assert.deepEqual(
    scalingPoints(scaling, 'llvm').map((p) => p.id),
    ['libz-all', 'llvm-1mb', 'libcrypto-all', 'llvm-20mb', 'llvm-50mb', 'llvm-90mb'],
  );
  assert.equal(scalingPoints(scaling, 'jitlink').length, 7);
  assert.equal(scalingPoints(scaling, 'jitlink')[0].rssMiB, 90);
});

test('linearity compares the largest input with the one closest to a tenth of it', () => {
  const l = linearity(scaling);
  assert.equal(l.jitlink.large, 'llvm-90mb');
  assert.equal(l.jitlink.small, 'libcrypto-all');
  assert.ok(Math.abs(l.jitlink.timeRatio - 2.6) < 1e-9);
  assert.ok(Math.abs(l.jitlink.sizeRatio - 90.7 / 9.1) < 1e-9);
  assert.equal(l.jitlink.met, true);
  assert.equal(l.llvm.timeRatio, 5.6);
  assert.equal(linearity([scaling[0]]).jitlink, undefined);
});

test('targets: measured value and met / not met, or not measured', () => {
  const rows = targetRows({ results: [...scaling, results[0]], orcThroughput });
  const by = Object.fromEntries(rows.map((r) => [r.target, r]));
  const link = by['link phase, jitlink / llvm-jitlink, 20–90 MB'];
  assert.equal(link.measured, '5.21 (llvm-20mb), 2.50 (llvm-50mb), 2.32 (llvm-90mb)');
  assert.equal(link.goal, '≤ 0.5');
  assert.equal(link.met, false);
  assert.equal(by['whole process, jitlink / llvm-jitlink, ~50 and ~90 MB'].met, false);
  assert.equal(by['peak RSS, jitlink / llvm-jitlink, ~90 MB'].measured, '1.46 (llvm-90mb)');
  assert.equal(by['whole process, jitlink / llvm-jitlink, sqlite_driver'].measured, '4.00 (sqlite_driver)');
  // Peak RSS over the all-members workloads both linkers link (llvm-5mb: llvm-jitlink failed).
  assert.equal(
    by['peak RSS, jitlink / llvm-jitlink, every all-members workload'].measured,
    '1.90 at worst (llvm-20mb), 6 workloads',
  );
  assert.equal(by['peak RSS, jitlink / llvm-jitlink, every all-members workload'].met, false);
  assert.equal(by['whole process, jitlink / llvm-jitlink, libcrypto-all'].measured, '6.00 (libcrypto-all)');
  assert.equal(by['orc-1000 in process, links per second'].measured, '2500 (LLVM 4000)');
  assert.equal(by['orc-1000 in process, links per second'].met, false);
  const faster = targetRows({ results: [], orcThroughput: { ...orcThroughput, linksPerSecond: 4500 } });
  assert.equal(faster.find((r) => r.target === 'orc-1000 in process, links per second').met, true);
  const withoutLlvm = targetRows({ results: [], orcThroughput: { ...orcThroughput, llvm: { ok: false, error: 'x' } } });
  assert.equal(withoutLlvm.find((r) => r.target === 'orc-1000 in process, links per second').met, undefined);
  assert.equal(by['orc-1000 in process, lookup latency p99'].measured, '6.50 ms');
  assert.equal(by['orc-1000 in process, lookup latency p99'].met, false);
  const none = targetRows({ results: [results[1]] });
  assert.ok(none.every((r) => r.met === undefined && r.measured === '–'));
});

test('markdown and terminal carry scaling, ORC throughput and targets', () => {
  const report = { date: '2025-01-01', machine, results: scaling, orcThroughput };
  const md = markdownSection(report);
  assert.match(md, /!\[[^\]]*\]\(performance\.svg\)/);
  assert.match(
    md,
    /jitlink: link phase ×2\.6 for ×10\.0 the input \(`llvm-90mb` over `libcrypto-all`; target ≤ ×11\.0\): met/,
  );
  assert.match(md, /\*\*2500 links\/s\*\* \(target ≥ LLVM 19's ORC\)/);
  assert.match(md, /LLVM 19's ORC .* 250 ms, \*\*4000 links\/s\*\*; lookup latency p50 0\.07 ms, p99 0\.30 ms/);
  assert.match(md, /\| orc-1000 in process, lookup latency p99 \| < 0\.5 ms \| 6\.50 ms \| not met \|/);
  assert.match(md, /Input: 90700000 bytes of archives \(90\.7 MB\)\./);
  const text = terminalSummary(report);
  assert.match(text, /^linearity:/);
  assert.doesNotMatch(text, /\*\*|`/);
  assert.match(text, /orc-1000 in process, links per second: 2500 \(LLVM 4000\) \(goal ≥ LLVM 19's ORC\) not met/);
  const noLlvm = markdownSection({ ...report, orcThroughput: { ...orcThroughput, llvm: { ok: false, error: 'llvm-config-19 not found' } } });
  assert.match(noLlvm, /LLVM 19's ORC: not measured \(llvm-config-19 not found\)/);
  assert.match(text, /orc-1000 links per second \(1000 \/ link phase\): jitlink 5000, llvm-jitlink-19 33000/);
  assert.match(md, /links per second \(1000 \/ link phase\): jitlink 5000, llvm-jitlink-19 33000/);
  const failed = markdownSection({ ...report, orcThroughput: { ok: false, error: 'boom' } });
  assert.match(failed, /The measure failed: boom/);
});

test('log ticks cover the data with 1-2-5 steps, decades only when there are many', () => {
  assert.deepEqual(logTicks(0.15, 90), {
    lo: 0.1,
    hi: 100,
    ticks: [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100],
  });
  assert.deepEqual(logTicks(0.01, 900).ticks, [0.01, 0.1, 1, 10, 100, 1000]);
  const one = logTicks(3, 3);
  assert.ok(one.lo < 3 && one.hi > 3);
});

test('the scaling chart: two panels, both series, well-formed, no NaN', () => {
  const svg = scalingChart(scaling);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && svg.trimEnd().endsWith('</svg>'));
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
  assert.match(svg, /Link phase against input size/);
  assert.match(svg, /Peak RSS against input size/);
  // Legend and one polyline per series and panel.
  assert.match(svg, />jitlink</);
  assert.match(svg, />llvm-jitlink-19</);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
  assert.equal((svg.match(/stroke="#d95f02" stroke-width="2"\/>/g) ?? []).length, 3);
  // 7 jitlink and 6 llvm-jitlink points per panel.
  assert.equal(
    (svg.match(/<circle cx="[0-9.]+" cy="[0-9.]+" r="4\.5" fill="#d95f02"><title>/g) ?? []).length,
    14,
  );
  assert.equal(
    (svg.match(/<rect x="[0-9.]+" y="[0-9.]+" width="8" height="8" fill="#1b9e77"><title>/g) ?? []).length,
    12,
  );
  // Tags balance (self-closing tags aside).
  const open = (svg.match(/<(?!\/)[a-z]+[^>]*[^/]>/g) ?? []).length;
  const close = (svg.match(/<\/[a-z]+>/g) ?? []).length;
  assert.equal(open, close);
  // Every coordinate lies within the 800 × 680 canvas.
  for (const m of svg.matchAll(/ (?:cx|x|x1|x2)="(-?[0-9.]+)"/g))
    assert.ok(Number(m[1]) >= 0 && Number(m[1]) <= 800);
  for (const m of svg.matchAll(/ (?:cy|y|y1|y2)="(-?[0-9.]+)"/g))
    assert.ok(Number(m[1]) >= 0 && Number(m[1]) <= 680);
  assert.match(scalingChart([]), /no data/);
});

test('command lines: numbered runs collapse into brace notation', () => {
  const objs = Array.from({ length: 1000 }, (_, i) => `$TMP/orc-1000/orc${String(i).padStart(4, '0')}.o`);
  assert.deepEqual(compactCommand(['llvm-jitlink-19', '-noexec', '$TMP/orc-main.o', ...objs]), [
    'llvm-jitlink-19',
    '-noexec',
    '$TMP/orc-main.o',
    '$TMP/orc-1000/orc{0000..0999}.o',
  ]);
  const few = ['a/file1.o', 'a/file2.o', 'b/x9.o', 'node', 'jitlink.cjs'];
  assert.deepEqual(compactCommand(few), few);
  assert.deepEqual(compactCommand(['f8.o', 'f9.o', 'f10.o', 'g']), ['f{8..10}.o', 'g']);
});

test('the machine line says when NODE_EXTRA_CA_CERTS was dropped, the ORC lines which V8 flags ran', () => {
  const orc = { ok: true, objects: 1000, elapsedMs: 400, linksPerSecond: 2500, lookupMs: { p50: 0.1, p99: 6.5, max: 9 }, steady: { objectsPerTask: 100, samples: 10, meanMs: 5, p99Ms: 9, opsPerSecond: 200, linksPerSecond: 20000 }, llvm: { ok: false, error: 'x' } };
  const plainMachine = markdownSection({ date: '2025-01-01', machine, results });
  assert.doesNotMatch(plainMachine, /NODE_EXTRA_CA_CERTS/);
  const dropped = markdownSection({ date: '2025-01-01', machine: { ...machine, extraCACertificatesDropped: true }, results });
  assert.match(dropped, /\(NODE_EXTRA_CA_CERTS was set; the measured commands ran without it/);
  assert.match(markdownSection({ date: '2025-01-01', machine, results: [], orcThroughput: { ...orc, v8Flags: 'command' } }), /the V8 flags the command sets for them \(a 4× tier-up budget\):/);
  assert.match(markdownSection({ date: '2025-01-01', machine, results: [], orcThroughput: { ...orc, v8Flags: 'default' } }), /the orc-1000 objects, V8's default flags:/);
});
