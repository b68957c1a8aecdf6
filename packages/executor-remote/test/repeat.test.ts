/**
 * Repeatability: the sqlite driver linked and run out of process 20 times
 * in a row gives the right output every time (llvm-jitlink-19 with its own
 * executor crashes on it).
 */
import { existsSync } from 'node:fs';
import { corpusProgram, expectedOf, haveLlvmExecutor, haveOurExecutor, isX64Linux, LLVM_EXECUTOR, OUR_EXECUTOR, requirement, runCorpusProgram, startExecutor } from './helpers.js';
import { needs } from '@jitlink/test-support';

const SQLITE = '/usr/lib/x86_64-linux-gnu/libsqlite3.a';

for (const [label, path, ok] of [
  ['llvm-jitlink-executor', LLVM_EXECUTOR, haveLlvmExecutor],
  ['jitlink-executor', OUR_EXECUTOR, haveOurExecutor],
] as const) {
  needs(requirement(isX64Linux && ok && existsSync(SQLITE), `needs ${path} and ${SQLITE} (libsqlite3-dev)`)).describe(label, () => {
    it('runs the sqlite driver 20 times with the right output each time', async () => {
      const program = corpusProgram('sqlite_driver');
      const expected = expectedOf(program);
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        const executor = await startExecutor(path);
        const exit = await runCorpusProgram(executor.control, program, 'gcc/O2-pic-small');
        outcomes.push(exit === expected.exit && executor.output() === expected.stdout ? 'ok' : `run ${i}: exit ${exit}`);
      }
      expect(outcomes).toEqual(new Array(20).fill('ok'));
    }, 300_000);
  });
}
