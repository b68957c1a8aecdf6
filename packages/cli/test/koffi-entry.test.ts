/**
 * The bundle's koffi: a lazy stand-in that loads the native module on the
 * first use of any function. Every koffi function the packages call must be
 * on its list (a missing one would be undefined in the bundle).
 */
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './corpus.js';

const require = createRequire(__filename);
const ENTRY = join(REPO_ROOT, 'packages/cli/src/koffi-entry.cjs');

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|cts|mts|cjs|mjs|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

test('the lazy koffi offers every koffi function the packages call, each the real one once used', () => {
  const used = new Set<string>();
  for (const pkg of readdirSync(join(REPO_ROOT, 'packages'))) {
    for (const file of sourcesOf(join(REPO_ROOT, 'packages', pkg, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bkoffi\.([A-Za-z_]\w*)\s*\(/g)) used.add(m[1]!);
    }
  }
  expect(used.size).toBeGreaterThan(5);
  const lazy = require(ENTRY) as Record<string, unknown>;
  // On Linux the entry loads koffi's native module itself (not koffi's package entry, which wraps some functions).
  const native = require(join(REPO_ROOT, `node_modules/koffi/build/koffi/linux_${process.arch}/koffi.node`)) as Record<string, unknown>;
  for (const name of used) {
    expect([name, typeof lazy[name]]).toEqual([name, 'function']);
    expect(lazy[name]).toBe(native[name]);
  }
});
