/**
 * Objects the command has no backend for, built by clang-19 for other
 * targets from a corpus source: the message says whether the pair is
 * supported by a package to install, planned (not linked by this version;
 * no pair is, today), or supported by nothing. When a backend lands, its pair's message here
 * changes with the table in @jitlink/core.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs, tool } from '@jitlink/test-support';
import { REPO_ROOT } from './corpus.js';
import { mapLimit, runCli } from './run-cli.js';

// No #include: it compiles for every target without a sysroot.
const SOURCE = join(REPO_ROOT, 'test-corpus/src/weak/weak_defaults.c');
const scratch = mkdtempSync(join(tmpdir(), 'jitlink-foreign-'));

const withClang = needs(tool('clang-19', 'apt-get install clang-19'));

const cases: [target: string, message: string][] = [
  [
    'riscv64-linux-gnu',
    'ELF/riscv64 object: no @jitlink package supports riscv64 in ELF objects, and none is planned; a backend for it can be registered with registerBackend()',
  ],
];

withClang.test('objects of other targets get the advice of the support table, exactly', async () => {
  const results = await mapLimit(cases, 2, async ([target, message]) => {
    const object = join(scratch, `${target}.o`);
    execFileSync('clang-19', [`--target=${target}`, '-c', SOURCE, '-o', object]);
    const r = await runCli(['-noexec', object]);
    return { r, expected: `jitlink: error: ${object}: ${message}\n` };
  });
  for (const { r, expected } of results) {
    expect(r.stderr).toBe(expected);
    expect(r.code).toBe(1);
  }
});

withClang.test('an ELF shared object is refused when identified, naming the type field', async () => {
  const library = join(scratch, 'weak_defaults.so');
  execFileSync('clang-19', ['-shared', '-fPIC', '-nostdlib', SOURCE, '-o', library]);
  const r = await runCli(['-noexec', library]);
  expect(r.stderr).toBe(`jitlink: error: ${library}, offset 0x10: is a shared object or PIE, not a relocatable object (ET_REL)\n`);
  expect(r.code).toBe(1);
});
