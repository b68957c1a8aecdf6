/**
 * Huge zero-fill sections: -noexec (and a run) of a 768 MiB .bss never makes
 * its pages resident, and a 64 GiB .bss is refused before any memory or
 * address space is reserved for it. Peak memory is read from the command's
 * own /proc/self/status as it exits.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { file, needs, platform } from '@jitlink/test-support';
import { CLI, REPO_ROOT } from './corpus.js';

const LIMITS = join(REPO_ROOT, 'test-corpus/obj-limits');
const REPORT = join(__dirname, 'fixtures/report-peak-memory.cjs');
const MiB = 1024;

/** Runs the command with the peak-memory report; its exit code, stderr, and peaks in KiB. */
function runMeasured(args: string[]): Promise<{ code: number | null; stderr: string; residentKiB: number; virtualKiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', REPORT, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /peak memory: resident (\d+) kB, virtual (\d+) kB/.exec(stderr);
      if (!m) return reject(new Error(`no peak memory report in: ${stderr}`));
      resolve({ code, stderr, residentKiB: Number(m[1]), virtualKiB: Number(m[2]) });
    });
  });
}

const describeLimits = needs(platform('linux', 'x64'), file(CLI, 'npm run build'), file(join(LIMITS, 'bss_768m.o'))).describe;

describeLimits('huge zero-fill sections', () => {
  test.each([['-noexec'], ['(run)']])('a 768 MiB .bss links (%s) without becoming resident', async (mode) => {
    const r = await runMeasured([...(mode === '-noexec' ? ['-noexec'] : []), join(LIMITS, 'bss_768m.o')]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    // The command alone is about 50 MiB; the .bss would be 768 more.
    expect(r.residentKiB).toBeLessThan(256 * MiB);
  });

  test('a 64 GiB .bss is refused (-noexec) before any address space is reserved for it', async () => {
    const r = await runMeasured(['-noexec', join(LIMITS, 'bss_64g.o')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bss_64g\.o: needs 6871948\d+ bytes, more than 2 GiB/);
    expect(r.residentKiB).toBeLessThan(256 * MiB);
    // Node reserves a few GiB of its own; an attempt at the section would show as 64 more.
    expect(r.virtualKiB).toBeLessThan(32 * 1024 * MiB);
  });
});
