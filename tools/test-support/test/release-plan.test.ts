/**
 * The pending changesets release every 0.x package at most one minor up:
 * a peer dependency's minor release must not force a major release of the
 * packages that name it (see scripts/peer-ranges.mjs), and the peer ranges
 * are the ones that script writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

test('every peer range on a @jitlink package admits its version and the next minor', () => {
  const check = spawnSync(process.execPath, ['scripts/peer-ranges.mjs', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(check.stdout).toBe('');
  expect(check.status).toBe(0);
});

test('the pending changesets bump no package major', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jitlink-release-plan-'));
  try {
    const output = path.join(dir, 'status.json');
    const status = spawnSync('npx', ['changeset', 'status', '--output', output], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(status.status).toBe(0);
    const plan = JSON.parse(readFileSync(output, 'utf8')) as { releases: { name: string; type: string }[] };
    expect(plan.releases.length).toBeGreaterThan(0);
    expect(plan.releases.filter((r) => r.type === 'major').map((r) => r.name)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
