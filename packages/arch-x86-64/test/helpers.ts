import {
  InMemoryMemoryManager,
  Linkage,
  LinkGraph,
  link,
  MemProt,
  Scope,
  type Block,
  type JITLinkAllocation,
  type JITLinkContext,
  type JITLinkMemoryManager,
  type LinkTarget,
  type LookupRequest,
  type LookupResult,
  type Section,
  type Symbol,
} from '@jitlink/core';
import { getX86_64EdgeKindName, x86_64LinkTarget } from '../src/index.js';

export function x86Graph(name = 'test.o'): LinkGraph {
  return new LinkGraph({
    name,
    triple: 'x86_64-unknown-linux-gnu',
    pointerSize: 8,
    endianness: 'little',
    getEdgeKindName: getX86_64EdgeKindName,
  });
}

export interface LinkOutcome {
  error: Error | undefined;
  allocation: JITLinkAllocation | undefined;
  /** Names the lookup was asked for. */
  requested: string[];
}

export interface LinkOptions {
  memory?: JITLinkMemoryManager;
  /** External symbol addresses; missing names are not resolved. */
  symbols?: Map<string, number> | ((name: string) => number | undefined);
  target?: LinkTarget;
  addDefaultPasses?: boolean;
}

/** Links `graph` and reports the outcome (the link itself never throws). */
export async function linkGraph(graph: LinkGraph, options: LinkOptions = {}): Promise<LinkOutcome> {
  const memory = options.memory ?? new InMemoryMemoryManager();
  const symbols = options.symbols ?? new Map<string, number>();
  const resolve = typeof symbols === 'function' ? symbols : (name: string) => symbols.get(name);
  const outcome: LinkOutcome = { error: undefined, allocation: undefined, requested: [] };
  const context: JITLinkContext = {
    getMemoryManager: () => memory,
    async lookup(request: LookupRequest): Promise<LookupResult> {
      const result: LookupResult = new Map();
      for (const name of request.keys()) {
        outcome.requested.push(name);
        const address = resolve(name);
        if (address !== undefined) result.set(name, address);
      }
      return result;
    },
    notifyResolved() {},
    notifyFinalized(allocation) {
      outcome.allocation = allocation;
    },
    notifyFailed(error) {
      outcome.error = error;
    },
    shouldAddDefaultTargetPasses: () => options.addDefaultPasses ?? true,
    getMarkLivePass: () => undefined,
    modifyPassConfig() {},
  };
  await link(graph, context, options.target ?? x86_64LinkTarget);
  return outcome;
}

/** Links and fails the test with the link error if there is one. */
export async function linkOk(graph: LinkGraph, options: LinkOptions = {}): Promise<LinkOutcome> {
  const outcome = await linkGraph(graph, options);
  if (outcome.error) throw outcome.error;
  return outcome;
}

export function textSection(graph: LinkGraph): Section {
  return graph.findSectionByName('.text') ?? graph.createSection('.text', MemProt.Read | MemProt.Exec);
}

export function dataSection(graph: LinkGraph): Section {
  return graph.findSectionByName('.data') ?? graph.createSection('.data', MemProt.Read | MemProt.Write);
}

/** A mutable content block with a symbol at its start. */
export function codeBlock(
  graph: LinkGraph,
  bytes: number[] | Uint8Array,
  name = 'code',
  section = textSection(graph),
): { block: Block; sym: Symbol } {
  const block = graph.createMutableContentBlock(section, Uint8Array.from(bytes), 0, 16, 0);
  const sym = graph.addDefinedSymbol(block, 0, name, block.size, Linkage.Strong, Scope.Default, true, true);
  return { block, sym };
}

export function absolute(graph: LinkGraph, name: string, address: number, size = 0): Symbol {
  return graph.addAbsoluteSymbol(name, address, size, Linkage.Strong, Scope.Default, true);
}

/** Reads `width` bytes little-endian as an unsigned bigint. */
export function readLE(bytes: Uint8Array, offset: number, width: number): bigint {
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
