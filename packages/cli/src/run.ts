/**
 * The jitlink command: links objects and archives into this process (or a
 * simulated slab) through an ORC-style session, then runs the entry point.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addressFromBigInt,
  BackendRegistry,
  formatAddress,
  JITLinkError,
  isArchive,
  parseArchive,
  printLinkGraph,
  SlabMemoryManager,
  toError,
  type ExecutorProcessControl,
  type JITLinkMemoryManager,
  type LinkGraph,
  type LinkPhaseName,
} from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import {
  absoluteSymbols,
  ExecutionSession,
  ObjectLinkingLayer,
  PhonyExternalsGenerator,
  ProcessSymbolsGenerator,
  StaticLibraryDefinitionGenerator,
  type JITDylib,
  type ObjectUnit,
} from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';
import { SelfExecutorProcessControl } from '@jitlink/executor';
import { mergeObjectsSharingSections } from './aggregate-sections.js';
import { CheckRecorder } from './check.js';
import { HarnessPlugin } from './harness.js';
import { helpText, parseOptions, type CliOptions } from './options.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export const VERSION = '0.1.0';

/** Backends this command knows. */
export function createDefaultRegistry(): BackendRegistry {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  return registry;
}

class Timer {
  private readonly totals = new Map<string, number>();
  private phaseStart = new Map<LinkGraph, { phase: LinkPhaseName; at: number }>();

  add(name: string, ms: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + ms);
  }
  async time<T>(name: string, f: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.add(name, performance.now() - t0);
    }
  }
  phase(phase: LinkPhaseName, graph: LinkGraph): void {
    const now = performance.now();
    const prev = this.phaseStart.get(graph);
    if (prev) this.add(`link: ${prev.phase}`, now - prev.at);
    if (phase === 'done') this.phaseStart.delete(graph);
    else this.phaseStart.set(graph, { phase, at: now });
  }
  report(): string {
    const lines = ['jitlink timers:'];
    for (const [name, ms] of this.totals) lines.push(`  ${ms.toFixed(3).padStart(10)} ms  ${name}`);
    return lines.join('\n') + '\n';
  }
}

function resolveLibrary(name: string, searchPaths: readonly string[]): string {
  for (const dir of searchPaths) {
    const candidate = join(dir, `lib${name}.a`);
    if (existsSync(candidate)) return candidate;
  }
  throw new JITLinkError('InvalidArgument', `library -l${name} not found (searched for lib${name}.a in: ${searchPaths.length ? searchPaths.join(', ') : 'no -L directories'})`);
}

function readInput(path: string): Uint8Array {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new JITLinkError('InvalidArgument', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? toError(e).message}`);
  }
}

export async function runJitlink(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  let options: CliOptions | undefined;
  try {
    options = parseOptions(argv);
    if (options.help) {
      io.stdout(helpText());
      return 0;
    }
    if (options.version) {
      io.stdout(`jitlink ${VERSION}\n`);
      return 0;
    }
    return await link(options, io);
  } catch (e) {
    const err = toError(e);
    io.stderr(`jitlink: error: ${err.message}\n`);
    if (options?.verbose && err.stack) io.stderr(err.stack + '\n');
    return 1;
  }
}

async function link(options: CliOptions, io: CliIO): Promise<number> {
  const timer = new Timer();
  const inputs = options.inputs.filter((i) => i.kind !== 'jd');
  if (inputs.length === 0) throw new JITLinkError('InvalidArgument', 'no input files (see --help)');

  const executor = new SelfExecutorProcessControl();
  let memoryManager: JITLinkMemoryManager = executor.memoryManager;
  if (options.slabAllocate !== undefined) {
    if (!options.noexec && options.slabAddress !== undefined) {
      throw new JITLinkError('InvalidArgument', '-slab-address can only be simulated with -noexec');
    }
    memoryManager = new SlabMemoryManager({
      size: options.slabAllocate,
      baseAddress: options.slabAddress !== undefined ? addressFromBigInt(options.slabAddress, 'slab address') : undefined,
      pageSize: options.slabPageSize,
    });
  }

  const session = new ExecutionSession(executor as ExecutorProcessControl);
  const errors: Error[] = [];
  session.errorReporter = (e) => errors.push(e);
  const registry = createDefaultRegistry();
  const layer = new ObjectLinkingLayer(session, { memoryManager, registry, observer: options.showTimes ? timer : undefined });
  const main = session.createJITDylib('main');
  const checks = options.checkFiles.length > 0 ? new CheckRecorder(layer) : undefined;

  const graphPatterns = options.showGraphs.map((p) => new RegExp(p));
  if (graphPatterns.length > 0) {
    layer.addPlugin({
      modifyPassConfig(_mr, graph, config) {
        if (!graphPatterns.some((re) => re.test(graph.name))) return;
        config.postFixupPasses.push((g) => io.stdout(printLinkGraph(g)));
      },
      notifyFailed: () => undefined,
      notifyRemovingResources: () => undefined,
      notifyTransferringResources: () => undefined,
    });
  }

  const willRun = !options.noexec;
  // The platform also defines atexit/__cxa_atexit/__dso_handle, which -noexec links need too.
  const platform = await ElfPlatform.create(layer, main, executor);

  // Inputs, in command-line order; -jd switches the dylib that later inputs go to.
  const dylibs: JITDylib[] = [main];
  let current = main;
  const units: ObjectUnit[] = [];
  const objectGraphs = new Map<JITDylib, LinkGraph[]>();
  const harnessGraphs: LinkGraph[] = [];
  await timer.time('load inputs', () => {
    for (const input of options.inputs) {
      if (input.kind === 'jd') {
        current = session.getJITDylibByName(input.value) ?? session.createJITDylib(input.value);
        if (!dylibs.includes(current)) dylibs.push(current);
        continue;
      }
      const path = input.kind === 'library' ? resolveLibrary(input.value, input.searchPaths ?? []) : input.value;
      const bytes = readInput(path);
      if (isArchive(bytes)) {
        current.addGenerator(new StaticLibraryDefinitionGenerator(layer, parseArchive(bytes, path)));
      } else {
        const graph = registry.createLinkGraph(bytes, { name: path });
        if (input.harness) {
          harnessGraphs.push(graph);
          continue;
        }
        let graphs = objectGraphs.get(current);
        if (graphs === undefined) objectGraphs.set(current, (graphs = []));
        graphs.push(graph);
      }
    }
    const harness = harnessGraphs.length > 0 ? new HarnessPlugin(harnessGraphs) : undefined;
    if (harness) layer.addPlugin(harness);
    // Objects sharing a __start_X/__stop_X section are linked as one graph, as a static linker would.
    for (const [dylib, graphs] of objectGraphs) {
      for (const graph of mergeObjectsSharingSections(graphs)) {
        units.push(layer.add(dylib, graph, harness ? { interface: harness.testSetInterface(graph) } : {}));
      }
    }
    for (const graph of harnessGraphs) units.push(layer.add(main, graph));
  });
  // Every dylib searches the others after itself, in creation order.
  for (const d of dylibs) d.setLinkOrder(dylibs);

  for (const { name, address } of options.absolutes) {
    main.defineAbsolute(absoluteSymbols([[name, addressFromBigInt(address, `address of ${name}`)]]));
  }
  if (!options.noProcessSyms) {
    // The entry point must come from the linked code, never from this process (Node's own main).
    const notFromProcess = new Set([options.entry, 'main']);
    for (const d of dylibs) d.addGenerator(new ProcessSymbolsGenerator(executor, (n) => !notFromProcess.has(n)));
  }
  if (options.phonyExternals) for (const d of dylibs) d.addGenerator(new PhonyExternalsGenerator());

  const searchOrder = dylibs;
  let exitCode = 0;
  try {
    let entryAddress: number | undefined;
    await timer.time('link', async () => {
      // Every object named on the command line is linked, as a static linker would
      // (archive members only when something needs them).
      await session.materialize(units.map((u) => u.record!));
      const hasEntry = options.noexec ? dylibs.some((d) => d.symbols.has(options.entry)) : true;
      if (hasEntry) entryAddress = await session.lookupOne(searchOrder, options.entry);
    });
    if (errors.length > 0) throw errors[0];
    checks?.run(options, io.stderr);

    if (options.showAddrs) {
      const lines: string[] = [];
      for (const d of dylibs) {
        for (const [name, entry] of [...d.symbols].sort(([a], [b]) => a.localeCompare(b))) {
          if (entry.record) lines.push(`${d.name}: ${name} = ${formatAddress(entry.address)}`);
        }
      }
      io.stdout(lines.join('\n') + (lines.length ? '\n' : ''));
    }

    if (willRun && entryAddress !== undefined) {
      await timer.time('run', async () => {
        await platform.runInitializers();
        exitCode = await executor.runAsMain(entryAddress!, options.programArgs);
        await platform.runFinalizers();
      });
    }
  } finally {
    if (options.showTimes) io.stderr(timer.report());
    await session.endSession().catch((e: unknown) => errors.push(toError(e)));
    await executor.dispose();
  }
  return exitCode;
}
