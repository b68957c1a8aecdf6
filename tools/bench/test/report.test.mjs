import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  markdownSection,
  ratioText,
  replaceSection,
  SECTION_END,
  SECTION_START,
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
  const md = markdownSection({ date: '2025-01-01', machine, results });
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
