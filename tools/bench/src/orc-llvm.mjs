// LLVM 19's own ORC on the orc-1000 objects (src/orc-llvm.cpp), so that the
// in-process ORC figures of jitlink have LLVM's beside them from the same run.
// Needs clang++-19 and llvm-config-19 (Debian's llvm-19-dev); without them the
// measure is reported as not made, with the reason.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'orc-llvm.cpp');

/**
 * Compiles orc-llvm.cpp into `workDir`.
 * @returns {{ ok: true, binary: string } | { ok: false, error: string }}
 */
export function buildLlvmOrc(workDir) {
  const config = spawnSync('llvm-config-19', ['--cxxflags', '--ldflags', '--libs'], { encoding: 'utf8' });
  if (config.status !== 0) return { ok: false, error: 'llvm-config-19 not found (install llvm-19-dev)' };
  const binary = join(workDir, 'orc-llvm');
  const flags = config.stdout.split(/\s+/).filter(Boolean);
  const cc = spawnSync('clang++-19', ['-O2', SOURCE, ...flags, '-o', binary], { encoding: 'utf8' });
  if (cc.error) return { ok: false, error: `clang++-19: ${cc.error.message}` };
  if (cc.status !== 0) return { ok: false, error: `clang++-19 failed: ${cc.stderr.split('\n')[0]}` };
  return { ok: true, binary };
}

/**
 * Runs LLVM's loop over the first `count` objects of `dir`, checking the last
 * function's result like the jitlink loop does.
 * @returns {{ ok: true, elapsedMs: number, linksPerSecond: number, lookupMs: { p50: number, p99: number, max: number } } | { ok: false, error: string }}
 */
export function runLlvmOrc(binary, dir, count, expected) {
  const r = spawnSync(binary, [dir, String(count)], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, error: `orc-llvm exited with ${r.status ?? r.signal}: ${r.stderr.split('\n')[0]}` };
  const result = JSON.parse(r.stdout);
  if (result.result !== expected) return { ok: false, error: `the last function returned ${result.result}, expected ${expected}` };
  return { ok: true, elapsedMs: result.elapsedMs, linksPerSecond: result.linksPerSecond, lookupMs: result.lookupMs };
}
