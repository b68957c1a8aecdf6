/**
 * `__ImageBase` for JIT-linked COFF code. A PE image starts at its image
 * base, and image-relative references (IMAGE_REL_*_ADDR32NB: `.pdata`,
 * `.xdata`, switch tables of MSVC-style code) are 32-bit offsets from it. A
 * JIT'd graph has no image: its lowest allocated address plays that part, so
 * every image-relative reference within the graph fits, and explicit
 * references to `__ImageBase` resolve to the same address without any setup.
 */
import { MemLifetime, Scope, type LinkGraph } from '@jitlink/core';

export const IMAGE_BASE_SYMBOL_NAME = '__ImageBase';

/** The lowest address of the graph's allocated blocks (0 for a graph without any). */
export function graphImageBase(graph: LinkGraph): number {
  let base = Infinity;
  for (const section of graph.sectionList()) {
    if (section.lifetime === MemLifetime.NoAlloc) continue;
    section.blocks.forEach((b) => {
      if (b.address < base) base = b.address;
    });
  }
  return base === Infinity ? 0 : base;
}

/**
 * Post-allocation pass: defines `__ImageBase` (a local absolute symbol at the
 * graph's image base), turning the graph's reference to it into a definition
 * before externals are looked up. Architectures' lowering of image-relative
 * edges finds it by name.
 */
export function defineImageBase(graph: LinkGraph): void {
  const base = graphImageBase(graph);
  const ref = graph.findExternalSymbol(IMAGE_BASE_SYMBOL_NAME);
  if (ref !== undefined) {
    graph.makeAbsolute(ref, base);
    ref.scope = Scope.Local;
    return;
  }
  for (const sym of graph.absoluteSymbols()) if (sym.name === IMAGE_BASE_SYMBOL_NAME) return;
  graph.addAbsoluteSymbol(IMAGE_BASE_SYMBOL_NAME, base, 0, 0, Scope.Local, false);
}
