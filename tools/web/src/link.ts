/**
 * Links one object into a simulated slab, as `jitlink -noexec -slab-address
 * <address> -phony-externals` does, and describes the outcome for the page:
 * symbols with their final addresses, each fixup's location and bytes, and
 * every block's relocated content. Browser-safe: core, format and
 * architecture packages only.
 */
import {
  BackendRegistry,
  MemLifetime,
  SlabMemoryManager,
  addressFromBigInt,
  formatAddress,
  link,
  printLinkGraph,
  type JITLinkContext,
  type LinkGraph,
  type LookupResult,
} from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { createMachOBackend } from '@jitlink/macho';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { x86_64MachO } from '@jitlink/arch-x86-64/macho';
import { aarch64BEElf, aarch64Elf } from '@jitlink/arch-arm64/elf';
import { linkGraphToDot } from '../../../packages/cli/src/graph/dot.js';

/** The slab: enough for any object of the test corpus. */
const SLAB_BYTES = 64 << 20;

export interface LinkedSymbol {
  name: string;
  address: string;
  size: number;
  section: string;
}

export interface LinkedFixup {
  /** Address of the fixed-up bytes. */
  address: string;
  kind: string;
  target: string;
  /** Up to 8 bytes from the fixup's location, after fixups, as hex pairs. */
  bytes: string;
}

export interface LinkedBlock {
  section: string;
  address: string;
  /** The block's bytes after fixups, as hex pairs (empty for zero-fill). */
  bytes: string;
}

export interface LinkOutcome {
  name: string;
  triple: string;
  symbols: LinkedSymbol[];
  fixups: LinkedFixup[];
  blocks: LinkedBlock[];
  /** The graph after the link, as `-show-graphs` prints it. */
  graphText: string;
  dot: string;
}

export function createRegistry(): BackendRegistry {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  registry.register(createElfBackend(aarch64Elf));
  registry.register(createElfBackend(aarch64BEElf));
  registry.register(createMachOBackend(x86_64MachO));
  return registry;
}

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** Parses "0x10000" or "65536" as a slab address. */
export function parseSlabAddress(text: string): number {
  const trimmed = text.trim();
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(trimmed)) throw new Error(`not an address: ${text}`);
  return addressFromBigInt(BigInt(trimmed), 'slab address');
}

export async function linkInSlab(
  bytes: Uint8Array,
  name: string,
  slabAddress: number,
  registry = createRegistry(),
): Promise<LinkOutcome> {
  const graph = registry.createLinkGraph(bytes, { name });
  const memory = new SlabMemoryManager({ size: SLAB_BYTES, baseAddress: slabAddress });
  let captured: { fixups: LinkedFixup[]; blocks: LinkedBlock[] } | undefined;
  let failure: Error | undefined;
  const context: JITLinkContext = {
    getMemoryManager: () => memory,
    // Every external resolves to 0 (llvm-jitlink's -phony-externals).
    lookup: async (request) => {
      const result: LookupResult = new Map();
      for (const external of request.keys()) result.set(external, 0);
      return result;
    },
    notifyResolved: () => {},
    notifyFinalized: () => {},
    notifyFailed: (error) => (failure = error),
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    // Block content is final right after fixups: read it there.
    modifyPassConfig: (_graph, config) => config.postFixupPasses.push((g) => void (captured = capture(g))),
  };
  await link(graph, context, registry.forGraph(graph));
  if (failure) throw failure;
  const symbols = [...graph.definedSymbols()]
    .filter((s) => s.name !== undefined && s.block.section.lifetime !== MemLifetime.NoAlloc)
    .map((s) => ({
      name: s.name!,
      address: formatAddress(s.address),
      size: s.size,
      section: s.block.section.name,
    }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.name < b.name ? -1 : 1));
  return {
    name: graph.name,
    triple: graph.triple,
    symbols,
    fixups: captured?.fixups ?? [],
    blocks: captured?.blocks ?? [],
    graphText: printLinkGraph(graph),
    dot: linkGraphToDot(graph).dot,
  };
}

function capture(graph: LinkGraph): { fixups: LinkedFixup[]; blocks: LinkedBlock[] } {
  const fixups: LinkedFixup[] = [];
  const blocks: LinkedBlock[] = [];
  for (const block of graph.blocks()) {
    if (block.section.lifetime === MemLifetime.NoAlloc) continue;
    const content = block.isZeroFill() ? undefined : block.getContent();
    blocks.push({
      section: block.section.name,
      address: formatAddress(block.address),
      bytes: content ? hex(content) : '',
    });
    for (const edge of block.edges) {
      if (!content) continue;
      const target =
        edge.target.name ?? `${edge.target.isDefined() ? edge.target.block.section.name : '<anonymous>'}`;
      fixups.push({
        address: formatAddress(block.address + edge.offset),
        kind: graph.getEdgeKindName(edge.kind),
        target:
          edge.addend === 0 ? target : `${target} ${edge.addend < 0 ? '-' : '+'} ${Math.abs(edge.addend)}`,
        bytes: hex(content.subarray(edge.offset, Math.min(edge.offset + 8, content.length))),
      });
    }
  }
  return { fixups, blocks };
}
