/**
 * Objects that share a section reached through `__start_X` / `__stop_X` must
 * be linked as one graph: a static linker defines those symbols around the
 * concatenation of every object's section X, while each graph alone would
 * only see its own part. Linkers of ELF objects (such as the jitlink command)
 * pass the objects they are given together through
 * `mergeObjectsSharingSections` before adding them.
 */
import type { LinkGraph } from '@jitlink/core';
import { getElfGraphInfo } from './builder.js';
import { defineSectionBoundarySymbols, mergeElfLinkGraphs, sectionOfBoundarySymbol } from './merge.js';

/** Section names X for which the graph refers to `__start_X` or `__stop_X` (defined by the builder, or external). */
function boundarySections(graph: LinkGraph): Set<string> {
  const names = new Set<string>();
  const add = (name: string | undefined): void => {
    if (name === undefined) return;
    const boundary = sectionOfBoundarySymbol(name);
    if (boundary !== undefined) names.add(boundary.section);
  };
  for (const sym of graph.definedSymbols()) add(sym.name);
  for (const sym of graph.externalSymbols()) add(sym.name);
  return names;
}

/** Names of the graph's sections as they appear in the object. */
function sectionNames(graph: LinkGraph): Set<string> {
  const original = getElfGraphInfo(graph)?.originalNames;
  const names = new Set<string>();
  for (const section of graph.sections()) names.add(original?.get(section) ?? section.name);
  return names;
}

/**
 * Merges the graphs that share a section X referenced through `__start_X` /
 * `__stop_X` by any of them (either by referring to the symbols or by
 * containing section X) into the first graph of each such group, then places
 * the boundary symbols around the merged sections. Returns the graphs to link,
 * in the original order (a merged group takes its first member's place).
 */
export function mergeObjectsSharingSections(graphs: readonly LinkGraph[]): LinkGraph[] {
  // Only ELF graphs take part (other formats name their section boundaries otherwise).
  const referenced = graphs.map((g) => (getElfGraphInfo(g) === undefined ? new Set<string>() : boundarySections(g)));
  const wanted = new Set<string>();
  for (const names of referenced) for (const n of names) wanted.add(n);
  if (wanted.size === 0) return graphs.slice();

  // Union-find over graph indices; each wanted section name links the graphs that use it.
  const parent = graphs.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const firstUser = new Map<string, number>();
  for (let i = 0; i < graphs.length; i++) {
    const uses = new Set<string>();
    for (const n of referenced[i]!) uses.add(n);
    if (getElfGraphInfo(graphs[i]!) !== undefined) for (const n of sectionNames(graphs[i]!)) if (wanted.has(n)) uses.add(n);
    for (const n of uses) {
      const other = firstUser.get(n);
      if (other === undefined) firstUser.set(n, i);
      else {
        const a = find(other);
        const b = find(i);
        // The lower index stays the root, so each group merges into its first graph.
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }

  const result: LinkGraph[] = [];
  const merged = new Set<number>();
  for (let i = 0; i < graphs.length; i++) {
    const root = find(i);
    if (root === i) result.push(graphs[i]!);
    else {
      mergeElfLinkGraphs(graphs[root]!, graphs[i]!);
      merged.add(root);
    }
  }
  for (const root of merged) defineSectionBoundarySymbols(graphs[root]!);
  return result;
}
