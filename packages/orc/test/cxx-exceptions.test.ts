/**
 * End to end: the C++ corpus program (exceptions thrown in one object and
 * caught in another, rethrow, std::out_of_range from libstdc++, static
 * constructors and destructors, iostreams) linked from gcc and clang objects,
 * PIC and non-PIC, into this process through the ORC layer and the ELF
 * platform, then run.
 *
 * Regressions it guards: Clang's 4-aligned .eh_frame records must stay
 * contiguous after dead FDEs are stripped (libgcc stops at a zero word), and
 * non-PIC personality pointers, type-table entries and function addresses
 * that point into libstdc++ (beyond 4 GiB) must still work.
 *
 * Each variant runs in a child process (cxx-exceptions-child.mjs): an abort
 * in the unwinder then fails that variant's test, with the child's signal and
 * stderr, instead of ending the whole test run without a name.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builtPackages, file, needs, platform } from '@jitlink/test-support';

const corpus = path.resolve(__dirname, '../../../test-corpus');
const packages = path.resolve(__dirname, '../..');
/** Links and runs one variant in a process of its own: a crash there fails that variant's test, named. */
const CHILD = path.join(__dirname, 'cxx-exceptions-child.mjs');
const built = builtPackages(packages, ['core', 'elf', 'arch-x86-64', 'executor', 'orc']);
const describeCorpus = needs(
  platform('linux', 'x64'),
  file(path.join(corpus, 'obj/gcc/O0-nopic-small/cxx/main.o')),
  built,
).describe;

interface ProgramSpec {
  objects: string[];
  expected: { stdout: string; exit: number };
}

function cxxSpec(): ProgramSpec {
  const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as {
    programs: (ProgramSpec & { name: string })[];
  };
  return manifest.programs.find((p) => p.name === 'cxx')!;
}

describeCorpus('C++ exceptions in linked code', () => {
  const spec = cxxSpec();
  const variants = ['O0-pic-small', 'O2-pic-small', 'O0-nopic-small', 'O2-nopic-small'].flatMap((v) =>
    ['gcc', 'clang-19'].map((c) => `${c}/${v}`),
  );

  it.each(variants)('cxx (%s) prints the expected output and exit code', (variant) => {
    const expected = readFileSync(path.join(corpus, spec.expected.stdout), 'utf8');
    const objectDir = path.join(corpus, 'obj', variant, 'cxx');
    const child = spawnSync(process.execPath, [CHILD, objectDir, JSON.stringify(spec.objects), 'prog'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (child.error) throw child.error;
    // A crash first, with what the child printed: the exit code alone does not say why.
    expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: null, stderr: '' });
    expect(child.stdout).toBe(expected);
    expect(child.status).toBe(spec.expected.exit);
  });
});
