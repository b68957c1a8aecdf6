/**
 * Redirectable calls for live re-linking: a pointer slot and a stub that
 * jumps through it. Callers bind to the stub; re-pointing the slot (one
 * aligned 8-byte store, atomic on x86-64) redirects them all while threads run.
 */
import { type LinkGraph, type Section, type Symbol } from '@jitlink/core';
import { X86_64EdgeKinds as K } from './edge-kinds.js';

/** `jmp *slot(%rip)`: the disp32 at offset 2 is a PCRel32 edge to the slot. */
const STUB_BYTES = new Uint8Array([0xff, 0x25, 0, 0, 0, 0]);

export function createX86_64RedirectableStub(
  graph: LinkGraph,
  stubSection: Section,
  slotSection: Section,
  target: Symbol,
): { stub: Symbol; slot: Symbol } {
  const slotBlock = graph.createContentBlock(slotSection, new Uint8Array(8), 0, 8, 0);
  slotBlock.addEdge(K.Pointer64, 0, target, 0);
  const slot = graph.addAnonymousSymbol(slotBlock, 0, 8, false, true);
  const stubBlock = graph.createContentBlock(stubSection, STUB_BYTES, 0, 8, 0);
  stubBlock.addEdge(K.PCRel32, 2, slot, 0);
  const stub = graph.addAnonymousSymbol(stubBlock, 0, STUB_BYTES.length, true, true);
  return { stub, slot };
}
