/** Linking AArch64 objects into a simulated slab, as `jitlink -noexec -slab-allocate` does. */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  formatCheckFailure,
  link,
  LinkedGraphsCheckerContext,
  LinkGraph,
  runCheckFile,
  SlabMemoryManager,
  toBigInt,
  type JITLinkContext,
  type LookupRequest,
  type LookupResult,
  type LinkTarget,
} from '@jitlink/core';
import { createElfLinkGraph, setThreadLocalResolver, type ThreadLocalResolver } from '@jitlink/elf';
import type { ElfArchSupport } from '@jitlink/elf';
import { aarch64Elf, elfAArch64Target } from '../src/elf/index.js';
import { aarch64CheckTables, aarch64InstructionDecoder, getAArch64EdgeKindName } from '../src/index.js';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const CORPUS = resolve(REPO_ROOT, 'test-corpus/obj');

export function aarch64Graph(name = 'test.o'): LinkGraph {
  return new LinkGraph({
    name,
    triple: 'aarch64-unknown-linux-gnu',
    pointerSize: 8,
    endianness: 'little',
    getEdgeKindName: getAArch64EdgeKindName,
  });
}

export interface SlabLinkOptions {
  /** -abs definitions: every external the object needs must be here. */
  absolutes?: Record<string, number>;
  /** Resolves names not in `absolutes` (e.g. to fake addresses); undefined leaves them unresolved. */
  resolve?: (name: string) => number | undefined;
  slabAddress?: number;
  slabSize?: number;
  /** The ELF support to build with (default aarch64Elf). */
  elf?: ElfArchSupport;
  /** Fixups and passes to link with (default ELF/aarch64's). */
  target?: LinkTarget;
  /**
   * Thread-local storage as `jitlink -noexec` simulates one module (default on): the graph's
   * .tdata/.tbss form one block with module id 2, placed after the 16-byte TCB (variant I).
   */
  threadLocal?: boolean;
}

/**
 * A ThreadLocalResolver for one graph whose TLS sections form its only module: a variable's
 * offset in the block is its distance from the first TLS block's address.
 */
export function singleModuleTLS(graph: LinkGraph): ThreadLocalResolver {
  return {
    lookup(address) {
      const blocks = [...graph.sections()].filter((s) => s.name.startsWith('.tdata') || s.name.startsWith('.tbss')).flatMap((s) => [...s.blocks]);
      const inside = blocks.find((b) => address >= b.address && address < b.address + Math.max(b.size, 1));
      if (inside === undefined) return undefined;
      const blockOffset = address - Math.min(...blocks.map((b) => b.address));
      return { moduleId: 2, blockOffset, threadPointerOffset: 16 + blockOffset };
    },
  };
}

export interface SlabLinkResult {
  error: Error | undefined;
  graph: LinkGraph;
  checker: LinkedGraphsCheckerContext;
}

/** Builds and links one ELF aarch64 object into a slab; records it for jitlink-check. */
export async function linkObject(path: string, options: SlabLinkOptions = {}): Promise<SlabLinkResult> {
  const bytes = readFileSync(path);
  const graph = createElfLinkGraph(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), options.elf ?? aarch64Elf, { name: path });
  return linkGraphInSlab(graph, options);
}

export async function linkGraphInSlab(graph: LinkGraph, options: SlabLinkOptions = {}): Promise<SlabLinkResult> {
  const absolutes = options.absolutes ?? {};
  if (options.threadLocal !== false) setThreadLocalResolver(graph, singleModuleTLS(graph));
  const memory = new SlabMemoryManager({
    size: options.slabSize ?? 1024 * 1024,
    baseAddress: options.slabAddress ?? 0x10000,
    pageSize: 4096,
  });
  const checker = new LinkedGraphsCheckerContext({ decoder: aarch64InstructionDecoder });
  for (const [name, address] of Object.entries(absolutes)) checker.defineSymbol(name, toBigInt(address));
  const result: SlabLinkResult = { error: undefined, graph, checker };
  const context: JITLinkContext = {
    getMemoryManager: () => memory,
    async lookup(request: LookupRequest): Promise<LookupResult> {
      const found: LookupResult = new Map();
      for (const name of request.keys()) {
        const address = absolutes[name] ?? options.resolve?.(name);
        if (address !== undefined) found.set(name, address);
      }
      return found;
    },
    notifyResolved() {},
    notifyFinalized() {},
    notifyFailed(error) {
      result.error = error;
    },
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    modifyPassConfig(_graph, config) {
      config.postFixupPasses.push((g) => checker.recordGraph(g, aarch64CheckTables(g)));
    },
  };
  await link(graph, context, options.target ?? elfAArch64Target);
  return result;
}

/** Runs a check file against a linked object; returns the failures as text (empty when all pass) and the count. */
export function runChecks(checker: LinkedGraphsCheckerContext, checkFile: string): { failures: string[]; checks: number } {
  const report = runCheckFile(readFileSync(checkFile, 'utf8'), checker, { file: basename(checkFile) });
  return { failures: report.failures.map(formatCheckFailure), checks: report.checks };
}
