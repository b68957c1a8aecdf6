/**
 * The fuzz loop shared by the smoke test and long campaigns: seeded
 * generation of structure-aware mutation lists, the oracle, minimization of a
 * failing case, and the regression files that replay it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { applyMutations } from './mutate.mjs';
import { regressionsDir } from './targets.mjs';
import { targets } from './all-targets.mjs';

/** One mutation: [op, a, b]; op picks set-field (most often), string byte, bit flip, truncation, field copy. */
export const mutationArb = fc.tuple(
  fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  fc.nat({ max: 1 << 20 }),
  fc.nat({ max: 1 << 12 }),
);

/** A case: which seed, and one to eight mutations of it. */
export function caseArb(seedCount) {
  return fc.record({ seed: fc.nat({ max: seedCount - 1 }), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 8 }) });
}

/** The oracle's verdict on `bytes`: the outcome, or the failure. */
export async function judge(target, bytes) {
  try {
    return { outcome: await target.run(bytes) };
  } catch (e) {
    return { failure: e };
  }
}

/**
 * Shrinks a failing input byte-wise towards its seed: drops the tail, then
 * reverts runs of differing bytes while the same kind of failure remains.
 */
export async function minimize(target, seedBytes, bytes, kind) {
  const fails = async (b) => {
    const v = await judge(target, b);
    return v.failure !== undefined && (v.failure.kind ?? v.failure.name) === kind;
  };
  let best = bytes;
  for (let len = 0; len < best.length; len = Math.max(len + 1, Math.floor((len + best.length) / 2))) {
    if (len >= 64 && (await fails(best.slice(0, len)))) best = best.slice(0, len);
  }
  for (let chunk = 64; chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let at = 0; at < best.length; at += chunk) {
      let differs = false;
      const trial = best.slice();
      for (let i = at; i < Math.min(at + chunk, best.length, seedBytes.length); i++) {
        if (trial[i] !== seedBytes[i]) differs = true;
        trial[i] = seedBytes[i];
      }
      if (differs && (await fails(trial))) best = trial;
    }
  }
  return best;
}

/** Saves a failing input under regressions/<target>/, named by its hash; returns the path. */
export function saveRegression(targetName, bytes, note) {
  const dir = path.join(regressionsDir, targetName);
  fs.mkdirSync(dir, { recursive: true });
  const name = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const file = path.join(dir, `${name}.bin`);
  fs.writeFileSync(file, bytes);
  fs.writeFileSync(path.join(dir, `${name}.txt`), note + '\n');
  return file;
}

/** The saved regression inputs of `targetName`. */
export function regressions(targetName) {
  const dir = path.join(regressionsDir, targetName);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort().map((f) => path.join(dir, f));
}

/**
 * Runs `cases` cases of `targetName` from `seed` (deterministic), calling
 * `onFailure` for each failing case. Returns counts per outcome.
 */
export async function fuzz(targetName, { seed, cases, seeds, onFailure, onProgress, slowMs, until }) {
  const target = targets[targetName];
  const inputs = seeds ?? target.seeds();
  if (inputs.length === 0) throw new Error(`no seeds for ${targetName}: is test-corpus/obj built?`);
  const counts = { cases: 0, linked: 0, parsed: 0, rejected: 0, failed: 0 };
  const arb = caseArb(inputs.length);
  // Generated in batches of 1000 (batch k from seed + k), so a campaign holds one batch at a time.
  for (let batch = 0; counts.cases < cases && !(until && Date.now() > until); batch++) {
   for (const c of fc.sample(arb, { seed: seed + batch, numRuns: Math.min(1000, cases - counts.cases) })) {
    // Slow targets (a process per case) take minutes per batch: the time bound holds per case.
    if (until && Date.now() > until) break;
    const base = inputs[c.seed];
    const bytes = (target.mutate ?? applyMutations)(base, c.mutations);
    const started = slowMs ? Date.now() : 0;
    let verdict = await judge(target, bytes);
    // A hang bound for campaigns (the smoke test runs no timings): a case this slow is a failure.
    if (slowMs && !verdict.failure && Date.now() - started > slowMs) {
      verdict = { failure: Object.assign(new Error(`case took over ${slowMs} ms`), { kind: 'Slow' }) };
    }
    counts.cases++;
    if (verdict.failure) {
      counts.failed++;
      await onFailure?.({ base, bytes, mutations: c.mutations, failure: verdict.failure });
    } else counts[verdict.outcome] = (counts[verdict.outcome] ?? 0) + 1;
   }
   onProgress?.(counts);
  }
  return counts;
}
