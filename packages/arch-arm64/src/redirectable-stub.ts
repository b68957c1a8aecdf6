/**
 * Redirectable calls for live re-linking: a pointer slot and a stub that
 * jumps through it. Callers bind to the stub; re-pointing the slot (one
 * aligned 8-byte store, single-copy atomic on AArch64) redirects them all
 * while threads run.
 */
import type { LinkGraph, Section, Symbol } from '@jitlink/core';
import { AArch64EdgeKinds as K } from './edge-kinds.js';

/** adrp x16, slot; ldr x16, [x16, :lo12:slot]; br x16 — instructions are little-endian in either data byte order. */
const STUB_BYTES = new Uint8Array(12);
[0x90000010, 0xf9400210, 0xd61f0200].forEach((w, i) => new DataView(STUB_BYTES.buffer).setUint32(4 * i, w, true));

export function createAArch64RedirectableStub(
  graph: LinkGraph,
  stubSection: Section,
  slotSection: Section,
  target: Symbol,
): { stub: Symbol; slot: Symbol } {
  const slotBlock = graph.createContentBlock(slotSection, new Uint8Array(8), 0, 8, 0);
  slotBlock.addEdge(K.Pointer64, 0, target, 0);
  const slot = graph.addAnonymousSymbol(slotBlock, 0, 8, false, true);
  const stubBlock = graph.createContentBlock(stubSection, STUB_BYTES, 0, 4, 0);
  stubBlock.addEdge(K.Page21, 0, slot, 0);
  stubBlock.addEdge(K.PageOffset12, 4, slot, 0);
  const stub = graph.addAnonymousSymbol(stubBlock, 0, STUB_BYTES.length, true, true);
  return { stub, slot };
}
