/**
 * -show-times reports wall-clock time: with many graphs linked at once, the
 * link phases must not count the same time once per waiting graph.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

const HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');
const COPIES = 1000;

/**
 * Copies of hello.o whose `main` is renamed m000..m999 (same length, so only
 * the string table changes): a thousand small objects that link together.
 */
function helloCopies(dir: string): string[] {
  const bytes = readFileSync(HELLO);
  const at = bytes.indexOf(Buffer.from('\0main\0'));
  expect(at).toBeGreaterThan(0);
  expect(bytes.indexOf(Buffer.from('\0main\0'), at + 1)).toBe(-1);
  return Array.from({ length: COPIES }, (_, i) => {
    const name = `m${String(i).padStart(3, '0')}`;
    const copy = Buffer.from(bytes);
    copy.write(name, at + 1, 'latin1');
    const path = join(dir, `${name}.o`);
    writeFileSync(path, copy);
    return path;
  });
}

test('with 1,000 objects the -show-times rows add up to no more than the wall time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jitlink-times-'));
  try {
    const r = await runCli(['-noexec', '--json', '-show-times', '-show-addrs', ...helloCopies(dir)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { times: Record<string, number>; addrs: { name: string }[] };
    // Every copy was linked.
    expect(doc.addrs.filter((a) => /^m\d{3}$/.test(a.name))).toHaveLength(COPIES);

    const { times } = doc;
    const phases = Object.entries(times).filter(([name]) => name.startsWith('link: '));
    expect(phases.map(([name]) => name)).toEqual(expect.arrayContaining(['link: allocate', 'link: fixup']));
    const sum = (rows: [string, number][]) => rows.reduce((total, [, ms]) => total + ms, 0);
    // Rows are rounded to 0.001 ms each.
    const rounding = 0.001 * Object.keys(times).length;
    expect(sum(phases)).toBeLessThanOrEqual(times.link! + rounding);
    const steps = Object.entries(times).filter(([name]) => ['read inputs', 'build graphs', 'link', 'run'].includes(name));
    expect(steps).toHaveLength(3);
    expect(sum(steps)).toBeLessThanOrEqual(times.total! + rounding);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
