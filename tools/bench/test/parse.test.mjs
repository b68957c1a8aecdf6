import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  aggregateProfile,
  summarizeHeapSnapshot,
  entrySource,
  entrySymbols,
  median,
  parseJitlinkTimes,
  parseLlvmTimes,
  parseNmArchive,
  percentile,
  pickSymbolPerMember,
} from '../src/parse.mjs';

test('parseJitlinkTimes: the link phase includes building the graphs of command-line objects', () => {
  const stderr = [
    'jitlink timers:',
    '       3.500 ms  read inputs',
    '      12.250 ms  build graphs',
    '     100.000 ms  link',
    '',
  ].join('\n');
  const t = parseJitlinkTimes(stderr);
  assert.equal(t.linkMs, 112.25);
  assert.equal(t.loadMs, 3.5);
});

test('parseJitlinkTimes reads the link and load rows', () => {
  const stderr = [
    'some diagnostic',
    'jitlink timers:',
    '      26.013 ms  load inputs',
    '    2288.567 ms  link: pre-prune',
    '     463.695 ms  link',
    '       1.270 ms  run',
    '',
  ].join('\n');
  const t = parseJitlinkTimes(stderr);
  assert.equal(t.linkMs, 463.695);
  assert.equal(t.loadMs, 26.013);
  assert.equal(t.rows['link: pre-prune'], 2288.567);
  assert.equal(parseJitlinkTimes('no table here'), undefined);
});

// Output of llvm-jitlink-19 -show-times: with and without the System Time column.
const llvmExec = `===-------------------------------------------------------------------------===
                         timers for llvm-jitlink phases
===-------------------------------------------------------------------------===
  Total Execution Time: 0.0241 seconds (0.0387 wall clock)

   ---User Time---   --System Time--   --User+System--   ---Wall Time---  --- Name ---
   0.0231 ( 96.3%)   0.0000 (  0.0%)   0.0231 ( 95.6%)   0.0376 ( 97.3%)  time to link object files
   0.0005 (  2.2%)   0.0000 (  0.0%)   0.0005 (  2.2%)   0.0005 (  1.4%)  time to execute jitlink'd code
   0.0003 (  1.5%)   0.0002 (100.0%)   0.0005 (  2.2%)   0.0005 (  1.4%)  time to load/add object files
   0.0239 (100.0%)   0.0002 (100.0%)   0.0241 (100.0%)   0.0387 (100.0%)  Total

===-------------------------------------------------------------------------===
                         timers for llvm-jitlink phases
===-------------------------------------------------------------------------===
  Total Execution Time: 0.0241 seconds (0.0387 wall clock)
`;
const llvmNoexec = `===-------------------------------------------------------------------------===
                         timers for llvm-jitlink phases
===-------------------------------------------------------------------------===
  Total Execution Time: 0.0003 seconds (0.0003 wall clock)

   ---User Time---   --User+System--   ---Wall Time---  --- Name ---
   0.0002 ( 79.1%)   0.0002 ( 79.1%)   0.0002 ( 78.5%)  time to link object files
   0.0001 ( 20.9%)   0.0001 ( 20.9%)   0.0001 ( 21.5%)  time to load/add object files
   0.0003 (100.0%)   0.0003 (100.0%)   0.0003 (100.0%)  Total
`;

test('parseLlvmTimes takes the wall-time column of the first table', () => {
  const a = parseLlvmTimes(llvmExec);
  assert.ok(Math.abs(a.linkMs - 37.6) < 1e-9);
  assert.ok(Math.abs(a.loadMs - 0.5) < 1e-9);
  assert.ok(Math.abs(a.rows["time to execute jitlink'd code"] - 0.5) < 1e-9);
  const b = parseLlvmTimes(llvmNoexec);
  assert.ok(Math.abs(b.linkMs - 0.2) < 1e-9);
  assert.equal(Object.keys(b.rows).length, 2);
  assert.equal(parseLlvmTimes('llvm-jitlink error: Symbols not found'), undefined);
});

test('one strong definition is picked per archive member', () => {
  const nm = [
    '/usr/lib/libx.a:a.o:0000000000000010 D a_data',
    '/usr/lib/libx.a:a.o:0000000000000000 T a_func',
    '/usr/lib/libx.a:b.o:0000000000000000 W b_weak',
    '/usr/lib/libx.a:b.o:0000000000000008 B b_bss',
    '/usr/lib/libx.a:c.o:0000000000000000 W c_only_weak',
    'nm: d.o: no symbols',
  ].join('\n');
  const members = parseNmArchive(nm);
  assert.deepEqual([...members.keys()], ['a.o', 'b.o', 'c.o']);
  assert.deepEqual(pickSymbolPerMember(members), [
    { member: 'a.o', symbol: 'a_func' },
    { member: 'b.o', symbol: 'b_bss' },
  ]);
});

test('names that are not C identifiers are not picked', () => {
  const members = parseNmArchive(
    ['/l/liby.a:a.o:0000000000000000 T foo.cold', '/l/liby.a:a.o:0000000000000010 T foo'].join('\n'),
  );
  assert.deepEqual(pickSymbolPerMember(members), [{ member: 'a.o', symbol: 'foo' }]);
});

test('entry symbols of several archives: one per member of each, members sharing a name included', () => {
  const libA = [
    '/l/libLLVMA.a:Utils.cpp.o:0000000000000000 T _ZN4llvm1a5utilsEv',
    '/l/libLLVMA.a:A.cpp.o:0000000000000000 T _ZN4llvm1aEv',
    '/l/libLLVMA.a:A.cpp.o:0000000000000010 T _ZN4llvm1a2bEv',
  ].join('\n');
  const libB = [
    '/l/libLLVMB.a:Utils.cpp.o:0000000000000000 D _ZN4llvm1b5tableE',
    '/l/libLLVMB.a:Empty.cpp.o:0000000000000000 W _ZN4llvm1b4weakEv',
    // Defined in both archives: referenced once.
    '/l/libLLVMB.a:Dup.cpp.o:0000000000000000 T _ZN4llvm1aEv',
  ].join('\n');
  const symbols = entrySymbols([libA, libB]);
  assert.deepEqual(symbols, ['_ZN4llvm1a5utilsEv', '_ZN4llvm1aEv', '_ZN4llvm1b5tableE']);
  const src = entrySource(symbols);
  assert.equal((src.match(/^extern char /gm) ?? []).length, 3);
  assert.match(src, /\{\n {2}_ZN4llvm1a5utilsEv,\n {2}_ZN4llvm1aEv,\n {2}_ZN4llvm1b5tableE,\n\}/);
});

test('entry source references every symbol from main', () => {
  const src = entrySource(['sqlite3_open', 'sqlite3_version']);
  assert.match(src, /extern char sqlite3_open\[\];/);
  assert.match(src, /\{\n {2}sqlite3_open,\n {2}sqlite3_version,\n\}/);
  assert.match(src, /int main\(void\)/);
});

test('nearest-rank percentiles', () => {
  const v = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile(v, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('aggregateProfile sums self time per function', () => {
  const frame = (functionName, url, lineNumber) => ({
    functionName,
    url,
    lineNumber,
    scriptId: '0',
    columnNumber: 0,
  });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', '', -1), children: [2, 3] },
      { id: 2, callFrame: frame('applyFixup', 'file:///repo/packages/arch-x86-64/dist/fixup.js', 9) },
      { id: 3, callFrame: frame('', 'file:///repo/packages/core/dist/graph.js', 0), children: [4] },
      { id: 4, callFrame: frame('applyFixup', 'file:///repo/packages/arch-x86-64/dist/fixup.js', 9) },
    ],
    samples: [2, 3, 4, 2],
    timeDeltas: [0, 1000, 2000, 3000],
  };
  const rows = aggregateProfile(profile);
  assert.equal(rows[0].name, 'applyFixup');
  assert.equal(rows[0].location, 'packages/arch-x86-64/dist/fixup.js:10');
  // Samples 0 and 2 are applyFixup: intervals 1000 and 3000 µs.
  assert.equal(rows[0].selfMs, 4);
  assert.equal(rows[1].name, '(anonymous)');
  assert.equal(rows[1].selfMs, 2);
  assert.equal(rows[0].share, 4 / 6);
  // Inclusive: the anonymous function is on the stack in samples 1 and 2 (2000 + 3000 µs).
  assert.equal(rows[1].inclusiveMs, 5);
  assert.equal(rows[0].inclusiveMs, 4);
  assert.equal(rows.find((r) => r.name === '(root)').inclusiveMs, 6);
});

test('summarizeHeapSnapshot sums self sizes by constructor or node type', () => {
  const snapshot = {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
        node_types: [
          ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native'],
        ],
      },
    },
    // type, name, id, self_size, edge_count
    nodes: [3, 0, 1, 56, 0, 3, 0, 3, 56, 0, 3, 1, 5, 96, 0, 2, 2, 7, 40, 0, 1, 3, 9, 152, 0],
    strings: ['Edge', 'Symbol', 'main', ''],
  };
  const { totalBytes, rows } = summarizeHeapSnapshot(snapshot);
  assert.equal(totalBytes, 56 + 56 + 96 + 40 + 152);
  assert.deepEqual(rows, [
    { name: '(array)', count: 1, bytes: 152 },
    { name: 'Edge', count: 2, bytes: 112 },
    { name: 'Symbol', count: 1, bytes: 96 },
    { name: '(string)', count: 1, bytes: 40 },
  ]);
});
