/**
 * llvm-jitlink's -add-self-relocations for x86-64: in each callable symbol's
 * code, a RIP-relative operand whose address is the symbol itself and that
 * has no relocation gets a Delta32 edge to the symbol (addend -4), so a
 * pointer a function forms to itself follows the symbol if it is moved or
 * redirected. Instructions the decoder does not know end the scan of that
 * function (best effort, as in LLVM).
 */
import { EdgeKinds, type Block, type LinkGraph, type Symbol } from '@jitlink/core';
import { decodeX86_64Instruction } from './decode.js';
import { X86_64EdgeKinds as K } from './edge-kinds.js';

export function addX86_64SelfRelocations(graph: LinkGraph): void {
  for (const sym of [...graph.definedSymbols()]) {
    if (!sym.callable || sym.block.isZeroFill()) continue;
    addSelfRelocationsToSymbol(sym);
  }
}

function addSelfRelocationsToSymbol(sym: Symbol): void {
  const block: Block = sym.block;
  const content = block.getContent();
  const start = sym.offset;
  const end = sym.size > 0 ? Math.min(content.length, start + sym.size) : content.length;
  const existing = new Set<number>();
  for (let i = 0; i < block.edgeCount; i++) {
    if (block.edgeKind(i) >= EdgeKinds.FirstRelocation) existing.add(block.edgeOffset(i));
  }
  const symAddress = BigInt(sym.address);
  let at = start;
  while (at < end) {
    let inst;
    try {
      inst = decodeX86_64Instruction(content.subarray(at, end), BigInt(block.address + at));
    } catch {
      return;
    }
    const next = at + inst.size;
    const ops = inst.operands;
    for (let i = 0; i + 3 < ops.length; i++) {
      const base = ops[i];
      if (typeof base !== 'object' || base.register !== 'rip') continue;
      const disp = ops[i + 3];
      if (typeof disp !== 'bigint') continue;
      // The displacement must be the instruction's last four bytes (no immediate after it).
      const fieldOffset = next - 4;
      const field = content[fieldOffset]! | (content[fieldOffset + 1]! << 8) | (content[fieldOffset + 2]! << 16) | (content[fieldOffset + 3]! << 24);
      if (BigInt(field) !== disp) continue;
      const target = BigInt(block.address + next) + disp;
      if (target !== symAddress || existing.has(fieldOffset)) continue;
      block.appendEdge(K.Delta32, fieldOffset, sym, -4);
      existing.add(fieldOffset);
    }
    at = next;
  }
}
