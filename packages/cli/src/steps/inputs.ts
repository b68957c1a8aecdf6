/**
 * Inputs: the objects, archives and -sectcreate sections named on the command
 * line, read in command-line order (-jd switches the JITDylib later inputs go
 * to), and the objects' graphs added to the layer.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isArchive, JITLinkError, parseArchive, type Archive, type InputLimits, type LinkGraph } from '@jitlink/core';
import { mergeObjectsSharingSections } from '@jitlink/elf';
import { StaticLibraryDefinitionGenerator, type JITDylib, type ObjectUnit } from '@jitlink/orc';
import { DecodePool } from '../decode-pool.js';
import { FileArchiveSource, readInputFile } from '../file-source.js';
import { makeDefinitionsHidden, sectCreateGraph } from '../link-extras.js';
import { parseSectCreate, type CliOptions } from '../options.js';
import { nowMs, type Timer } from '../timer.js';
import type { HarnessPlugin } from '../harness.js';
import type { LinkSession } from './session.js';

export interface LoadedInputs {
  /** Every JITDylib inputs went to, `main` first, in creation order. */
  readonly dylibs: JITDylib[];
  /** Units added to the layer: linked when the link starts. */
  readonly units: ObjectUnit[];
  /** Objects named for each JITDylib, not yet added to the layer. */
  readonly objectGraphs: Map<JITDylib, LinkGraph[]>;
  /** Objects after -harness. */
  readonly harnessGraphs: LinkGraph[];
  /** -alias texts with the JITDylib current where each was given. */
  readonly aliases: { dylib: JITDylib; text: string }[];
  /** The named inputs' total size in bytes, and the layer's graph budget before any was read. */
  readonly inputBytes: number;
  readonly graphBudget: number;
  /** The worker threads decoding archive members ahead, if the link uses them. */
  readonly decodePool: DecodePool | undefined;
  /** Ends the decode pool's threads (linking is over): graphs built from now on are decoded here. */
  endDecoding(): void;
  /** Closes the archives still open (members are read from them when linked), and ends the decode pool. */
  close(): void;
}

/**
 * The named input files' sizes by path (one `stat` each), and their total.
 * Only regular files count: the others, and files that cannot be found, are
 * reported when they are opened.
 */
function namedInputSizes(inputs: CliOptions['inputs']): { total: number; sizes: Map<string, number> } {
  let total = 0;
  const sizes = new Map<string, number>();
  for (const input of inputs) {
    if (input.kind === 'jd' || input.kind === 'alias' || input.kind === 'sectcreate') continue;
    try {
      const path = input.kind === 'library' ? resolveLibrary(input.value, input.searchPaths ?? []) : input.value;
      const stats = statSync(path);
      // Only regular files' sizes: FileArchiveSource then skips its fstat, and refuses the others.
      if (!stats.isFile()) continue;
      sizes.set(path, stats.size);
      total += stats.size;
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

type OpenedInput =
  | { kind: 'object'; bytes: Uint8Array }
  /** `source` is the file an archive is read from on demand, open until the session ends. */
  | { kind: 'archive'; archive: Archive; source?: FileArchiveSource };

/**
 * An object (read whole) or an archive. `size` is the file's size as stat
 * gave it (a file changed since is caught by the reads). Archives are read
 * whole at once too, unless `onDemand`: then only their headers and index
 * now, each member when it is loaded or linked, so that nothing holds the
 * archive whole.
 */
function openInput(path: string, size: number | undefined, onDemand: boolean, limits: InputLimits): OpenedInput {
  const source = new FileArchiveSource(path, size);
  // The first bytes tell an archive from an object.
  let whole: Uint8Array | undefined;
  let magic: Uint8Array;
  try {
    if (onDemand) magic = source.read(0, Math.min(8, source.size));
    else magic = (whole = source.read(0, source.size)).subarray(0, 8);
  } catch (e) {
    source.close();
    throw e;
  } finally {
    if (whole !== undefined) source.close();
  }
  if (!isArchive(magic)) return { kind: 'object', bytes: whole ?? source.readAllAndClose() };
  // Within an archive read whole, one read of the file is faster.
  if (whole !== undefined) return { kind: 'archive', archive: parseArchive(whole, path, { limits }) };
  try {
    return { kind: 'archive', archive: parseArchive(source, path, { limits }), source };
  } catch (e) {
    source.close();
    throw e;
  }
}

/**
 * Reading inputs and building the graphs of the objects named here are timed
 * apart: building graphs is linking work (llvm-jitlink parses objects only
 * when it links them), reading files is not.
 */
export class InputClock {
  private readonly start = nowMs();
  private buildMs = 0;

  building<T>(f: () => T): T {
    const t0 = nowMs();
    try {
      return f();
    } finally {
      this.buildMs += nowMs() - t0;
    }
  }

  report(timer: Timer): void {
    timer.add('read inputs', nowMs() - this.start - this.buildMs);
    timer.add('build graphs', this.buildMs);
  }
}

export function readInputs(options: CliOptions, ls: LinkSession, clock: InputClock): LoadedInputs {
  const { layer, session, registry, main } = ls;
  const dylibs: JITDylib[] = [main];
  let current = main;
  const units: ObjectUnit[] = [];
  const objectGraphs = new Map<JITDylib, LinkGraph[]>();
  const harnessGraphs: LinkGraph[] = [];
  const aliases: { dylib: JITDylib; text: string }[] = [];
  // Archives stay open (members are read when linked) until the session ends.
  const archiveFiles: FileArchiveSource[] = [];
  let decodePool: DecodePool | undefined;
  const endDecoding = (): void => {
    if (decodePool === undefined) return;
    if (layer.decoder === decodePool) layer.decoder = undefined;
    void decodePool.close();
  };
  const close = (): void => {
    endDecoding();
    archiveFiles.forEach((f) => f.close());
  };
  // The named inputs' total size decides, before any is read, whether the link
  // works for speed (archives read whole) or for memory: archives read on
  // demand, and the parses kept for members' graphs, and the graphs alive at
  // once, held to half the budget (the 90 MB link's peak RSS ~345 -> ~300 MiB,
  // in the same time).
  const { total: inputBytes, sizes: inputSizes } = namedInputSizes(options.inputs);
  const graphBudget = layer.graphBudget;
  const linkForMemory = inputBytes > graphBudget;
  if (linkForMemory) layer.graphBudget = Math.floor(graphBudget / 2);
  // Archive members decoded on other threads when asked for: measured, it paid at no input size
  // on the 2-CPU machine of docs/performance.md ("Both cores"), so no link gets it by default.
  const decodeThreads = options.decodeThreads ?? 0;
  // Decoded and not yet built: at most the objects the layer lets have graphs at once.
  if (decodeThreads > 0) layer.decoder = decodePool = new DecodePool({ threads: decodeThreads, maxAheadBytes: layer.graphBudget });

  try {
    for (const input of options.inputs) {
      if (input.kind === 'jd') {
        current = session.getJITDylibByName(input.value) ?? session.createJITDylib(input.value);
        if (!dylibs.includes(current)) dylibs.push(current);
        continue;
      }
      if (input.kind === 'alias') {
        aliases.push({ dylib: current, text: input.value });
        continue;
      }
      if (input.kind === 'sectcreate') {
        const spec = parseSectCreate(input.value);
        const content = readInputFile(spec.file);
        units.push(layer.add(current, clock.building(() => sectCreateGraph(spec, content, ls.executor.triple, registry))));
        continue;
      }
      const path = input.kind === 'library' ? resolveLibrary(input.value, input.searchPaths ?? []) : input.value;
      const file = openInput(path, inputSizes.get(path), linkForMemory, options.limits);
      if (file.kind === 'archive') {
        if (file.source !== undefined) archiveFiles.push(file.source);
        // -hidden-l / -load_hidden: the members' definitions are visible only within this dylib.
        current.addGenerator(new StaticLibraryDefinitionGenerator(layer, file.archive, { hideDefinitions: input.hidden === true }));
      } else {
        const graph = clock.building(() => registry.createLinkGraph(file.bytes, { name: path, arch: options.triple, limits: options.limits }));
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
  } catch (e) {
    close();
    throw e;
  }
  return { dylibs, units, objectGraphs, harnessGraphs, aliases, inputBytes, graphBudget, decodePool, endDecoding, close };
}

/**
 * Adds the objects' graphs to the layer: the test set with the interface the
 * harness leaves it (if there is one), then the harness into `main`.
 */
export function addObjects(ls: LinkSession, inputs: LoadedInputs, harness: HarnessPlugin | undefined, clock: InputClock): void {
  clock.building(() => {
    for (const [dylib, graphs] of inputs.objectGraphs) {
      // Objects sharing a __start_X/__stop_X section are linked as one graph, as a static linker would.
      for (const graph of mergeObjectsSharingSections(graphs)) {
        inputs.units.push(ls.layer.add(dylib, graph, harness ? { interface: harness.testSetInterface(graph) } : {}));
      }
    }
    for (const graph of inputs.harnessGraphs) inputs.units.push(ls.layer.add(ls.main, graph));
  });
}
