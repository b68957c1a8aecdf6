/**
 * Sorting blocks into segments: blocks of allocatable sections are grouped by
 * (protection, lifetime), ordered by section ordinal then original address,
 * content before zero-fill, each placed at its alignment and alignment offset.
 */
import { alignUpWithOffset } from './address.js';
import { JITLinkError } from './errors.js';
import type { Block, LinkGraph, Section } from './graph.js';
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
const byOrdinal = (a: Section, b: Section): number => a.ordinal - b.ordinal;

function inAddressOrder(blocks: readonly Block[]): boolean {
  for (let i = 1; i < blocks.length; i++) if (blocks[i - 1]!.address > blocks[i]!.address) return false;
  return true;
}

function inOrdinalOrder(sections: readonly Section[]): boolean {
  for (let i = 1; i < sections.length; i++) if (sections[i - 1]!.ordinal > sections[i]!.ordinal) return false;
  return true;
}

/** One group's blocks while they are collected: content in layout order, zero-fill after. */
interface GroupBlocks {
  group: AllocGroup;
  content: Block[];
  zeroFill: Block[];
}

/**
 * Groups `graph`'s allocated blocks into segments (one per AllocGroup), ordered and aligned, and
 * computes the memory request.
 */
export function computeSegmentLayout(graph: LinkGraph): SegmentLayout {
  // This runs once per graph, mostly before V8 optimizes it: index loops, a
  // short array of groups rather than a Map, and sorts only when the order
  // is not already right (sections come in ordinal order, and builders
  // create blocks in address order).
  let sections = graph.sectionList();
  if (!inOrdinalOrder(sections)) sections = sections.slice().sort(byOrdinal);
  const groups: GroupBlocks[] = [];
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]!;
    if (section.lifetime === MemLifetime.NoAlloc || section.blocks.size === 0) continue;
    const group = allocGroup(section.prot, section.lifetime);
    let entry: GroupBlocks | undefined;
    for (let g = 0; g < groups.length; g++) {
      if (groups[g]!.group === group) {
        entry = groups[g];
        break;
      }
    }
    if (entry === undefined) {
      // Kept ordered by AllocGroup value (a handful of groups: insertion).
      entry = { group, content: [], zeroFill: [] };
      let at = groups.length;
      while (at > 0 && groups[at - 1]!.group > group) at--;
      groups.splice(at, 0, entry);
    }
    const blocks = [...section.blocks];
    if (!inAddressOrder(blocks)) blocks.sort(byAddress);
    const { content, zeroFill } = entry;
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j]!;
      if (b.isZeroFill()) zeroFill.push(b);
      else content.push(b);
    }
  }

  const segments: SegmentPlan[] = [];
  const requests: SegmentRequest[] = [];
  for (let g = 0; g < groups.length; g++) {
    const { group, content, zeroFill } = groups[g]!;
    const blocks = content;
    const contentCount = content.length;
    for (let j = 0; j < zeroFill.length; j++) blocks.push(zeroFill[j]!);
    const offsets = new Array<number>(blocks.length);
    let cursor = 0;
    let alignment = 1;
    let contentSize = 0;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (i === contentCount) contentSize = cursor;
      cursor = alignUpWithOffset(cursor, b.alignment, b.alignmentOffset);
      offsets[i] = cursor;
      cursor += b.size;
      if (b.alignment > alignment) alignment = b.alignment;
    }
    if (contentCount === blocks.length) contentSize = cursor;
    if (!Number.isSafeInteger(cursor)) {
      throw new JITLinkError('AllocationFailed', `segment size overflows in ${graph.name}`);
    }
    const request: SegmentRequest = { group, alignment, contentSize, zeroFillSize: cursor - contentSize };
    requests.push(request);
    segments.push({ request, blocks, offsets });
  }
  return {
    request: {
      graphName: graph.name,
      segments: requests,
      requiresLow32BitAddresses: graph.requiresLow32BitAddresses,
    },
    segments,
  };
}
