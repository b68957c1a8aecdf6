/**
 * The jitlink command: links objects and archives into this process (or a
 * simulated slab) through an ORC-style session, then runs the entry point.
 */
import { existsSync, statSync } from 'node:fs';
import { FileArchiveSource } from './file-source.js';
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
  type Archive,
  type ExecutorProcessControl,
  type JITLinkMemoryManager,
  type LinkGraph,
  type LinkObserver,
  type LinkPhaseName,
} from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { createMachOBackend } from '@jitlink/macho';
import { x86_64MachO } from '@jitlink/arch-x86-64/macho';
import {
  absoluteSymbols,
  ExecutionSession,
  reexports,
  ObjectLinkingLayer,
  PhonyExternalsGenerator,
  ProcessSymbolsGenerator,
  StaticLibraryDefinitionGenerator,
  SymbolState,
  type JITDylib,
  type ObjectUnit,
} from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';
import { DarwinNameGenerator, MachOPlatform } from '@jitlink/orc/macho';
import { SelfExecutorProcessControl } from '@jitlink/executor';
import { mergeObjectsSharingSections } from './aggregate-sections.js';
import { CheckRecorder } from './check.js';
import { HarnessPlugin } from './harness.js';
import { helpText, parseAlias, parseOptions, parseSectCreate, type CliOptions } from './options.js';
import {
  addSelfRelocations,
  makeDefinitionsHidden,
  relocatedSectionContents,
  relocatedSectionContentsJson,
  sectCreateGraph,
  sessionState,
  sessionStateText,
  SizeStats,
} from './link-extras.js';
import { describeGraph } from './graph/model.js';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Receives the link-phase notifications of every graph (for embedders' tracing and diagnostics). */
  observer?: LinkObserver;
  /**
   * Called once the inputs are opened, before anything is linked, with their
   * total size in bytes and the layer's graph budget (the command's binary
   * tunes V8's heap growth for inputs beyond the budget).
   */
  inputsOpened?: (totalBytes: number, graphBudget: number) => void;
}

export const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export const VERSION = '0.1.0';

/** Backends this command knows. */
export function createDefaultRegistry(): BackendRegistry {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  registry.register(createMachOBackend(x86_64MachO));
  return registry;
}

/** Milliseconds on a monotonic clock (process.hrtime: the global `performance` costs ~2 ms of start-up to load). */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

class Timer {
  private readonly totals = new Map<string, number>();
  private phaseStart = new Map<LinkGraph, { phase: LinkPhaseName; at: number }>();

  add(name: string, ms: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + ms);
  }
  async time<T>(name: string, f: () => Promise<T> | T): Promise<T> {
    const t0 = nowMs();
    try {
      return await f();
    } finally {
      this.add(name, nowMs() - t0);
    }
  }
  phase(phase: LinkPhaseName, graph: LinkGraph): void {
    const now = nowMs();
    const prev = this.phaseStart.get(graph);
    if (prev) this.add(`link: ${prev.phase}`, now - prev.at);
    if (phase === 'done') this.phaseStart.delete(graph);
    else this.phaseStart.set(graph, { phase, at: now });
  }
  toJson(): Record<string, number> {
    return Object.fromEntries([...this.totals].map(([name, ms]) => [name, Number(ms.toFixed(3))]));
  }
  report(): string {
    const lines = ['jitlink timers:'];
    for (const [name, ms] of this.totals) lines.push(`  ${ms.toFixed(3).padStart(10)} ms  ${name}`);
    return lines.join('\n') + '\n';
  }
}

/** The summed size of the object and archive files named (files that cannot be found count 0: reading them reports it). */
/** The named input files' sizes by path (one `stat` each), and their total. */
function namedInputSizes(inputs: CliOptions['inputs']): { total: number; sizes: Map<string, number> } {
  let total = 0;
  const sizes = new Map<string, number>();
  for (const input of inputs) {
    if (input.kind === 'jd' || input.kind === 'alias' || input.kind === 'sectcreate') continue;
    try {
      const path = input.kind === 'library' ? resolveLibrary(input.value, input.searchPaths ?? []) : input.value;
      const size = statSync(path).size;
      sizes.set(path, size);
      total += size;
    } catch {
      // reported when the input is read
    }
  }
  return { total, sizes };
}

function resolveLibrary(name: string, searchPaths: readonly string[]): string {
  for (const dir of searchPaths) {
    const candidate = join(dir, `lib${name}.a`);
    if (existsSync(candidate)) return candidate;
  }
  throw new JITLinkError(
    'InvalidArgument',
    `library -l${name} not found (searched for lib${name}.a in: ${searchPaths.length ? searchPaths.join(', ') : 'no -L directories'})`,
  );
}

/** A whole file (errors name it, as for every input). */
function readWholeFile(source: FileArchiveSource): Uint8Array {
  try {
    return source.read(0, source.size);
  } finally {
    source.close();
  }
}

export async function runJitlink(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  let options: CliOptions | undefined;
  try {
    if (argv[0] === 'graph') {
      const { runGraphCommand } = await import('./graph/command.js');
      return await runGraphCommand(argv.slice(1), createDefaultRegistry(), io);
    }
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
  const inputs = options.inputs.filter(
    (i) => i.kind === 'file' || i.kind === 'library' || i.kind === 'sectcreate',
  );
  if (inputs.length === 0) throw new JITLinkError('InvalidArgument', 'no input files (see --help)');

  const executor = new SelfExecutorProcessControl();
  for (const lib of options.preload) await executor.loadLibrary(lib);
  let memoryManager: JITLinkMemoryManager = executor.memoryManager;
  if (options.slabAllocate !== undefined) {
    if (!options.noexec && options.slabAddress !== undefined) {
      throw new JITLinkError('InvalidArgument', '-slab-address can only be simulated with -noexec');
    }
    memoryManager = new SlabMemoryManager({
      size: options.slabAllocate,
      baseAddress:
        options.slabAddress !== undefined
          ? addressFromBigInt(options.slabAddress, 'slab address')
          : undefined,
      pageSize: options.slabPageSize,
    });
  }

  const session = new ExecutionSession(executor as ExecutorProcessControl);
  const errors: Error[] = [];
  session.errorReporter = (e) => errors.push(e);
  const registry = createDefaultRegistry();
  const observers = [options.showTimes ? timer : undefined, io.observer].filter((o) => o !== undefined);
  const observer: LinkObserver | undefined =
    observers.length <= 1
      ? observers[0]
      : { phase: (name, graph) => observers.forEach((o) => o.phase?.(name, graph)) };
  const layer = new ObjectLinkingLayer(session, { memoryManager, registry, observer, graphBudget: options.graphBudget });
  const main = session.createJITDylib('main');
  const checks = options.checkFiles.length > 0 ? new CheckRecorder(layer) : undefined;

  // With --json every report goes into one document printed at the end.
  const report: Record<string, unknown> = {};
  const shownGraphs: unknown[] = [];
  const sectionContents: unknown[] = [];
  const sizes = new SizeStats();
  const graphPatterns = options.showGraphs.map((p) => new RegExp(p));
  if (
    graphPatterns.length > 0 ||
    options.showSizes ||
    options.showRelocatedSectionContents ||
    options.addSelfRelocations
  ) {
    layer.addPlugin({
      modifyPassConfig(_mr, graph, config) {
        if (options.addSelfRelocations) config.postPrunePasses.push(addSelfRelocations);
        if (options.showSizes) {
          config.prePrunePasses.push((g) => void (sizes.beforePruning += SizeStats.total(g)));
          config.postFixupPasses.push((g) => void (sizes.afterFixups += SizeStats.total(g)));
        }
        if (options.showRelocatedSectionContents) {
          config.postFixupPasses.push((g) => {
            if (options.json) sectionContents.push(relocatedSectionContentsJson(g));
            else io.stdout(relocatedSectionContents(g));
          });
        }
        if (!graphPatterns.some((re) => re.test(graph.name))) return;
        config.postFixupPasses.push((g) => {
          if (options.json) shownGraphs.push(describeGraph(g));
          else io.stdout(printLinkGraph(g));
        });
      },
      notifyFailed: () => undefined,
      notifyRemovingResources: () => undefined,
      notifyTransferringResources: () => undefined,
    });
  }

  const willRun = !options.noexec;
  // The platform also defines atexit/__cxa_atexit/__dso_handle, which -noexec links need too.
  const platform = await ElfPlatform.create(layer, main, executor);
  // MachO objects run as llvm-jitlink runs them on Linux: Darwin names map to the host's, initializers run.
  const machoPlatform = MachOPlatform.create(layer, executor);

  // Inputs, in command-line order; -jd switches the dylib that later inputs go to.
  const dylibs: JITDylib[] = [main];
  let current = main;
  const units: ObjectUnit[] = [];
  const objectGraphs = new Map<JITDylib, LinkGraph[]>();
  const harnessGraphs: LinkGraph[] = [];
  const aliases: { dylib: JITDylib; text: string }[] = [];
  // Reading inputs and building the graphs of the objects named here are timed
  // apart: building graphs is linking work (llvm-jitlink parses objects only
  // when it links them), reading files is not.
  let buildMs = 0;
  const building = <T>(f: () => T): T => {
    const t0 = nowMs();
    try {
      return f();
    } finally {
      buildMs += nowMs() - t0;
    }
  };
  const loadStart = nowMs();
  // Archives stay open (members are read when linked) until the session ends.
  const archiveFiles: FileArchiveSource[] = [];
  // The named inputs' total size decides, before any is read, whether the link
  // works for speed (archives read whole) or for memory: archives read on
  // demand, and graphs of at most half the budget built ahead of their links
  // (the 90 MB link's peak RSS ~345 -> ~300 MiB, in the same time).
  const { total: inputBytes, sizes: inputSizes } = namedInputSizes(options.inputs);
  const graphBudget = layer.graphBudget;
  const linkForMemory = inputBytes > graphBudget;
  if (linkForMemory) layer.graphBudget = Math.floor(graphBudget / 2);
  const closeArchives = (): void => archiveFiles.forEach((f) => f.close());
  try {
    for (const input of options.inputs) {
      if (input.kind === 'jd') {
        current = session.getJITDylibByName(input.value) ?? session.createJITDylib(input.value);
        if (!dylibs.includes(current)) dylibs.push(current);
        continue;
      }
      const path =
        input.kind === 'library' ? resolveLibrary(input.value, input.searchPaths ?? []) : input.value;
      if (input.kind === 'alias') {
        aliases.push({ dylib: current, text: input.value });
        continue;
      }
      if (input.kind === 'sectcreate') {
        const spec = parseSectCreate(input.value);
        const content = readWholeFile(new FileArchiveSource(spec.file));
        units.push(
          layer.add(
            current,
            building(() => sectCreateGraph(spec, content, executor.triple)),
          ),
        );
        continue;
      }
      // Its size as stat gave it above (a file changed since then is caught by the reads).
      const source = new FileArchiveSource(path, inputSizes.get(path));
      // Read whole at once unless archives are read on demand: the first bytes tell an archive from an object.
      let whole: Uint8Array | undefined;
      let magic: Uint8Array;
      try {
        if (linkForMemory) magic = source.read(0, Math.min(8, source.size));
        else magic = (whole = source.read(0, source.size)).subarray(0, 8);
      } catch (e) {
        source.close();
        throw e;
      } finally {
        if (whole !== undefined) source.close();
      }
      if (isArchive(magic)) {
        let archive: Archive;
        if (linkForMemory) {
          // Read on demand: headers and index now, each member when it is
          // loaded or linked, so that nothing holds the archive whole.
          archiveFiles.push(source);
          archive = parseArchive(source, path);
        } else {
          // Within it, one read of the whole file is faster.
          archive = parseArchive(whole!, path);
        }
        // -hidden-l / -load_hidden: the members' definitions are visible only within this dylib.
        current.addGenerator(
          new StaticLibraryDefinitionGenerator(
            layer,
            archive,
            { hideDefinitions: input.hidden === true },
          ),
        );
      } else {
        const bytes = whole ?? readWholeFile(source);
        const graph = building(() => registry.createLinkGraph(bytes, { name: path, arch: options.triple }));
        if (input.hidden) makeDefinitionsHidden(graph);
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
    building(() => {
      // Objects sharing a __start_X/__stop_X section are linked as one graph, as a static linker would.
      for (const [dylib, graphs] of objectGraphs) {
        for (const graph of mergeObjectsSharingSections(graphs)) {
          units.push(layer.add(dylib, graph, harness ? { interface: harness.testSetInterface(graph) } : {}));
        }
      }
      for (const graph of harnessGraphs) units.push(layer.add(main, graph));
    });
  } catch (e) {
    closeArchives();
    throw e;
  } finally {
    timer.add('read inputs', nowMs() - loadStart - buildMs);
    timer.add('build graphs', buildMs);
  }
  io.inputsOpened?.(inputBytes, graphBudget);
  // Every dylib searches the others after itself, in creation order.
  for (const d of dylibs) d.setLinkOrder(dylibs);
  // -alias [<jd>:]<alias>=[<jd>:]<target>: a re-export, defined where the alias names (or the current dylib).
  for (const { dylib, text } of aliases) {
    const spec = parseAlias(text);
    const named = (name: string | undefined, fallback: JITDylib) => {
      if (name === undefined) return fallback;
      const d = session.getJITDylibByName(name);
      if (!d)
        throw new JITLinkError('InvalidArgument', `In alias definition "${text}" no dylib named ${name}`);
      return d;
    };
    const aliasDylib = named(spec.aliasDylib, dylib);
    aliasDylib.define(reexports(named(spec.targetDylib, aliasDylib), [[spec.alias, spec.target]]));
  }

  for (const { name, address } of options.absolutes) {
    main.defineAbsolute(absoluteSymbols([[name, addressFromBigInt(address, `address of ${name}`)]]));
  }
  if (!options.noProcessSyms) {
    // The entry point must come from the linked code, never from this process (Node's own main).
    const notFromProcess = new Set([options.entry, 'main', '_' + options.entry, '_main']);
    for (const d of dylibs) {
      d.addGenerator(new ProcessSymbolsGenerator(executor, (n) => !notFromProcess.has(n)));
      d.addGenerator(new DarwinNameGenerator(executor, (n) => !notFromProcess.has(n)));
    }
  }
  if (options.phonyExternals) for (const d of dylibs) d.addGenerator(new PhonyExternalsGenerator());

  const searchOrder = dylibs;
  let exitCode = 0;
  try {
    let entryAddress: number | undefined;
    if (options.showInitES) {
      if (options.json) report.initialSessionState = sessionState(session);
      else io.stdout(sessionStateText(session));
    }
    await timer.time('link', async () => {
      // Every object named on the command line is linked, as a static linker would
      // (archive members only when something needs them).
      await session.materialize(units.map((u) => u.record!));
      // MachO objects name the entry point with Darwin's leading underscore (_main).
      const defines = (name: string) => dylibs.some((d) => d.symbols.get(name)?.record !== undefined);
      const entry = !defines(options.entry) && defines('_' + options.entry) ? '_' + options.entry : options.entry;
      const hasEntry = options.noexec ? dylibs.some((d) => d.symbols.has(entry)) : true;
      if (hasEntry) entryAddress = await session.lookupOne(searchOrder, entry);
    });
    if (errors.length > 0) throw errors[0];
    checks?.run(options, io.stderr);
    if (options.showEntryES) {
      if (options.json) report.entrySessionState = sessionState(session);
      else io.stdout(sessionStateText(session));
    }
    if (options.showSizes) {
      if (options.json) report.sizes = { beforePruning: sizes.beforePruning, afterFixups: sizes.afterFixups };
      else io.stdout(sizes.text());
    }
    if (options.json) {
      if (options.showGraphs.length > 0) report.graphs = shownGraphs;
      if (options.showRelocatedSectionContents) report.relocatedSectionContents = sectionContents;
    }

    if (options.showAddrs && options.json) {
      const addrs: { dylib: string; name: string; address: string; state: string }[] = [];
      for (const d of dylibs) {
        for (const [name, entry] of [...d.symbols].sort(([a], [b]) => a.localeCompare(b))) {
          if (entry.record)
            addrs.push({
              dylib: d.name,
              name,
              address: formatAddress(entry.address),
              state: SymbolState[entry.state]!,
            });
        }
      }
      report.addrs = addrs;
    } else if (options.showAddrs) {
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
        await machoPlatform.runInitializers();
        exitCode = await executor.runAsMain(entryAddress!, options.programArgs);
        await machoPlatform.runFinalizers();
        await platform.runFinalizers();
      });
    }
  } finally {
    if (options.showTimes && !options.json) io.stderr(timer.report());
    if (options.json) {
      if (options.showTimes) report.times = timer.toJson();
      // One document, on one line, after anything the program printed.
      io.stdout(JSON.stringify(report) + '\n');
    }
    await session.endSession().catch((e: unknown) => errors.push(toError(e)));
    await executor.dispose();
    closeArchives();
  }
  return exitCode;
}
