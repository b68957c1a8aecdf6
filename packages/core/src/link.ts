/**
 * The generic link algorithm, in three phases:
 *
 * Phase 1: pre-prune passes (ending with the context's mark-live pass), prune,
 *   post-prune passes, sort blocks into segments, allocate, post-allocation
 *   passes, notifyResolved, asynchronous lookup of external symbols.
 * Phase 2: apply the lookup result, pre-fixup passes, copy content into working
 *   memory and apply fixups, post-fixup passes, asynchronous finalize.
 * Phase 3: notifyFinalized, handing the allocation to the context.
 *
 * Any error stops the link, frees what was allocated, and reaches
 * notifyFailed exactly once.
 */
import { formatAddress, isRepresentableAddress, type TargetAddress } from './address.js';
import { EdgeKinds } from './edge-kinds.js';
import { JITLinkError, joinErrors, toError } from './errors.js';
import { Edge, Linkage, type Block, type LinkGraph, type Symbol } from './graph.js';
import { computeSegmentLayout, type SegmentLayout } from './layout.js';
import type { JITLinkAllocation, JITLinkDylib, JITLinkMemoryManager } from './memory-manager.js';

/** A pass inspects or modifies the graph. Throwing (or rejecting) stops the link. */
export type LinkGraphPass = (graph: LinkGraph) => void | Promise<void>;

/**
 * The link's pass pipeline: the passes run at each phase, in order. Backends and contexts add
 * theirs.
 */
export class PassConfiguration {
  /** Before dead-stripping; the context's mark-live pass runs after these. */
  readonly prePrunePasses: LinkGraphPass[] = [];
  /** After dead-stripping, before allocation: build GOT/PLT/TLV entries here. */
  readonly postPrunePasses: LinkGraphPass[] = [];
  /** After addresses are assigned, before the context is told of them. */
  readonly postAllocationPasses: LinkGraphPass[] = [];
  /** After external symbols are resolved, before fixups: relaxation goes here. */
  readonly preFixupPasses: LinkGraphPass[] = [];
  /** After fixups: block content is the final bytes. */
  readonly postFixupPasses: LinkGraphPass[] = [];
}

/**
 * How an external symbol is referenced: a required one must be found; a weakly referenced one may
 * resolve to 0.
 */
export enum SymbolLookupFlags {
  RequiredSymbol = 0,
  WeaklyReferencedSymbol = 1,
}

/** External symbols to resolve: name -> how it is referenced. */
export type LookupRequest = Map<string, SymbolLookupFlags>;

/** Resolved addresses by name. Weak references may be missing (they resolve to 0). */
export type LookupResult = Map<string, TargetAddress>;

/** What the generic algorithm needs from a format/architecture backend. */
export interface LinkTarget {
  /**
   * Applies one edge's fixup. `content` is the block's working memory and
   * `view` a DataView over the same bytes. `edge` describes the edge for the
   * duration of the call only: the link may reuse the object for the next edge.
   */
  applyFixup(graph: LinkGraph, block: Block, edge: Edge, content: Uint8Array, view: DataView): void;
  /** Adds the target's default passes (GOT/PLT building, relaxation, eh-frame handling...). */
  addDefaultPasses?(graph: LinkGraph, config: PassConfiguration): void;
}

/** The link's connection to the outside world: memory, symbol resolution, notifications. */
export interface JITLinkContext {
  /** The simulated dylib this graph is linked into. */
  readonly dylib?: JITLinkDylib;
  getMemoryManager(): JITLinkMemoryManager;
  /** Resolves external symbols. */
  lookup(request: LookupRequest, graph: LinkGraph): Promise<LookupResult>;
  /** Called once symbol addresses are assigned (before externals are resolved). */
  notifyResolved(graph: LinkGraph): void | Promise<void>;
  /** Called when the graph's memory is finalized; the context now owns the allocation. */
  notifyFinalized(allocation: JITLinkAllocation, graph: LinkGraph): void;
  /** Called exactly once if the link fails. */
  notifyFailed(error: Error, graph: LinkGraph | undefined): void;
  shouldAddDefaultTargetPasses(graph: LinkGraph): boolean;
  /** The pass that marks live roots; undefined means mark every defined symbol live. */
  getMarkLivePass(graph: LinkGraph): LinkGraphPass | undefined;
  modifyPassConfig(graph: LinkGraph, config: PassConfiguration): void;
}

/** Marks every defined symbol live (the default mark-live pass). */
export function markAllSymbolsLive(graph: LinkGraph): void {
  for (const section of graph.sections()) for (const sym of section.symbols) sym.live = true;
}

/** Number of the last graph walk (see Block.walkMark). */
let lastWalk = 0;

/**
 * Dead-strips the graph: keeps the blocks reachable from live symbols through
 * edges, and removes every defined symbol not live, every unreachable block,
 * and every external or absolute symbol not live.
 */
export function prune(graph: LinkGraph): void {
  // forEach rather than for-of: the prune of a small graph runs before V8
  // optimizes it, and unoptimized for-of allocates a result per element.
  const worklist: Symbol[] = [];
  graph.forEachDefinedSymbol((sym) => {
    if (sym.live) worklist.push(sym);
  });
  for (const sym of graph.absoluteSymbols()) if (sym.live) worklist.push(sym);
  // A fresh number per walk marks visited blocks without a Set (or a reset pass).
  const walk = ++lastWalk;
  while (worklist.length > 0) {
    const sym = worklist.pop()!;
    if (!sym.base.isDefined) continue;
    const block = sym.base as Block;
    if (block.walkMark === walk) continue;
    block.walkMark = walk;
    const edgeCount = block.edgeCount;
    for (let i = 0; i < edgeCount; i++) {
      const target = block.edgeTarget(i);
      if (!target.live) {
        target.live = true;
        worklist.push(target);
      }
    }
  }
  const deadSymbols: Symbol[] = [];
  const deadBlocks: Block[] = [];
  graph.forEachDefinedSymbol((sym) => {
    if (!sym.live) deadSymbols.push(sym);
  });
  const blocks = graph.blockList();
  for (let i = 0; i < blocks.length; i++) if (blocks[i]!.walkMark !== walk) deadBlocks.push(blocks[i]!);
  for (let i = 0; i < deadSymbols.length; i++) graph.removeDefinedSymbol(deadSymbols[i]!);
  // A live symbol can only sit in a visited block, so the blocks are free.
  for (let i = 0; i < deadBlocks.length; i++) graph.removeBlock(deadBlocks[i]!);
  const deadExternals: Symbol[] = [];
  const externals = [...graph.externalSymbols()];
  for (let i = 0; i < externals.length; i++) if (!externals[i]!.live) deadExternals.push(externals[i]!);
  for (let i = 0; i < deadExternals.length; i++) graph.removeExternalSymbol(deadExternals[i]!);
  const deadAbsolutes: Symbol[] = [];
  for (const sym of graph.absoluteSymbols()) if (!sym.live) deadAbsolutes.push(sym);
  for (const sym of deadAbsolutes) graph.removeAbsoluteSymbol(sym);
}

/** Observes the phases of a link, for timing and diagnostics. */
export interface LinkObserver {
  phase?(name: LinkPhaseName, graph: LinkGraph): void;
}

/** The phases of a link, as a `LinkObserver` hears of them. */
export type LinkPhaseName =
  | 'pre-prune'
  | 'prune'
  | 'post-prune'
  | 'allocate'
  | 'post-allocation'
  | 'notify-resolved'
  | 'lookup'
  | 'pre-fixup'
  | 'fixup'
  | 'post-fixup'
  | 'finalize'
  | 'done';

/**
 * Runs `passes` in order. Synchronous all the way when every pass is (the
 * usual case: no promise, no extra turn of the event loop per pass list);
 * from the first pass that returns a promise on, the rest run after it settles.
 */
function runPasses(passes: readonly unknown[], graph: LinkGraph, from = 0): Promise<void> | undefined {
  // Index loop: a pass may append later passes to the same list.
  for (let i = from; i < passes.length; i++) {
    const result = (passes[i] as LinkGraphPass)(graph);
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      return (result as Promise<void>).then(() => runPasses(passes, graph, i + 1));
    }
  }
  return undefined;
}

/**
 * Links `graph` through `context` using `target`'s fixups and default passes.
 * The returned promise settles after notifyFinalized or notifyFailed has been
 * called; it never rejects.
 */
export async function link(
  graph: LinkGraph,
  context: JITLinkContext,
  target: LinkTarget,
  observer?: LinkObserver,
): Promise<void> {
  let allocation: JITLinkAllocation | undefined;
  let handedOver = false;
  try {
    const config = new PassConfiguration();
    if (context.shouldAddDefaultTargetPasses(graph)) target.addDefaultPasses?.(graph, config);
    context.modifyPassConfig(graph, config);

    // ---- Phase 1 ----
    observer?.phase?.('pre-prune', graph);
    // Pass lists run synchronously unless a pass returns a promise.
    let pending = runPasses(config.prePrunePasses, graph);
    if (pending) await pending;
    const markLive = context.getMarkLivePass(graph) ?? markAllSymbolsLive;
    pending = markLive(graph) as Promise<void> | undefined;
    if (pending) await pending;

    observer?.phase?.('prune', graph);
    prune(graph);

    observer?.phase?.('post-prune', graph);
    pending = runPasses(config.postPrunePasses, graph);
    if (pending) await pending;

    observer?.phase?.('allocate', graph);
    const layout = computeSegmentLayout(graph);
    allocation = await context.getMemoryManager().allocate(context.dylib, layout.request);
    assignAddresses(graph, layout, allocation);

    observer?.phase?.('post-allocation', graph);
    pending = runPasses(config.postAllocationPasses, graph);
    if (pending) await pending;

    observer?.phase?.('notify-resolved', graph);
    await context.notifyResolved(graph);

    observer?.phase?.('lookup', graph);
    const request: LookupRequest = new Map();
    const externals = [...graph.externalSymbols()];
    for (let i = 0; i < externals.length; i++) {
      const sym = externals[i]!;
      request.set(
        sym.name!,
        sym.linkage === Linkage.Weak
          ? SymbolLookupFlags.WeaklyReferencedSymbol
          : SymbolLookupFlags.RequiredSymbol,
      );
    }
    const result: LookupResult = request.size > 0 ? await context.lookup(request, graph) : new Map();

    // ---- Phase 2 ----
    applyLookupResult(graph, result);

    observer?.phase?.('pre-fixup', graph);
    pending = runPasses(config.preFixupPasses, graph);
    if (pending) await pending;

    observer?.phase?.('fixup', graph);
    copyAndFixUp(graph, layout, allocation, target);

    observer?.phase?.('post-fixup', graph);
    pending = runPasses(config.postFixupPasses, graph);
    if (pending) await pending;

    observer?.phase?.('finalize', graph);
    await allocation.finalize(graph.allocActions);

    // ---- Phase 3 ----
    handedOver = true;
    context.notifyFinalized(allocation, graph);
    observer?.phase?.('done', graph);
  } catch (thrown) {
    let error = toError(thrown);
    if (allocation !== undefined && !handedOver) {
      try {
        await allocation.deallocate();
      } catch (deallocError) {
        error = joinErrors([error, toError(deallocError)]);
      }
    }
    context.notifyFailed(error, graph);
  }
}

function assignAddresses(graph: LinkGraph, layout: SegmentLayout, allocation: JITLinkAllocation): void {
  // Index loops here and in copyAndFixUp: unoptimized for-of allocates an iteration result per element.
  const segments = layout.segments;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    const base = allocation.getTargetMemory(seg.request.group);
    if (!isRepresentableAddress(base)) {
      throw new JITLinkError(
        'AddressNotRepresentable',
        `memory manager returned an inexact address for ${graph.name}`,
      );
    }
    const blocks = seg.blocks;
    const offsets = seg.offsets;
    for (let i = 0; i < blocks.length; i++) blocks[i]!.address = base + offsets[i]!;
  }
}

function applyLookupResult(graph: LinkGraph, result: LookupResult): void {
  const missing: string[] = [];
  const externals = [...graph.externalSymbols()];
  for (let i = 0; i < externals.length; i++) {
    const sym = externals[i]!;
    const address = result.get(sym.name!);
    if (address !== undefined) {
      if (!isRepresentableAddress(address)) {
        throw new JITLinkError(
          'AddressNotRepresentable',
          `lookup returned an inexact address for ${sym.name}`,
          { file: graph.name },
        );
      }
      sym.base.address = address;
    } else if (sym.linkage === Linkage.Weak) {
      sym.base.address = 0;
    } else {
      missing.push(sym.name!);
    }
  }
  if (missing.length > 0) {
    throw new JITLinkError('SymbolsNotFound', `symbols not found: [ ${missing.join(', ')} ]`, {
      file: graph.name,
    });
  }
}

function copyAndFixUp(
  graph: LinkGraph,
  layout: SegmentLayout,
  allocation: JITLinkAllocation,
  target: LinkTarget,
): void {
  // One Edge object carries each edge in turn to applyFixup (see LinkTarget).
  let edge: Edge | undefined;
  const segments = layout.segments;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    const memory = allocation.getWorkingMemory(seg.request.group);
    const blocks = seg.blocks;
    const offsets = seg.offsets;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!;
      const edgeCount = block.edgeCount;
      if (block.isZeroFill()) {
        for (let j = 0; j < edgeCount; j++) {
          if (block.edgeKind(j) >= EdgeKinds.FirstRelocation) {
            throw new JITLinkError(
              'MalformedObject',
              `zero-fill block at ${formatAddress(block.address)} has relocations`,
              { file: graph.name, section: block.section.name },
            );
          }
        }
        continue;
      }
      const start = offsets[i]!;
      const content = block.getContent();
      memory.set(content, start);
      const working = memory.subarray(start, start + content.length);
      block.setMutableContent(working);
      if (edgeCount === 0) continue;
      const blockView = new DataView(memory.buffer, memory.byteOffset + start, content.length);
      edge ??= new Edge(EdgeKinds.Invalid, 0, block.edgeTarget(0), 0);
      for (let j = 0; j < edgeCount; j++) {
        block.readEdge(j, edge);
        if (edge.kind < EdgeKinds.FirstRelocation) {
          if (edge.kind === EdgeKinds.Invalid) {
            throw new JITLinkError(
              'InvalidGraphOperation',
              `invalid edge kind at ${formatAddress(block.address + edge.offset)}`,
              { file: graph.name, section: block.section.name },
            );
          }
          continue;
        }
        if (!edge.target.inGraph) {
          throw new JITLinkError(
            'InvalidGraphOperation',
            `edge at ${formatAddress(block.address + edge.offset)} targets ${edge.target.describe()}, which was removed from the graph`,
            { file: graph.name, section: block.section.name },
          );
        }
        target.applyFixup(graph, block, edge, working, blockView);
      }
    }
  }
}
