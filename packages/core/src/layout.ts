/**
 * Sorting blocks into segments: blocks of allocatable sections are grouped by
 * (protection, lifetime), ordered by section ordinal then original address,
 * content before zero-fill, each placed at its alignment and alignment offset.
 */
import { alignUpWithOffset } from './address.js';
import { JITLinkError } from './errors.js';
import type { Block, LinkGraph } from './graph.js';
import { allocGroup, MemLifetime, type AllocGroup } from './memory-flags.js';
import type { SegmentRequest, SegmentsRequest } from './memory-manager.js';

/** One segment of a graph's layout: its request and where each of its blocks goes in it. */
export interface SegmentPlan {
  request: SegmentRequest;
  /** Blocks in layout order. */
  blocks: Block[];
  /** Offset of each block from the segment start. */
  offsets: number[];
}

/**
 * A graph's blocks grouped into segments by protection and lifetime, and the request for the
 * memory manager.
 */
export interface SegmentLayout {
  request: SegmentsRequest;
  /** Ordered by AllocGroup value: standard segments first, then finalize-only. */
  segments: SegmentPlan[];
}

const byAddress = (a: Block, b: Block): number => a.address - b.address;

function inAddressOrder(blocks: readonly Block[]): boolean {
  for (let i = 1; i < blocks.length; i++) if (blocks[i - 1]!.address > blocks[i]!.address) return false;
  return true;
}

/**
 * Groups `graph`'s allocated blocks into segments (one per AllocGroup), ordered and aligned, and
 * computes the memory request.
 */
export function computeSegmentLayout(graph: LinkGraph): SegmentLayout {
  const groups = new Map<AllocGroup, { sections: { ordinal: number; blocks: Block[] }[] }>();
  // Indexed loops: this runs once per graph, mostly before V8 optimizes it, and
  // unoptimized for-of allocates a result per element.
  const graphSections = graph.sectionList();
  for (let i = 0; i < graphSections.length; i++) {
    const section = graphSections[i]!;
    if (section.lifetime === MemLifetime.NoAlloc || section.blocks.size === 0) continue;
    const group = allocGroup(section.prot, section.lifetime);
    let entry = groups.get(group);
    if (!entry) groups.set(group, (entry = { sections: [] }));
    entry.sections.push({ ordinal: section.ordinal, blocks: [...section.blocks] });
  }

  const segments: SegmentPlan[] = [];
  for (const group of [...groups.keys()].sort((a, b) => a - b)) {
    const sections = groups.get(group)!.sections.sort((a, b) => a.ordinal - b.ordinal);
    const content: Block[] = [];
    const zeroFill: Block[] = [];
    for (let i = 0; i < sections.length; i++) {
      const blocks = sections[i]!.blocks;
      // Builders create blocks in address order; sort (which copies) only when they are not.
      if (!inAddressOrder(blocks)) blocks.sort(byAddress);
      for (let j = 0; j < blocks.length; j++) {
        const b = blocks[j]!;
        (b.isZeroFill() ? zeroFill : content).push(b);
      }
    }
    const blocks = content.concat(zeroFill);
    const offsets = new Array<number>(blocks.length);
    let cursor = 0;
    let alignment = 1;
    let contentSize = 0;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (i === content.length) contentSize = cursor;
      cursor = alignUpWithOffset(cursor, b.alignment, b.alignmentOffset);
      offsets[i] = cursor;
      cursor += b.size;
      if (b.alignment > alignment) alignment = b.alignment;
    }
    if (content.length === blocks.length) contentSize = cursor;
    if (!Number.isSafeInteger(cursor)) {
      throw new JITLinkError('AllocationFailed', `segment size overflows in ${graph.name}`);
    }
    segments.push({
      request: { group, alignment, contentSize, zeroFillSize: cursor - contentSize },
      blocks,
      offsets,
    });
  }
  return {
    request: { graphName: graph.name, segments: segments.map((s) => s.request),
      requiresLow32BitAddresses: graph.requiresLow32BitAddresses,
    },
    segments,
  };
}
