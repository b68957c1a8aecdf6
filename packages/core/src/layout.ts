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

export interface SegmentPlan {
  request: SegmentRequest;
  /** Blocks in layout order. */
  blocks: Block[];
  /** Offset of each block from the segment start. */
  offsets: number[];
}

export interface SegmentLayout {
  request: SegmentsRequest;
  /** Ordered by AllocGroup value: standard segments first, then finalize-only. */
  segments: SegmentPlan[];
}

export function computeSegmentLayout(graph: LinkGraph): SegmentLayout {
  const groups = new Map<AllocGroup, { sections: { ordinal: number; blocks: Block[] }[] }>();
  for (const section of graph.sections()) {
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
    for (const s of sections) {
      s.blocks.sort((a, b) => a.address - b.address);
      for (const b of s.blocks) (b.isZeroFill() ? zeroFill : content).push(b);
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
