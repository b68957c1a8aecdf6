/**
 * Live re-linking end to end (live-child.mjs, in a process of its own): a
 * program loops printing what a replaceable object computes; version 2 of the
 * object is linked into the running program; three bad versions are refused.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { builtPackages, file, needs, platform } from '@jitlink/test-support';

const corpus = path.resolve(__dirname, '../../../test-corpus');
const CHILD = path.join(__dirname, 'live-child.mjs');
const OBJECTS = path.join(corpus, 'obj/live');

const describeLive = needs(
  platform('linux', 'x64'),
  file(path.join(OBJECTS, 'tick_v2.o')),
  builtPackages(path.resolve(__dirname, '../..'), ['core', 'elf', 'arch-x86-64', 'executor', 'orc']),
).describe;

interface Summary {
  errors: string[];
  refusals: { version: string; message?: string; oneLine?: boolean; accepted?: boolean }[];
  replaced: { version: number; replaced: string[]; added: string[]; dropped: string[]; keptData: string[] };
  fresh: { version: number; replaced: string[] };
  stubUnchanged: boolean;
  version: number;
  oldCodeMapped: boolean;
  safePoints: boolean;
  exitCode: number;
}

describeLive('replacing an object in a running program (in process)', () => {
  let stdout: string;
  let summary: Summary;
  beforeAll(() => {
    const child = spawnSync(process.execPath, [CHILD, OBJECTS], { encoding: 'utf8', timeout: 120_000 });
    if (child.error) throw child.error;
    expect({ signal: child.signal, status: child.status }).toEqual({ signal: null, status: 0 });
    stdout = child.stdout;
    summary = JSON.parse(child.stderr.trim().split('\n').pop()!) as Summary;
  });
  const ticks = () =>
    [...stdout.matchAll(/^tick (\d+) compute=(\d+) saved=(\d+) table=(\d+) counter=(\d+) calls=(\d+)$/gm)].map((m) => ({
      tick: Number(m[1]),
      compute: Number(m[2]),
      saved: Number(m[3]),
      table: Number(m[4]),
      counter: Number(m[5]),
      calls: Number(m[6]),
    }));

  it('runs the old code before the replacement and the new code after it, in the same process', () => {
    const [before, after] = stdout.split(/^host: replaced at tick \d+$/m);
    expect(before).toMatch(/^host: replacing tick.o at tick \d+$/m);
    const old = ticks().filter((t) => before!.includes(`tick ${t.tick} `));
    const updated = ticks().filter((t) => after!.includes(`tick ${t.tick} `));
    expect(old.length).toBeGreaterThanOrEqual(3);
    expect(updated.length).toBeGreaterThanOrEqual(3);
    for (const t of old) expect([t.compute, t.saved, t.table]).toEqual([20, 20, 20]);
    // A direct call, a pointer taken before the replacement, and a pointer in the object's own data.
    for (const t of updated) expect([t.compute, t.saved, t.table]).toEqual([30, 30, 30]);
    expect(summary.replaced).toMatchObject({ version: 2, replaced: ['compute', 'bump'], added: [], dropped: [] });
    expect(summary.stubUnchanged).toBe(true);
    expect(summary.exitCode).toBe(0);
    expect(stdout).toMatch(/^stopped after \d+ ticks$/m);
  });

  it('keeps the old version\'s data: global and static counters keep counting', () => {
    const kept = ticks().filter((t) => stdout.split(/^host: fresh data at tick/m)[0]!.includes(`tick ${t.tick} `));
    expect(kept.length).toBeGreaterThanOrEqual(13);
    kept.forEach((t, i) => {
      expect(t.tick).toBe(i);
      expect(t.counter).toBe(i + 1);
      expect(t.calls).toBe(i + 1);
    });
    expect(summary.replaced.keptData).toEqual(expect.arrayContaining(['counter', 'calls', 'op_table']));
  });

  it('with fresh data, re-initializes the same storage from the new version: the counters start again', () => {
    const after = stdout.split(/^host: fresh data done at tick \d+$/m)[1]!;
    const fresh = ticks().filter((t) => after.includes(`tick ${t.tick} `));
    expect(fresh.length).toBeGreaterThanOrEqual(3);
    // The tick running while the storage was rewritten may see either; the ones after count from the start.
    const settled = fresh.slice(1);
    expect(settled[0]!.counter).toBeLessThanOrEqual(3);
    settled.forEach((t, i) => {
      expect(t.counter).toBe(settled[0]!.counter + i);
      expect(t.calls).toBe(t.counter);
      expect(t.compute).toBe(30);
    });
    expect(summary.fresh).toMatchObject({ version: 3, replaced: ['compute', 'bump'] });
  });

  it('refuses, in one line, a version that drops a called function, resizes a kept global, or does not link', () => {
    expect(summary.refusals).toEqual([
      {
        version: 'tick_drop.o',
        oneLine: true,
        message: expect.stringMatching(/^replacement of tick.o refused, the old version keeps running: it drops compute, which driver.o, tick.o's data still refers to$/),
      },
      {
        version: 'tick_resize.o',
        oneLine: true,
        message: expect.stringMatching(/refused, the old version keeps running: cannot keep the data of tick.o: counter changed size \(8 -> 4 bytes\)$/),
      },
      {
        version: 'tick_unlinkable.o',
        oneLine: true,
        message: expect.stringMatching(/refused, the old version keeps running: .*symbols not found: \[ jitlink_test_undefined_function \]$/),
      },
    ]);
    // After each refusal the program went on with version 2.
    const beforeFresh = stdout.split(/^host: fresh data at tick/m)[0]!;
    const lastKept = ticks().filter((t) => beforeFresh.includes(`tick ${t.tick} `));
    expect(lastKept.slice(-2).map((t) => t.compute)).toEqual([30, 30]);
    expect(summary.version).toBe(3);
    expect(summary.errors).toEqual([]);
  });

  it('frees the old code once the program reports a safe point', () => {
    expect(summary.safePoints).toBe(true);
    expect(summary.oldCodeMapped).toBe(false);
  });
});
