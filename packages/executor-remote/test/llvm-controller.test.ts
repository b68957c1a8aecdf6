/**
 * LLVM's controller over this package's executor: llvm-jitlink-19
 * --oop-executor=<jitlink-executor> links and runs C corpus programs, with
 * their expected output and exit status. (Programs llvm-jitlink-19 cannot
 * link itself — common symbols, Debian's liblua — are not among them.)
 *
 * Only single-object programs: with several graphs, llvm-jitlink-19 at times
 * sends run-as-main before the finalize request of a graph main calls into
 * (jitlink-executor handles messages in order, and its log shows main arriving
 * first), so main jumps into memory that is not yet protected executable. With
 * LLVM's own executor the same race crashes the sqlite and zlib drivers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { corpus, corpusProgram, expectedOf, haveOurExecutor, isX64Linux, OUR_EXECUTOR, requirement } from './helpers.js';
import { needs } from '@jitlink/test-support';

const LLVM_JITLINK = '/usr/bin/llvm-jitlink-19';
const ok = requirement(isX64Linux && haveOurExecutor && existsSync(LLVM_JITLINK), `needs ${LLVM_JITLINK} and ${OUR_EXECUTOR}`);

needs(ok).describe('llvm-jitlink-19 --oop-executor=jitlink-executor', () => {
  it.each(['hello', 'bss_big'])('%s (clang-19/O2-pic-small)', (name) => {
    const program = corpusProgram(name);
    const objects = program.objects.map((o) => path.join(corpus, 'obj/clang-19/O2-pic-small', o));
    // The bound is on the child, so that a hang fails instead of stalling the suite.
    const run = spawnSync(LLVM_JITLINK, [`--oop-executor=${OUR_EXECUTOR}`, ...objects], { encoding: 'utf8', timeout: 60_000 });
    const expected = expectedOf(program);
    expect(run.stdout).toBe(expected.stdout);
    expect(run.status).toBe(expected.exit);
  });

  it.each(['hello', 'bss_big'])('%s with -use-shared-memory (the executor\'s shared memory service)', (name) => {
    const program = corpusProgram(name);
    const objects = program.objects.map((o) => path.join(corpus, 'obj/clang-19/O2-pic-small', o));
    const run = spawnSync(LLVM_JITLINK, [`--oop-executor=${OUR_EXECUTOR}`, '-use-shared-memory', ...objects], { encoding: 'utf8', timeout: 60_000 });
    const expected = expectedOf(program);
    expect(run.stdout).toBe(expected.stdout);
    expect(run.status).toBe(expected.exit);
  });

  it('passes arguments as llvm-jitlink does (no program name)', () => {
    const objects = [path.join(corpus, 'obj/clang-19/O2-pic-small/args/args.o')];
    const run = spawnSync(LLVM_JITLINK, [`--oop-executor=${OUR_EXECUTOR}`, ...objects, '-args', 'a', 'b', 'c'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout).toContain('argc-1=2\nargv[1]="b"\nargv[2]="c"\n');
    expect(readFileSync(path.join(corpus, 'expected/args.stdout'), 'utf8')).toContain('argc-1=3');
  });

  it('registers debug objects (llvm-jitlink-19 calls llvm_orc_registerJITLoaderGDBWrapper directly, debugger support being on by default)', () => {
    const objects = ['debug_main.o', 'debug_leaf.o'].map((o) => path.join(corpus, 'obj/debug', o));
    const run = spawnSync(LLVM_JITLINK, [`--oop-executor=${OUR_EXECUTOR}`, ...objects], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).not.toContain('not one of this executor');
    expect(run.stdout).toBe('44\n');
    expect(run.status).toBe(0);
  });
});
