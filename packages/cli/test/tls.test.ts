/**
 * Thread-local storage where llvm-jitlink-19 fails: it rejects R_X86_64_TLSLD
 * (-fPIC) and R_X86_64_GOTTPOFF (-fPIE, -fno-pic); the jitlink command runs
 * the same objects with the natively linked program's output.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpora, requireOrSkip } from './corpus.js';
import { runCli } from './run-cli.js';

const corpus = corpora()[0]!;
const program = corpus.programs.find((p) => p.name === 'tls_threads')!;
const LLVM_JITLINK = '/usr/bin/llvm-jitlink-19';

describe('thread-locals in two objects (tls_threads)', () => {
  test.each([
    ['O2-pic-small', 'R_X86_64_TLSLD'],
    ['O2-pie-small', 'R_X86_64_GOTTPOFF'],
    ['O2-nopic-small', 'R_X86_64_GOTTPOFF'],
  ])('clang-19 %s: llvm-jitlink-19 rejects %s, jitlink runs it right', async (variant, rejected) => {
    const objects = program.objects.map((o) => join(corpus.root, 'clang-19', variant, o));
    const expected = readFileSync(join(corpus.root, program.expected.stdout), 'utf8');
    const ours = await runCli(objects);
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe(expected);
    expect(ours.code).toBe(0);
    const llvm = spawnSync(LLVM_JITLINK, objects, { encoding: 'utf8', timeout: 60_000 });
    if (!requireOrSkip(llvm.error === undefined, `${LLVM_JITLINK} is not installed`)) return;
    expect(llvm.stderr).toContain(`Unsupported x86-64 relocation type ${rejected}`);
    expect(llvm.status).not.toBe(0);
  }, 120_000);
});
