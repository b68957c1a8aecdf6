/**
 * Pre-fixup relaxation: once addresses are known, a call or tail call
 * through a stub whose callee is within the ±128 MiB reach of B/BL is
 * pointed at the callee itself (the stub stays, unused, as llvm-jitlink's
 * x86-64 backend leaves bypassed stubs).
 */
import type { LinkGraph, Symbol } from '@jitlink/core';
import { AArch64EdgeKinds as K } from './edge-kinds.js';
import { gotEntryTarget, isStub, stubGOTEntry, STUBS_SECTION_NAME } from './got-plt.js';

const BRANCH26_REACH = 2 ** 27;

/** The callee behind a stub built by the GOT/stub pass, or undefined. */
function stubCallee(stub: Symbol): Symbol | undefined {
  const entry = stubGOTEntry(stub);
  return entry === undefined ? undefined : gotEntryTarget(entry);
}

export function bypassReachableStubs(graph: LinkGraph): void {
  if (graph.findSectionByName(STUBS_SECTION_NAME) === undefined) return;
  const blocks = graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const count = block.edgeCount;
    for (let i = 0; i < count; i++) {
      if (block.edgeKind(i) !== K.Branch26PCRel) continue;
      const stub = block.edgeTarget(i);
      if (!isStub(stub)) continue;
      const callee = stubCallee(stub);
      if (callee === undefined) continue;
      const delta = callee.address - (block.address + block.edgeOffset(i)) + block.edgeAddend(i);
      if (delta >= -BRANCH26_REACH && delta < BRANCH26_REACH && delta % 4 === 0) block.setEdgeTarget(i, callee);
    }
  }
}
