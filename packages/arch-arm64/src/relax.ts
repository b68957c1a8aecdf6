/**
 * Pre-fixup relaxation: once addresses are known, a call or tail call
 * through a stub whose callee is within the ±128 MiB reach of B/BL is
 * pointed at the callee itself (the stub stays, unused, as llvm-jitlink's
 * x86-64 backend leaves bypassed stubs).
 */
import { fitsRange, type Block, type LinkGraph, type Symbol } from '@jitlink/core';
import { aarch64EdgeKindInfo, AArch64EdgeKinds as K } from './edge-kinds.js';
import { isADRP, page } from './encoders.js';
import { GOT_SECTION_NAME, gotEntryTarget, isStub, stubTarget, STUBS_SECTION_NAME, type AArch64GOTAndStubs } from './got-plt.js';

const BRANCH26_RANGE = aarch64EdgeKindInfo(K.Branch26PCRel)!.range;
const PAGE21_RANGE = aarch64EdgeKindInfo(K.Page21)!.range;

/**
 * Points calls through a stub at the callee when it is in reach. `tables`,
 * the link's GOT/stub builder, says which stub calls what; without it (or
 * for stubs it did not make) the stubs' edges are read.
 */
export function bypassReachableStubs(graph: LinkGraph, tables?: AArch64GOTAndStubs): void {
  optimizeAArch64GOTAndStubAccesses(graph, tables, true, false);
}

/** `ldr Xt, [Xn, #imm]` (64-bit, unsigned offset). */
const isLDR64UnsignedImm = (w: number): boolean => (w & 0xffc00000) >>> 0 === 0xf9400000;

/**
 * Pre-fixup relaxation of GOT loads: `adrp Xn, entry@PAGE` followed at the
 * next word by `ldr Xt, [Xn, entry@PAGEOFF]` becomes `adrp Xn, T@PAGE;
 * add Xt, Xn, T@PAGEOFF` when the target's page is within ADRP's ±4 GiB,
 * saving the load (the GOT entry stays, unused). Only adjacent pairs through
 * the same register are rewritten, so no other instruction can observe Xn
 * between them.
 */
export function relaxGOTLoads(graph: LinkGraph, tables?: AArch64GOTAndStubs): void {
  optimizeAArch64GOTAndStubAccesses(graph, tables, false, true);
}

/**
 * Both pre-fixup relaxations (the bypass of stubs whose callee is in reach,
 * and GOT-load relaxation) in one walk over the graph's edges: they act on
 * different edges (Branch26PCRel; Page21 with its PageOffset12).
 */
export function optimizeAArch64GOTAndStubAccesses(
  graph: LinkGraph,
  tables?: AArch64GOTAndStubs,
  bypass = true,
  relax = true,
): void {
  if (graph.findSectionByName(STUBS_SECTION_NAME) === undefined) bypass = false;
  if (graph.findSectionByName(GOT_SECTION_NAME) === undefined) relax = false;
  if (!bypass && !relax) return;
  // The link's GOT/stub pass lists the blocks where it lowered edges: the others have nothing to relax.
  const blocks = tables !== undefined ? tables.loweredBlocks : graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    // Stubs keep their shape (jitlink-check finds a stub's target through its GOT entry).
    const relaxHere = relax && block.section.name !== STUBS_SECTION_NAME;
    const count = block.edgeCount;
    for (let i = 0; i < count; i++) {
      const kind = block.edgeKind(i);
      if (kind === K.Branch26PCRel) {
        if (bypass) bypassStub(block, i, tables);
      } else if (kind === K.Page21 && relaxHere) relaxGOTLoad(graph, block, i, count, tables);
    }
  }
}

function bypassStub(block: Block, i: number, tables: AArch64GOTAndStubs | undefined): void {
  const stub = block.edgeTarget(i);
  const callee = tables?.stubTarget(stub) ?? (isStub(stub) ? stubTarget(stub) : undefined);
  if (callee === undefined) return;
  const delta = callee.address - (block.address + block.edgeOffset(i)) + block.edgeAddend(i);
  if (fitsRange(BRANCH26_RANGE, delta)) block.setEdgeTarget(i, callee);
}

function relaxGOTLoad(graph: LinkGraph, block: Block, i: number, count: number, tables: AArch64GOTAndStubs | undefined): void {
  if (block.edgeAddend(i) !== 0) return;
  const entry = block.edgeTarget(i);
  const target = tables?.gotEntryTarget(entry) ?? gotEntryTarget(entry);
  if (target === undefined) return;
  const offset = block.edgeOffset(i);
  // The pair's edge is usually the next one (ELF lists relocations by offset) or the previous
  // one (MachO lists them last to first); only otherwise are the block's edges searched.
  let j = i + 1 < count && isPageOffsetPair(block, i + 1, offset, entry) ? i + 1 : i > 0 && isPageOffsetPair(block, i - 1, offset, entry) ? i - 1 : -1;
  for (let k = 0; j < 0 && k < count; k++) if (isPageOffsetPair(block, k, offset, entry)) j = k;
  if (j < 0) return;
  const content = block.getMutableContent(graph);
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const adrp = view.getUint32(offset, true);
  const ldr = view.getUint32(offset + 4, true);
  if (!isADRP(adrp) || !isLDR64UnsignedImm(ldr) || ((ldr >>> 5) & 31) !== (adrp & 31)) return;
  const pageDelta = page(target.address) - page(block.address + offset);
  if (!fitsRange(PAGE21_RANGE, pageDelta)) return;
  // add Xt, Xn, #0 (the PageOffset12 fixup fills the low 12 bits, unscaled for ADD).
  view.setUint32(offset + 4, (0x91000000 | (ldr & 0x3ff)) >>> 0, true);
  block.setEdgeTarget(i, target);
  block.setEdgeTarget(j, target);
}

/** Whether edge `k` of `block` is the PageOffset12 (addend 0) to `entry` that completes a Page21 at `offset`. */
function isPageOffsetPair(block: Block, k: number, offset: number, entry: Symbol): boolean {
  return block.edgeOffset(k) === offset + 4 && block.edgeKind(k) === K.PageOffset12 && block.edgeTarget(k) === entry && block.edgeAddend(k) === 0;
}
