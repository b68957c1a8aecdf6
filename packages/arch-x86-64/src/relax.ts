/**
 * GOT-load and stub relaxation (a pre-fixup pass: every address, including
 * resolved externals, is final).
 *
 * PCRel32GOTLoadRelaxable / PCRel32GOTLoadREXRelaxable with addend 0, when the
 * GOT entry's real target is within int32 of the rewritten instruction:
 *   mov  foo@GOTPCREL(%rip), %reg  (8b /r)  ->  lea foo(%rip), %reg  (8d /r)
 *   call *foo@GOTPCREL(%rip)       (ff 15)  ->  addr32 call foo      (67 e8)
 *   jmp  *foo@GOTPCREL(%rip)       (ff 25)  ->  jmp foo; nop         (e9 .. 90)
 * call and jmp are only rewritten for the non-REX kind. Other instructions
 * (test, add, cmp, ... with a GOT operand) keep loading the GOT entry.
 *
 * BranchPCRel32ToPtrJumpStubBypassable to a jump stub whose real target is
 * within int32 range becomes a direct BranchPCRel32 to the target.
 *
 * The GOT entries and stubs stay allocated; they are simply no longer used by
 * the relaxed sites.
 */
import {
  EdgeKinds,
  fitsRange,
  type Block,
  type EdgeKind,
  type LinkGraph,
  type StubBypass,
  type Symbol,
} from '@jitlink/core';
import { X86_64_EDGE_KIND_INFO, x86_64EdgeKindInfo, X86_64EdgeKinds as K } from './edge-kinds.js';
import { gotEntryTarget, stubGOTEntry, type GOTAndStubsBuilder } from './got-plt.js';

/** Relaxed sites become PCRel32 or BranchPCRel32 edges: both take this range. */
const PCREL32_RANGE = x86_64EdgeKindInfo(K.PCRel32)!.range;

function fitsPCRel32(value: number): boolean {
  return fitsRange(PCREL32_RANGE, value);
}

/** The kinds relaxation acts on (indexed by kind). */
const RELAXED_KINDS = new Uint8Array(EdgeKinds.FirstRelocation + X86_64_EDGE_KIND_INFO.length);
RELAXED_KINDS[K.PCRel32GOTLoadRelaxable] = 1;
RELAXED_KINDS[K.PCRel32GOTLoadREXRelaxable] = 1;
RELAXED_KINDS[K.BranchPCRel32ToPtrJumpStubBypassable] = 1;

/** A bypassed stub call becomes a direct call, its displacement where it was (S + A - (P + 4)). */
const STUB_BYPASS: StubBypass = {
  kind: K.BranchPCRel32ToPtrJumpStubBypassable,
  becomes: K.BranchPCRel32,
  reaches: (callee, fixup, addend) => fitsPCRel32(callee - (fixup + 4) + addend),
};

/**
 * The pre-fixup pass: relaxes GOT loads and bypasses jump stubs where the
 * targets are in range. `tables`, the link's GOT/stub builder, names the
 * blocks where it lowered edges (the others have nothing to relax) and whom
 * its entries serve without reading their edges, and bypasses its own stubs
 * in the graph's columns; entries it did not make are read from the graph,
 * and without it every block is walked.
 */
export function optimizeGOTAndStubAccesses(graph: LinkGraph, tables?: GOTAndStubsBuilder): void {
  if (tables !== undefined) {
    tables.relaxLowered(
      RELAXED_KINDS,
      (block: Block, i: number, kind: EdgeKind) => {
        if (kind === K.BranchPCRel32ToPtrJumpStubBypassable) bypassStub(block, i, tables);
        else relaxGOTLoad(graph, block, i, tables);
      },
      STUB_BYPASS,
    );
    return;
  }
  const blocks = graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const edgeCount = block.edgeCount;
    for (let i = 0; i < edgeCount; i++) {
      const kind = block.edgeKind(i);
      if (kind === K.PCRel32GOTLoadRelaxable || kind === K.PCRel32GOTLoadREXRelaxable) {
        relaxGOTLoad(graph, block, i);
      } else if (kind === K.BranchPCRel32ToPtrJumpStubBypassable) {
        bypassStub(block, i);
      }
    }
  }
}

/** Rewrites GOT load edge `i` of `block` into a direct access when possible; returns whether it did. */
export function relaxGOTLoad(
  graph: LinkGraph,
  block: Block,
  i: number,
  tables?: GOTAndStubsBuilder,
): boolean {
  if (block.edgeAddend(i) !== 0 || block.isZeroFill()) return false;
  const entry = block.edgeTarget(i);
  const target = tables?.gotEntryTarget(entry) ?? gotEntryTarget(entry);
  if (target === undefined) return false;
  const offset = block.edgeOffset(i);
  const isREX = block.edgeKind(i) === K.PCRel32GOTLoadREXRelaxable;
  // Opcode and ModRM precede the displacement (and a REX prefix precedes them).
  if (offset < (isREX ? 3 : 2) || offset + 4 > block.size) return false;
  const original = block.getContent();
  const opcode = original[offset - 2]!;
  const modrm = original[offset - 1]!;
  const fixupAddress = block.address + offset;
  const targetAddress = target.address;

  if (opcode === 0x8b && (modrm & 0xc7) === 0x05) {
    // mov disp(%rip), %reg -> lea disp(%rip), %reg
    if (!fitsPCRel32(targetAddress - (fixupAddress + 4))) return false;
    block.getMutableContent(graph)[offset - 2] = 0x8d;
    retarget(block, i, K.PCRel32, target, offset);
    return true;
  }
  if (isREX || opcode !== 0xff) return false;
  if (modrm === 0x15) {
    // call *disp(%rip) -> addr32 call target: the displacement stays at the same offset.
    if (!fitsPCRel32(targetAddress - (fixupAddress + 4))) return false;
    const content = block.getMutableContent(graph);
    content[offset - 2] = 0x67;
    content[offset - 1] = 0xe8;
    retarget(block, i, K.BranchPCRel32, target, offset);
    return true;
  }
  if (modrm === 0x25) {
    // jmp *disp(%rip) -> jmp target; nop: the displacement moves one byte back.
    if (!fitsPCRel32(targetAddress - (fixupAddress + 3))) return false;
    const content = block.getMutableContent(graph);
    content[offset - 2] = 0xe9;
    content[offset + 3] = 0x90;
    retarget(block, i, K.BranchPCRel32, target, offset - 1);
    return true;
  }
  return false;
}

/** Points stub call edge `i` of `block` straight at the stub's target when it is in range; returns whether it did. */
export function bypassStub(block: Block, i: number, tables?: GOTAndStubsBuilder): boolean {
  const stub = block.edgeTarget(i);
  let target = tables?.stubTarget(stub);
  if (target === undefined) {
    // A stub of another pass, or no stub: then the edge targets the callee itself.
    const entry = stubGOTEntry(stub);
    target = entry === undefined ? stub : gotEntryTarget(entry);
    if (target === undefined) return false;
  }
  const offset = block.edgeOffset(i);
  if (!fitsPCRel32(target.address - (block.address + offset + 4) + block.edgeAddend(i))) return false;
  // The displacement stays where it is.
  block.setEdgeKind(i, K.BranchPCRel32);
  block.setEdgeTarget(i, target);
  return true;
}

function retarget(block: Block, i: number, kind: number, target: Symbol, offset: number): void {
  block.setEdgeKind(i, kind);
  block.setEdgeTarget(i, target);
  block.setEdgeOffset(i, offset);
}
