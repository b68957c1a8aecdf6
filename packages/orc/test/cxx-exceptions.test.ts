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
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import { BackendRegistry, type ExecutorProcessControl } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { SelfExecutorProcessControl, flushCStdio } from '@jitlink/executor';
import { ExecutionSession, ObjectLinkingLayer, ProcessSymbolsGenerator } from '../src/index.js';
import { ElfPlatform } from '../src/elf/index.js';

const corpus = path.resolve(__dirname, '../../../test-corpus');
const isX64Linux = process.platform === 'linux' && process.arch === 'x64';
const haveCorpus = existsSync(path.join(corpus, 'obj/gcc/O0-nopic-small/cxx/main.o'));
const describeCorpus = isX64Linux && haveCorpus ? describe : describe.skip;

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

/** Runs `fn` with file descriptor 1 sent to a file; returns what was written. */
async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const libc = koffi.load('libc.so.6');
  const dup = libc.func('int dup(int)');
  const dup2 = libc.func('int dup2(int, int)');
  const close = libc.func('int close(int)');
  const dir = mkdtempSync(path.join(tmpdir(), 'jitlink-cxx-'));
  const file = path.join(dir, 'out');
  const fd = openSync(file, 'w');
  flushCStdio();
  const saved = dup(1) as number;
  try {
    dup2(fd, 1);
    const result = await fn();
    flushCStdio();
    return { result, output: readFileSync(file, 'utf8') };
  } finally {
    dup2(saved, 1);
    close(saved);
    closeSync(fd);
    rmSync(dir, { recursive: true });
  }
}

async function runProgram(
  objectDir: string,
  objects: string[],
  args: string[],
): Promise<{ exit: number; stdout: string }> {
  const executor = new SelfExecutorProcessControl();
  const session = new ExecutionSession(executor as ExecutorProcessControl);
  const errors: Error[] = [];
  session.errorReporter = (e) => errors.push(e);
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const layer = new ObjectLinkingLayer(session, { memoryManager: executor.memoryManager, registry });
  const dylib = session.createJITDylib('main');
  const platform = await ElfPlatform.create(layer, dylib, executor);
  for (const object of objects) {
    const file = path.join(objectDir, path.basename(object));
    layer.add(dylib, readFileSync(file), { name: file });
  }
  dylib.addGenerator(new ProcessSymbolsGenerator(executor, (n) => n !== 'main'));
  try {
    const main = await session.lookupOne([dylib], 'main');
    if (errors.length > 0) throw errors[0];
    const { result, output } = await captureStdout(async () => {
      await platform.runInitializers();
      const exit = await executor.runAsMain(main, args);
      await platform.runFinalizers();
      return exit;
    });
    return { exit: result, stdout: output };
  } finally {
    await session.endSession();
    await executor.dispose();
  }
}

describeCorpus('C++ exceptions in linked code', () => {
  const spec = haveCorpus ? cxxSpec() : undefined;
  const variants = ['O0-pic-small', 'O2-pic-small', 'O0-nopic-small', 'O2-nopic-small'].flatMap((v) =>
    ['gcc', 'clang-19'].map((c) => `${c}/${v}`),
  );

  it.each(variants)('cxx (%s) prints the expected output and exit code', async (variant) => {
    const expected = readFileSync(path.join(corpus, spec!.expected.stdout), 'utf8');
    const { exit, stdout } = await runProgram(path.join(corpus, 'obj', variant, 'cxx'), spec!.objects, [
      'prog',
    ]);
    expect(stdout).toBe(expected);
    expect(exit).toBe(spec!.expected.exit);
  });
});
