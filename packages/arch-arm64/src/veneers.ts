/**
 * Branch range-extension veneers. A B/BL (Branch26PCRel) reaches ±128 MiB;
 * a callee in another section may land farther once layout is known. Such a
 * branch is pointed at a 16-byte veneer in `$__VENEERS` (R-X, so it is laid
 * out in the same segment as the code that calls it):
 *
 * ```
 * ldr x16, #8     ; load the literal below
 * br  x16         ; x16 (IP0) is the ABI's register for veneers
 * .quad T         ; Pointer64 edge to the callee
 * ```
 *
 * The literal form reaches any 64-bit address (an ADRP/ADD veneer only
 * ±4 GiB), and its one Pointer64 edge needs no page arithmetic.
 *
 * Room is reserved before allocation with core's TableManager, its layout
 * fixed after allocation, and slots filled in pre-fixup only for branches
 * that do not reach. A slot is reserved per distinct callee in another
 * section than a branch to it, unless layout cannot put them out of reach:
 * both sections fall in one segment (the same protection and lifetime, laid
 * out contiguously), and that segment, veneers included, spans less than
 * the branch's reach.
 */
import {
  allocGroup,
  fitsRange,
  MemLifetime,
  MemProt,
  TableManager,
  visitExistingEdges,
  type AllocGroup,
  type Block,
  type LinkGraph,
  type PassConfiguration,
  type Section,
  type Symbol,
} from '@jitlink/core';
import { aarch64EdgeKindInfo, AArch64EdgeKinds as K } from './edge-kinds.js';

export const VENEERS_SECTION_NAME = '$__VENEERS';
export const VENEER_SIZE = 16;
const BRANCH26_RANGE = aarch64EdgeKindInfo(K.Branch26PCRel)!.range;

/** ldr x16, #8; br x16; .quad 0 (the literal filled by the entry's Pointer64 edge). */
const VENEER_TEMPLATE = new Uint8Array(VENEER_SIZE);
{
  const view = new DataView(VENEER_TEMPLATE.buffer);
  view.setUint32(0, 0x58000050, true);
  view.setUint32(4, 0xd61f0200, true);
}

function createVeneerTable(graph: LinkGraph): TableManager {
  return new TableManager(graph, {
    sectionName: VENEERS_SECTION_NAME,
    sectionProt: MemProt.Read | MemProt.Exec,
    entrySize: VENEER_SIZE,
    alignment: 8,
    template: VENEER_TEMPLATE,
    callable: true,
    addEntryEdges: (block, offset, target) => block.appendEdge(K.Pointer64, offset + 8, target, 0),
  });
}

/** True when a Branch26PCRel edge's callee is in another section (so layout may put it out of reach). */
function mayBeOutOfRange(block: Block, target: Symbol): boolean {
  return target.isDefined() && target.block.section !== block.section;
}

const sectionGroup = (section: Section): AllocGroup => allocGroup(section.prot, section.lifetime);

/**
 * An upper bound of each segment's span (its blocks' sizes plus their
 * alignment padding): a segment is one contiguous range, so two blocks of
 * it are never farther apart than this.
 */
function segmentSpans(graph: LinkGraph): Map<AllocGroup, number> {
  const spans = new Map<AllocGroup, number>();
  for (const section of graph.sectionList()) {
    if (section.lifetime === MemLifetime.NoAlloc) continue;
    let span = 0;
    for (const block of section.blocks) span += block.size + block.alignment - 1;
    const group = sectionGroup(section);
    spans.set(group, (spans.get(group) ?? 0) + span);
  }
  return spans;
}

function inReach(block: Block, i: number, target: Symbol): boolean {
  const delta = target.address - (block.address + block.edgeOffset(i)) + block.edgeAddend(i);
  return fitsRange(BRANCH26_RANGE, delta);
}

/** True when `sym` is a veneer built by this module. */
export function isVeneer(sym: Symbol): boolean {
  return sym.isDefined() && sym.block.section.name === VENEERS_SECTION_NAME;
}

/**
 * Adds the veneer passes: reserve (post-prune, after the GOT/stub pass so
 * calls to stubs count too), fix the layout (post-allocation), and route
 * out-of-range branches through veneers (pre-fixup, after the stub bypass).
 */
export function addAArch64VeneerPasses(config: PassConfiguration): void {
  let table: TableManager | undefined;
  config.postPrunePasses.push((graph) => {
    // Branches between sections, by callee, with whether they stay within one segment and the largest addend.
    const callees = new Map<Symbol, { sameSegment: boolean; addend: number }>();
    visitExistingEdges(graph, (block, i, kind) => {
      if (kind !== K.Branch26PCRel) return;
      const target = block.edgeTarget(i);
      if (!mayBeOutOfRange(block, target)) return;
      const sameSegment = sectionGroup(block.section) === sectionGroup(target.block.section);
      const addend = Math.abs(block.edgeAddend(i));
      const known = callees.get(target);
      if (known === undefined) callees.set(target, { sameSegment, addend });
      else callees.set(target, { sameSegment: known.sameSegment && sameSegment, addend: Math.max(known.addend, addend) });
    });
    if (callees.size === 0) return;
    const spans = segmentSpans(graph);
    // The most veneers this graph could get, counted into the code segment's span.
    const veneerBytes = callees.size * VENEER_SIZE + 8;
    const executable = allocGroup(MemProt.Read | MemProt.Exec, MemLifetime.Standard);
    let slots = 0;
    for (const [target, { sameSegment, addend }] of callees) {
      const group = sectionGroup(target.block.section);
      const span = (spans.get(group) ?? 0) + (group === executable ? veneerBytes : 0) + addend;
      if (!sameSegment || span > BRANCH26_RANGE.max) slots++;
    }
    if (slots === 0) return;
    table = createVeneerTable(graph);
    table.reserve(slots);
  });
  config.postAllocationPasses.push(() => table?.fixLayout());
  config.preFixupPasses.push((graph) => {
    const veneers = table;
    if (veneers === undefined) return;
    visitExistingEdges(graph, (block, i, kind) => {
      if (kind !== K.Branch26PCRel) return;
      const target = block.edgeTarget(i);
      if (!mayBeOutOfRange(block, target) || isVeneer(target) || inReach(block, i, target)) return;
      // A veneer that is itself out of reach leaves the fixup's range error to name it.
      block.setEdgeTarget(i, veneers.getOrCreateEntry(target));
    });
  });
}
