#!/usr/bin/env node
/**
 * A long fuzz campaign: npm run fuzz -- --target <elf|archive> --minutes <m> [--seed <n>] [--cases <n>]
 * Every failing input is minimized and saved under regressions/<target>/,
 * which the smoke test replays.
 */
import { parseArgs } from 'node:util';
import { fuzz, judge, minimize, saveRegression } from './engine.mjs';
import { targets } from './all-targets.mjs';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    minutes: { type: 'string', default: '1' },
    seed: { type: 'string', default: String(Date.now() % 0x7fffffff) },
    cases: { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
    'slow-ms': { type: 'string', default: '5000' },
  },
});
const names = values.target ? values.target.split(',') : Object.keys(targets);
for (const name of names) {
  if (!targets[name]) {
    console.error(`unknown target ${name}; targets: ${Object.keys(targets).join(', ')}`);
    process.exit(2);
  }
}
const seed = Number(values.seed);
const started = Date.now();
const until = started + Number(values.minutes) * 60_000;
const kinds = new Set();
let exit = 0;
// Capturing a stack costs more than many a case (every rejection throws a JITLinkError), and the
// oracle never looks at one: cases run without stacks; a failure is judged again with them for its note.
const stackTraceLimit = Error.stackTraceLimit;
Error.stackTraceLimit = 0;
for (const name of names) {
  const target = targets[name];
  const t0 = Date.now();
  const counts = await fuzz(name, {
    seed,
    cases: Number(values.cases),
    until: t0 + (until - t0) / (names.length - names.indexOf(name)),
    slowMs: Number(values['slow-ms']),
    onProgress: (c) => {
      if (c.cases % 20000 === 0) console.error(`${name}: ${c.cases} cases, ${c.failed} failed`);
    },
    async onFailure({ base, bytes, mutations, failure }) {
      exit = 1;
      const kind = failure.kind ?? failure.name;
      const key = `${kind}:${failure.message.split('\n')[0]}`;
      if (kinds.has(key)) return;
      kinds.add(key);
      Error.stackTraceLimit = stackTraceLimit;
      const small = await minimize(target, base.bytes, bytes, kind);
      const again = (await judge(target, small)).failure ?? failure;
      Error.stackTraceLimit = 0;
      const note = `seed input: ${base.name}\nmutations: ${JSON.stringify(mutations)}\nfailure: ${failure.message}\n${again.cause?.stack ?? again.stack}`;
      console.error(`${name}: FAILURE ${failure.message}\n  saved ${saveRegression(name, small, note)}`);
    },
  });
  const secs = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ target: name, seed, ...counts, seconds: Math.round(secs), casesPerSecond: Math.round(counts.cases / secs) }));
}
process.exit(exit);
