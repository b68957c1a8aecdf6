/**
 * Test support: corpus programs linked through the ORC layer and the ELF
 * platform into an executor process, with the executor's stdout captured.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BackendRegistry, parseArchive, type ExecutorProcessControl } from '@jitlink/core';
import { createElfBackend, defineSectionBoundarySymbols, mergeElfLinkGraphs } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { ExecutionSession, ObjectLinkingLayer, type ObjectUnit, ProcessSymbolsGenerator, StaticLibraryDefinitionGenerator } from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';
import { spawnExecutor, type ConnectExecutorOptions, type ConnectedExecutor } from '../src/index.js';
import { condition, type Prerequisite } from '@jitlink/test-support';

export const corpus = path.resolve(__dirname, '../../../test-corpus');
export const isX64Linux = process.platform === 'linux' && process.arch === 'x64';
export const LLVM_EXECUTOR = '/usr/lib/llvm-19/bin/llvm-jitlink-executor';

/** A condition these tests need, as a test-support prerequisite (skipped with the reason; under CI=true, a failure). */
export function requirement(ok: boolean, reason: string): Prerequisite {
  return condition(reason.replace(/^needs /, ''), ok);
}

export interface CorpusProgram {
  name: string;
  objects: string[];
  args: string[];
  archives: string[];
  expected: { stdout: string; exit: number };
}

export function corpusProgram(name: string): CorpusProgram {
  const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as { programs: CorpusProgram[] };
  const p = manifest.programs.find((q) => q.name === name);
  if (!p) throw new Error(`no corpus program ${name}`);
  return p;
}

export function expectedOf(p: CorpusProgram): { stdout: string; exit: number } {
  return { stdout: readFileSync(path.join(corpus, p.expected.stdout), 'utf8'), exit: p.expected.exit };
}

/** A started executor whose stdout is collected. */
export function x86Registry(): BackendRegistry {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  return registry;
}

export async function startExecutor(
  executorPath: string,
  options: ConnectExecutorOptions = {},
): Promise<ConnectedExecutor & { output: () => string }> {
  const started = await spawnExecutor(executorPath, { stdio: 'pipe', registry: x86Registry(), ...options });
  const chunks: Buffer[] = [];
  started.child!.stdout!.on('data', (c: Buffer) => chunks.push(c));
  started.child!.stderr!.on('data', (c: Buffer) => process.stderr.write(c));
  return { ...started, output: () => Buffer.concat(chunks).toString('utf8') };
}

/** Links `program` (variant directory under obj/) into `executor` through ORC and runs main; disposes the executor. */
export async function runCorpusProgram(
  executor: ExecutorProcessControl,
  program: CorpusProgram,
  variant: string,
): Promise<number> {
  const session = new ExecutionSession(executor);
  const errors: Error[] = [];
  session.errorReporter = (e) => errors.push(e);
  const registry = x86Registry();
  const layer = new ObjectLinkingLayer(session, { memoryManager: executor.memoryManager, registry });
  const dylib = session.createJITDylib('main');
  try {
    const platform = await ElfPlatform.create(layer, dylib, executor);
    const units: ObjectUnit[] = [];
    const files = program.objects.map((o) => path.join(corpus, 'obj', variant, o));
    if (program.name === 'sections') {
      // Its objects share a section reached through __start_/__stop_: one graph, as the CLI links them.
      const graphs = files.map((f) => registry.createLinkGraph(new Uint8Array(readFileSync(f)), { name: f }));
      for (const g of graphs.slice(1)) mergeElfLinkGraphs(graphs[0]!, g);
      defineSectionBoundarySymbols(graphs[0]!);
      units.push(layer.add(dylib, graphs[0]!));
    } else {
      for (const file of files) units.push(layer.add(dylib, readFileSync(file), { name: file }));
    }
    for (const a of program.archives) {
      dylib.addGenerator(new StaticLibraryDefinitionGenerator(layer, parseArchive(new Uint8Array(readFileSync(a)), a)));
    }
    dylib.addGenerator(new ProcessSymbolsGenerator(executor, (n) => n !== 'main'));
    // Every object is linked, as a static linker would (archive members only when needed).
    await session.materialize(units.map((u) => u.record!));
    const main = await session.lookupOne([dylib], 'main');
    if (errors.length > 0) throw errors[0];
    await platform.runInitializers();
    // argv[0] is the program's name, as the corpus's expected output assumes.
    const exit = await executor.runAsMain(main, [program.name, ...program.args]);
    await platform.runFinalizers();
    return exit;
  } finally {
    await session.endSession();
    await executor.dispose();
  }
}

export const haveLlvmExecutor = existsSync(LLVM_EXECUTOR);
/** The C executor as the package build leaves it (npm run build). */
export const OUR_EXECUTOR = path.resolve(__dirname, '../dist/native/jitlink-executor-x86_64');
export const OUR_AARCH64_EXECUTOR = path.resolve(__dirname, '../dist/native/jitlink-executor-aarch64-qemu');
export const haveOurExecutor = existsSync(OUR_EXECUTOR);
