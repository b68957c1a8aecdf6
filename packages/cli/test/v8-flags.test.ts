/**
 * The command's V8 flags, in a fresh process each (flags are process-wide):
 * links of TIER_UP_MIN_INPUT_BYTES or more keep the young generation near the
 * size it started with (it doubles once: 1 -> 2 MiB on Node 20), where V8's
 * defaults grow it to its limit (16 MiB semi-spaces) under the same work.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './corpus.js';

const V8_FLAGS = pathToFileURL(join(REPO_ROOT, 'packages/cli/dist/v8-flags.js')).href;

/** The young generation's size (bytes) before and after allocating ~100 MB, some of it kept across scavenges. */
function youngGenerationGrowth(inputBytes: string): { before: number; after: number } {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import v8 from 'node:v8';
       const { setCommandV8Flags, TIER_UP_MIN_INPUT_BYTES } = await import(${JSON.stringify(V8_FLAGS)});
       const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
       const before = newSpace();
       setCommandV8Flags(${inputBytes}, 32 * 1024 * 1024);
       let kept = [];
       for (let i = 0; i < 2e6; i++) {
         kept.push({ index: i, list: [i] });
         if (kept.length > 2e5) kept = [];
       }
       process.stdout.write(JSON.stringify({ before, after: newSpace() }));`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { before: number; after: number };
}

test('links of TIER_UP_MIN_INPUT_BYTES or more keep the young generation near its starting size', () => {
  const { before, after } = youngGenerationGrowth('TIER_UP_MIN_INPUT_BYTES');
  expect(after).toBeLessThanOrEqual(2 * before);
});

test('smaller links keep V8 defaults, which grow the young generation under the same work', () => {
  const { before, after } = youngGenerationGrowth('TIER_UP_MIN_INPUT_BYTES - 1');
  expect(after).toBeGreaterThanOrEqual(8 * before);
});
