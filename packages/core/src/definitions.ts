/**
 * An object's definitions: the non-local symbols it defines, with the flags a
 * JIT symbol table needs before the object is linked. Backends can read them
 * straight from the object's bytes, so that an object (an archive member, say)
 * is registered without building its LinkGraph; the graph is then built only
 * when the object is linked, and dropped right after.
 */
import { Linkage, Scope, type LinkGraph } from './graph.js';

/** How a definition takes part in symbol resolution: visibility, weakness, code or data, common. */
export interface DefinitionFlags {
  /** Visible only within the defining JITDylib (STV_HIDDEN and the like). */
  hidden: boolean;
  /** May be overridden by a strong definition (weak, COMDAT, unique). */
  weak: boolean;
  /** Names code (a function), not data. */
  callable: boolean;
  /** A C common symbol: definitions are merged by size and alignment. */
  common?: { size: number; alignment: number };
}

/** Definitions by name. */
export type ObjectDefinitions = Map<string, DefinitionFlags>;

// Flags of plain definitions are shared (frozen): only eight combinations exist, and
// a JIT session holds one entry per definition, so one object each would be pure overhead.
const SHARED_FLAGS: readonly DefinitionFlags[] = Array.from({ length: 8 }, (_, i) =>
  Object.freeze({ hidden: (i & 1) !== 0, weak: (i & 2) !== 0, callable: (i & 4) !== 0 }),
);

/** The shared, frozen flags object for a plain (non-common) definition. */
export function definitionFlags(hidden: boolean, weak: boolean, callable: boolean): DefinitionFlags {
  return SHARED_FLAGS[(hidden ? 1 : 0) | (weak ? 2 : 0) | (callable ? 4 : 0)]!;
}

/** The definitions of a graph: its named, non-local defined and absolute symbols. */
export function graphDefinitions(graph: LinkGraph): ObjectDefinitions {
  const definitions: ObjectDefinitions = new Map();
  graph.forEachDefinedSymbol((sym) => {
    if (sym.name === undefined || sym.scope === Scope.Local) return;
    const hidden = sym.scope === Scope.Hidden;
    const weak = sym.linkage === Linkage.Weak;
    definitions.set(
      sym.name,
      sym.block.section.holdsCommonSymbols
        ? { hidden, weak, callable: sym.callable, common: { size: sym.size, alignment: sym.block.alignment } }
        : definitionFlags(hidden, weak, sym.callable),
    );
  });
  for (const sym of graph.absoluteSymbols()) {
    if (sym.name === undefined || sym.scope === Scope.Local) continue;
    definitions.set(sym.name, definitionFlags(sym.scope === Scope.Hidden, sym.linkage === Linkage.Weak, false));
  }
  return definitions;
}
