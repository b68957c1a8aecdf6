/**
 * Combining ELF graphs as a static linker combines objects: the core merge
 * plus the builder's per-graph metadata, and the linker-defined
 * `__start_X` / `__stop_X` symbols placed around the whole merged section X.
 */
import { EdgeKinds, Linkage, mergeLinkGraphs, Scope, type Block, type LinkGraph, type Section, type Symbol } from '@jitlink/core';
import { getElfGraphInfo, setElfGraphInfo, type ElfGraphInfo } from './builder.js';

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Merges `from` into `into` with mergeLinkGraphs and carries the builder's
 * metadata over (original section names, TLS sections, section groups), so
 * that platform code keeps recognising `.init_array.N` and the like.
 * Sections that belong to a section group, or whose TLS-ness differs, are
 * never merged by name: they keep their own (renamed) section, so a COMDAT
 * group can still be discarded on its own.
 */
export function mergeElfLinkGraphs(into: LinkGraph, from: LinkGraph): void {
  const intoInfo = getElfGraphInfo(into);
  const fromInfo = getElfGraphInfo(from);
  const grouped = new Set<Section>();
  for (const info of [intoInfo, fromInfo]) {
    for (const group of info?.groups ?? []) for (const s of group.sections) grouped.add(s);
  }
  const isTls = (s: Section, info: ElfGraphInfo | undefined) => info?.tlsSections.has(s) ?? false;
  const moved = new Map<Section, Section>();
  mergeLinkGraphs(into, from, {
    canMergeSections: (a, b) => !grouped.has(a) && !grouped.has(b) && isTls(a, intoInfo) === isTls(b, fromInfo),
    onSectionMoved: (f, t) => moved.set(f, t),
  });
  if (fromInfo !== undefined) mergeElfGraphInfo(into, fromInfo, moved);
  setElfGraphInfo(from, undefined);
}

/**
 * Adds the metadata of a graph merged into `into` (`moved` maps each of its
 * former sections to the section of `into` now holding its blocks).
 */
export function mergeElfGraphInfo(into: LinkGraph, fromInfo: ElfGraphInfo, moved: ReadonlyMap<Section, Section>): void {
  let info = getElfGraphInfo(into);
  if (info === undefined) {
    info = {
      bits: fromInfo.bits,
      machine: fromInfo.machine,
      sectionsByIndex: [],
      originalNames: new Map(),
      tlsSections: new Set(),
      threadLocalExternals: new Set(),
      groups: [],
      skippedNoneRelocations: 0,
      sourceObjects: [],
    };
    setElfGraphInfo(into, info);
  }
  for (const [section, name] of fromInfo.originalNames) {
    const target = moved.get(section);
    if (target !== undefined && !info.originalNames.has(target)) info.originalNames.set(target, name);
  }
  for (const name of fromInfo.threadLocalExternals) info.threadLocalExternals.add(name);
  for (const section of fromInfo.tlsSections) {
    const target = moved.get(section);
    if (target !== undefined) info.tlsSections.add(target);
  }
  for (const group of fromInfo.groups) {
    // Same objects, so references held elsewhere (e.g. for discarding) stay valid.
    group.sections = group.sections.map((s) => moved.get(s) ?? s);
    info.groups.push(group);
  }
  info.skippedNoneRelocations += fromInfo.skippedNoneRelocations;
  // Blocks keep their identity when merged, so each source still finds its sections' blocks.
  info.sourceObjects.push(...fromInfo.sourceObjects);
}

/** The section name X of a `__start_X` / `__stop_X` symbol name, or undefined. */
export function sectionOfBoundarySymbol(name: string): { section: string; atEnd: boolean } | undefined {
  let section: string;
  let atEnd: boolean;
  if (name.startsWith('__start_')) {
    section = name.slice(8);
    atEnd = false;
  } else if (name.startsWith('__stop_')) {
    section = name.slice(7);
    atEnd = true;
  } else return undefined;
  return C_IDENTIFIER.test(section) ? { section, atEnd } : undefined;
}

/**
 * After merging, places the linker-defined boundary symbols of every section
 * X with a C-identifier name around all of X's blocks, as a static linker
 * does for the output section:
 * - `__start_X` at the start of X's lowest-address block, `__stop_X` at the
 *   end of its highest-address block (the local symbols the builder made);
 * - duplicates (one per merged object) are reduced to one, their edges
 *   retargeted; an external `__start_X` / `__stop_X` (from an object without
 *   section X) becomes that symbol;
 * - every block of X is kept alive while a boundary symbol is, since code
 *   reaches them only by walking from `__start_X` to `__stop_X`.
 * Graphs without such symbols are left unchanged.
 */
export function defineSectionBoundarySymbols(graph: LinkGraph): void {
  const bySection = new Map<string, { start: Symbol[]; stop: Symbol[] }>();
  const collect = (sym: Symbol): void => {
    if (sym.name === undefined) return;
    const boundary = sectionOfBoundarySymbol(sym.name);
    if (boundary === undefined) return;
    let entry = bySection.get(boundary.section);
    if (entry === undefined) bySection.set(boundary.section, (entry = { start: [], stop: [] }));
    (boundary.atEnd ? entry.stop : entry.start).push(sym);
  };
  for (const sym of graph.definedSymbols()) if (sym.scope === Scope.Local) collect(sym);
  for (const sym of graph.externalSymbols()) collect(sym);

  const replacement = new Map<Symbol, Symbol>();
  const obsolete: Symbol[] = [];
  for (const [name, { start, stop }] of bySection) {
    const section = graph.findSectionByName(name);
    if (section === undefined || section.blocks.size === 0) continue;
    let first: Block | undefined;
    let last: Block | undefined;
    for (const block of section.blocks) {
      if (first === undefined || block.address < first.address) first = block;
      if (last === undefined || block.address > last.address) last = block;
    }
    if (start.length > 0) place(graph, start, first!, 0, replacement, obsolete);
    if (stop.length > 0) place(graph, stop, last!, last!.size, replacement, obsolete);
    keepSectionAlive(graph, section, first!, last!);
  }

  if (replacement.size > 0) {
    for (const block of graph.blocks()) {
      const edgeCount = block.edgeCount;
      for (let i = 0; i < edgeCount; i++) {
        const target = replacement.get(block.edgeTarget(i));
        if (target !== undefined) block.setEdgeTarget(i, target);
      }
    }
  }
  for (const sym of obsolete) {
    if (sym.isExternal()) graph.removeExternalSymbol(sym);
    else graph.removeDefinedSymbol(sym);
  }
}

/** Keeps one of `symbols` (preferring a defined one) at block+offset; the rest are replaced by it. */
function place(
  graph: LinkGraph,
  symbols: Symbol[],
  block: Block,
  offset: number,
  replacement: Map<Symbol, Symbol>,
  obsolete: Symbol[],
): void {
  const kept = symbols.find((s) => s.isDefined()) ?? symbols[0]!;
  let live = false;
  for (const sym of symbols) live ||= sym.live;
  if (kept.isDefined()) graph.transferDefinedSymbol(kept, block, offset, 0);
  else graph.makeDefined(kept, block, offset, 0, Linkage.Strong, Scope.Local, live);
  kept.live = live;
  for (const sym of symbols) {
    if (sym === kept) continue;
    replacement.set(sym, kept);
    obsolete.push(sym);
  }
}

/** Keep-alive edges from the first block to every other block of the section, and from the last to the first. */
function keepSectionAlive(graph: LinkGraph, section: Section, first: Block, last: Block): void {
  if (section.blocks.size < 2) return;
  const anchors = new Map<Block, Symbol>();
  for (const sym of section.symbols) if (sym.offset === 0 && sym.name === undefined && !anchors.has(sym.block)) anchors.set(sym.block, sym);
  const anchor = (block: Block): Symbol => {
    let sym = anchors.get(block);
    if (sym === undefined) anchors.set(block, (sym = graph.addAnonymousSymbol(block, 0, 0, false, false)));
    return sym;
  };
  for (const block of [...section.blocks]) {
    if (block !== first) first.appendEdge(EdgeKinds.KeepAlive, 0, anchor(block), 0);
  }
  last.appendEdge(EdgeKinds.KeepAlive, 0, anchor(first), 0);
}
