/**
 * Corpus programs linked here and run in another process — Debian's LLVM 19
 * executor and this package's C executor — print what they print in
 * process and exit with the same status.
 */
import { readdirSync } from 'node:fs';
import {
  corpusProgram,
  expectedOf,
  haveLlvmExecutor,
  haveOurExecutor,
  isX64Linux,
  LLVM_EXECUTOR,
  OUR_EXECUTOR,
  requirement,
  runCorpusProgram,
  startExecutor,
} from './helpers.js';
import { needs, have, file, type Prerequisite } from '@jitlink/test-support';

const cases: [string, string][] = [
  ['hello', 'clang-19/O2-pic-small'],
  ['args', 'gcc/O0-pie-small'],
  ['multi', 'clang-19/O2-pic-large'],
  ['commons', 'gcc/O2-pic-small'],
  ['weak', 'clang-19/O0-pic-medium'],
  ['ctors', 'gcc/O2-pic-small'],
  ['bss_big', 'clang-19/O2-pie-small'],
  ['sections', 'gcc/O2-pie-medium'],
  ['cxx', 'clang-19/O2-pic-small'],
  ['cxx', 'gcc/O0-pic-small'],
  ['zlib_driver', 'clang-19/O2-pic-small'],
  ['lua_driver', 'gcc/O2-pic-small'],
  ['sqlite_driver', 'clang-19/O2-pic-small'],
];

const executors: [string, string, Prerequisite][] = [
  [
    'llvm-jitlink-executor',
    LLVM_EXECUTOR,
    requirement(isX64Linux && haveLlvmExecutor, `needs x86-64 Linux and ${LLVM_EXECUTOR} (package llvm-19)`),
  ],
  [
    'jitlink-executor',
    OUR_EXECUTOR,
    requirement(
      isX64Linux && haveOurExecutor,
      `needs x86-64 Linux and ${OUR_EXECUTOR} (npm run build, with a C compiler)`,
    ),
  ],
];

for (const [label, executorPath, ok] of executors) {
  for (const memory of ['copying', 'shared-memory'] as const) {
    needs(ok).describe(`corpus programs in ${label} over pipes, ${memory} manager`, () => {
      it.each(cases)('%s (%s) prints what it prints in process', async (name, variant) => {
        const program = corpusProgram(name);
        for (const a of program.archives) if (!have(file(a))) return;
        const executor = await startExecutor(executorPath, { useSharedMemory: memory === 'shared-memory' });
        expect(executor.control.memoryManager.constructor.name).toBe(
          memory === 'copying' ? 'RemoteMemoryManager' : 'SharedMemoryManager',
        );
        const exit = await runCorpusProgram(executor.control, program, variant);
        const expected = expectedOf(program);
        expect(executor.output()).toBe(expected.stdout);
        expect(exit).toBe(expected.exit);
        // No shared memory object outlives the link (LLVM's are jitlink_<pid>_<n>, ours jitlink-executor-<pid>-<n>).
        const pid = executor.child!.pid!;
        expect(readdirSync('/dev/shm').filter((n) => n.includes(`_${pid}_`) || n.includes(`-${pid}-`))).toEqual([]);
      });
    });
  }
}
