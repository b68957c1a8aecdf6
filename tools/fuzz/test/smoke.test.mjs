/**
 * The bounded fuzz smoke run: a fixed seed and a few thousand cases per
 * target, then every saved regression input. Any outcome but a JITLinkError
 * or a clean link fails.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { caseArb, fuzz, judge, regressions } from '../src/engine.mjs';
import { applyMutations } from '../src/mutate.mjs';
import { archiveVerdict, linkInSlab } from '../src/targets.mjs';
import { targets } from '../src/all-targets.mjs';
import { JITLinkError, parseArchive } from '@jitlink/core';
import { createElfLinkGraph } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';

// executor and handshake-executor: each case starts a sanitized executor process (about 25 ms); executor-aarch64
// one under qemu-aarch64 (about 2 s); handshake-controller
// connects over loopback TCP.
const CASES = { elf: 3000, archive: 3000, 'archive-formats': 3000, macho: 3000, coff: 3000, protocol: 3000, executor: 600, 'executor-aarch64': 24, 'handshake-executor': 150, 'handshake-controller': 200, check: 3000, options: 1500 };

for (const [name, target] of Object.entries(targets)) {
  test(`${name}: ${CASES[name]} structure-aware mutations from the corpus seeds only give JITLinkErrors or clean links`, async () => {
    const seeds = target.seeds();
    if (seeds.length === 0) {
      const reason = `${name}: ${target.missing?.() ?? 'no seeds (test-corpus/obj missing)'}`;
      if (process.env.CI === 'true') assert.fail(reason);
      console.log(`skipped: ${reason}`);
      return;
    }
    const failures = [];
    const counts = await fuzz(name, { seed: 0x5eed, cases: CASES[name], seeds, onFailure: (f) => failures.push(`${f.base.name} ${JSON.stringify(f.mutations)}: ${f.failure.message}`) });
    assert.deepEqual(failures, []);
    assert.equal(counts.cases, CASES[name]);
    // The mutations reach past the first checks: some cases are rejected, some still link (or, for
    // check expressions, evaluate every line).
    if (name !== 'check') assert.ok(counts.rejected > CASES[name] / 20, JSON.stringify(counts));
    // executor-aarch64 runs too few cases for a whole session to survive its mutations every time:
    // sessions the executor answered in part count.
    const reached = name === 'executor-aarch64' ? counts.linked + counts.parsed : counts.linked;
    assert.ok(reached > CASES[name] / 50, JSON.stringify(counts));
  });

  test(`${name}: every saved regression input gives a JITLinkError or a clean link`, async () => {
    for (const file of regressions(name)) {
      const verdict = await judge(target, new Uint8Array(fs.readFileSync(file)));
      assert.equal(verdict.failure, undefined, `${file}: ${verdict.failure?.message}`);
    }
  });
}

test('elf: fast-check property with shrinking, 300 runs', async () => {
  const seeds = targets.elf.seeds(4);
  assert.ok(seeds.length > 0 || process.env.CI !== 'true', 'no ELF seeds');
  if (seeds.length === 0) return;
  await fc.assert(
    fc.asyncProperty(caseArb(seeds.length), async (c) => {
      const verdict = await judge(targets.elf, applyMutations(seeds[c.seed], c.mutations));
      if (verdict.failure) throw verdict.failure;
    }),
    { seed: 42, numRuns: 300 },
  );
});

test('a .bss size of 2^36 is rejected without reserving it', async () => {
  const seed = targets.elf.seeds(40).find((s) => s.nobits.length > 0);
  if (!seed) {
    if (process.env.CI === 'true') assert.fail('no corpus seed with a NOBITS section');
    console.log('skipped: no corpus seed with a NOBITS section');
    return;
  }
  const bytes = seed.bytes.slice();
  new DataView(bytes.buffer).setBigUint64(seed.nobits[0] + 32, 1n << 36n, true);
  const verdict = await judge(targets.elf, bytes);
  assert.equal(verdict.failure, undefined, verdict.failure?.message);
  assert.equal(verdict.outcome, 'rejected');
  // A slab large enough for it: the working-memory cap refuses it before anything is reserved.
  const graph = createElfLinkGraph(bytes, x86_64Elf, { name: 'bss.o' });
  await assert.rejects(linkInSlab(graph, 2 ** 40), (e) => {
    assert.ok(e instanceof JITLinkError, String(e));
    assert.match(e.message, /^bss\.o: needs 6871947\d+ bytes of working memory, over the limit of 1073741824 \(0 already reserved\)$/);
    return true;
  });
});

test('archive: reusing an unchanged seed member\'s outcome gives each member the outcome of the full oracle, 300 cases', async () => {
  const seeds = targets.archive.seeds();
  assert.ok(seeds.length > 0 || process.env.CI !== 'true', 'no archive seeds');
  if (seeds.length === 0) return;
  let mixed = 0;
  for (const c of fc.sample(caseArb(seeds.length), { seed: 0x5eed, numRuns: 300 })) {
    const bytes = applyMutations(seeds[c.seed], c.mutations);
    const full = await archiveVerdict(bytes, { reuseSeedOutcomes: false });
    assert.deepEqual(await archiveVerdict(bytes), full, JSON.stringify(c));
    if (new Set(full.members).size > 1) mixed++;
  }
  // Cases where one member links and another is rejected: a reused outcome in the wrong place shows.
  assert.ok(mixed > 30, `only ${mixed} cases with members of different outcomes`);
});

test('archive-formats: every layout llvm-ar-19 writes gives the same members, contents and symbol index', () => {
  const seeds = targets['archive-formats'].seeds();
  if (seeds.length === 0) {
    if (process.env.CI === 'true') assert.fail(targets['archive-formats'].missing());
    console.log(`skipped: ${targets['archive-formats'].missing()}`);
    return;
  }
  // Darwin pads members to 8 bytes: compare the ELF bytes (up to e_shoff + e_shnum * e_shentsize).
  const elfBytes = (data) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return Buffer.from(data.subarray(0, Number(view.getBigUint64(40, true)) + view.getUint16(60, true) * view.getUint16(58, true))).toString('hex');
  };
  const shape = (archive) => ({
    members: archive.members.map((m) => [m.name, elfBytes(m.data)]),
    index: [...archive.symbolIndex].map(([symbol, m]) => [symbol, m.name]).sort(),
  });
  const expected = shape(parseArchive(seeds.find((s) => s.name.endsWith('/gnu.a')).bytes, 'gnu.a'));
  assert.deepEqual(expected.members.map(([name]) => name), ['multi_operations_long_name.o', 'tables.o', 'weak_defaults.o']);
  assert.ok(expected.index.length > 20);
  for (const seed of seeds) assert.deepEqual(shape(parseArchive(seed.bytes, seed.name)), expected, seed.name);
});
