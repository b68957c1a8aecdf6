/**
 * Pre-fixup relaxation: once addresses are known, a call or tail call
 * through a stub whose callee is within the ±128 MiB reach of B/BL is
 * pointed at the callee itself (the stub stays, unused, as llvm-jitlink's
 * x86-64 backend leaves bypassed stubs).
 */
import { fitsRange, type LinkGraph, type Symbol } from '@jitlink/core';
import { aarch64EdgeKindInfo, AArch64EdgeKinds as K } from './edge-kinds.js';
import { isADRP, page } from './encoders.js';
import { GOT_SECTION_NAME, gotEntryTarget, isStub, stubGOTEntry, STUBS_SECTION_NAME, type AArch64GOTAndStubs } from './got-plt.js';

const BRANCH26_RANGE = aarch64EdgeKindInfo(K.Branch26PCRel)!.range;
const PAGE21_RANGE = aarch64EdgeKindInfo(K.Page21)!.range;

/** The callee behind a stub built by the GOT/stub pass, or undefined. */
function stubCallee(stub: Symbol): Symbol | undefined {
  const entry = stubGOTEntry(stub);
  return entry === undefined ? undefined : gotEntryTarget(entry);
}

/**
 * Points calls through a stub at the callee when it is in reach. `tables`,
 * the link's GOT/stub builder, says which stub calls what; without it the
 * stubs' edges are read.
 */
export function bypassReachableStubs(graph: LinkGraph, tables?: AArch64GOTAndStubs): void {
  if (graph.findSectionByName(STUBS_SECTION_NAME) === undefined) return;
  const callees = tables?.stubCallees();
  const blocks = graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const count = block.edgeCount;
    for (let i = 0; i < count; i++) {
      if (block.edgeKind(i) !== K.Branch26PCRel) continue;
      const stub = block.edgeTarget(i);
      if (!isStub(stub)) continue;
      const callee = callees !== undefined ? callees.get(stub) : stubCallee(stub);
      if (callee === undefined) continue;
      const delta = callee.address - (block.address + block.edgeOffset(i)) + block.edgeAddend(i);
      if (fitsRange(BRANCH26_RANGE, delta)) block.setEdgeTarget(i, callee);
    }
  }
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
  if (graph.findSectionByName(GOT_SECTION_NAME) === undefined) return;
  const targets = tables?.gotTargets();
  const blocks = graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    // Stubs keep their shape (jitlink-check finds a stub's target through its GOT entry).
    if (block.section.name === STUBS_SECTION_NAME) continue;
    const count = block.edgeCount;
    for (let i = 0; i < count; i++) {
      if (block.edgeKind(i) !== K.Page21 || block.edgeAddend(i) !== 0) continue;
      const entry = block.edgeTarget(i);
      const target = targets !== undefined ? targets.get(entry) : gotEntryTarget(entry);
      if (target === undefined) continue;
      const offset = block.edgeOffset(i);
      const isPair = (k: number): boolean =>
        block.edgeOffset(k) === offset + 4 && block.edgeKind(k) === K.PageOffset12 && block.edgeTarget(k) === entry && block.edgeAddend(k) === 0;
      // The pair's edge is usually the next one (ELF lists relocations by offset) or the previous
      // one (MachO lists them last to first); only otherwise are the block's edges searched.
      let j = i + 1 < count && isPair(i + 1) ? i + 1 : i > 0 && isPair(i - 1) ? i - 1 : -1;
      for (let k = 0; j < 0 && k < count; k++) if (isPair(k)) j = k;
      if (j < 0) continue;
      const content = block.getMutableContent(graph);
      const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
      const adrp = view.getUint32(offset, true);
      const ldr = view.getUint32(offset + 4, true);
      if (!isADRP(adrp) || !isLDR64UnsignedImm(ldr) || ((ldr >>> 5) & 31) !== (adrp & 31)) continue;
      const pageDelta = page(target.address) - page(block.address + offset);
      if (!fitsRange(PAGE21_RANGE, pageDelta)) continue;
      // add Xt, Xn, #0 (the PageOffset12 fixup fills the low 12 bits, unscaled for ADD).
      view.setUint32(offset + 4, (0x91000000 | (ldr & 0x3ff)) >>> 0, true);
      block.setEdgeTarget(i, target);
      block.setEdgeTarget(j, target);
    }
  }
}
