/**
 * The controller against Debian's LLVM 19 executor: corpus programs linked
 * here run there, with the output and exit status they have in process.
 */
import { existsSync } from 'node:fs';
import { corpusProgram, expectedOf, haveLlvmExecutor, isX64Linux, LLVM_EXECUTOR, prerequisite, runCorpusProgram, startExecutor } from './helpers.js';

const ok = prerequisite(isX64Linux && haveLlvmExecutor, `needs x86-64 Linux and ${LLVM_EXECUTOR} (package llvm-19)`);
const describeIf = ok ? describe : describe.skip;

describeIf('corpus programs in llvm-jitlink-executor over pipes', () => {
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
  it.each(cases)('%s (%s) prints what it prints in process', async (name, variant) => {
    const program = corpusProgram(name);
    for (const a of program.archives) if (!prerequisite(existsSync(a), `${a} missing`)) return;
    const executor = await startExecutor(LLVM_EXECUTOR);
    const exit = await runCorpusProgram(executor.control, program, variant);
    const expected = expectedOf(program);
    expect(executor.output()).toBe(expected.stdout);
    expect(exit).toBe(expected.exit);
  });
});
