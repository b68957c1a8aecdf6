/**
 * The command's executor options through the built package (its `/native`
 * entry finds the executors relative to dist/), in a Node process of its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isX64Linux, OUR_EXECUTOR, requirement } from './helpers.js';
import { needs } from '@jitlink/test-support';

const dist = path.resolve(__dirname, '../dist/native/index.js');
const ok = requirement(isX64Linux && existsSync(dist) && existsSync(OUR_EXECUTOR), `needs the built package (${dist}) and ${OUR_EXECUTOR}`);

function run(script: string): { stdout: string; stderr: string; status: number | null } {
  // Plain text: no colours from console.log, whatever the parent's terminal settings.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

needs(ok).describe('connectExecutorForCommand', () => {
  it('finds the built executor for -oop-executor and runs code in it, with and without shared memory', () => {
    const r = run(`
      import { connectExecutorForCommand, nativeExecutorPath, defaultExecutorPath } from ${JSON.stringify(dist)};
      console.log(String(nativeExecutorPath() === defaultExecutorPath()), String(nativeExecutorPath().endsWith('jitlink-executor-x86_64')));
      for (const useSharedMemory of [false, true]) {
        const control = await connectExecutorForCommand({ oopExecutor: true, useSharedMemory });
        const abs = (await control.lookupSymbols(['abs'])).get('abs');
        console.log(control.memoryManager.constructor.name, String(await control.runAsIntFunction(abs, -3)));
        await control.dispose();
      }
      console.log(String(await connectExecutorForCommand({})));
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true true\nRemoteMemoryManager 3\nSharedMemoryManager 3\nundefined\n');
  });

  it('refuses both options at once and -use-shared-memory alone', () => {
    const r = run(`
      import { connectExecutorForCommand } from ${JSON.stringify(dist)};
      for (const o of [{ oopExecutor: true, oopExecutorConnect: 'h:1' }, { useSharedMemory: true }])
        await connectExecutorForCommand(o).catch((e) => console.log(e.message));
    `);
    expect(r.stdout).toBe('only one of -oop-executor and -oop-executor-connect can be used\n-use-shared-memory needs -oop-executor or -oop-executor-connect\n');
  });
});
