/**
 * Edge kinds are small integers. Core defines the generic ones; each
 * architecture package numbers its relocation kinds from `FirstRelocation`
 * and gives the graph a function that prints them.
 */
export type EdgeKind = number;

/**
 * The edge kinds every architecture shares; an architecture package numbers its own from
 * `FirstRelocation`.
 */
export const EdgeKinds = {
  /** Never valid on a live edge. */
  Invalid: 0,
  /** Keeps its target alive during dead-stripping; applies no fixup. */
  KeepAlive: 1,
  /** First kind available to architecture packages. */
  FirstRelocation: 2,
} as const;

/** Names an edge kind for printing (an architecture package's own kinds included). */
export type EdgeKindNamer = (kind: EdgeKind) => string;

/** Names the generic kinds and falls back to the number for anything else. */
export function genericEdgeKindName(kind: EdgeKind): string {
  switch (kind) {
    case EdgeKinds.Invalid:
      return 'INVALID RELOCATION';
    case EdgeKinds.KeepAlive:
      return 'Keep-Alive';
    default:
      return `Unrecognized relocation (${kind})`;
  }
}

/**
 * Builds a namer for a list of architecture kinds numbered from FirstRelocation,
 * handling the generic kinds itself.
 */
export function edgeKindNamer(names: readonly string[]): EdgeKindNamer {
  return (kind) => {
    if (kind < EdgeKinds.FirstRelocation) return genericEdgeKindName(kind);
    return names[kind - EdgeKinds.FirstRelocation] ?? genericEdgeKindName(kind);
  };
}

/**
 * Names a format's relocation types from the table of their numbers, keys
 * without `prefix` (`{ UNSIGNED: 0, SUBTRACTOR: 1 }` with "ARM64_RELOC_"):
 * "ARM64_RELOC_SUBTRACTOR" for 1, "unknown relocation type N" for a number
 * the table lacks.
 */
export function relocationTypeNamer(prefix: string, numbers: Readonly<Record<string, number>>): (type: number) => string {
  const names: string[] = [];
  for (const [key, value] of Object.entries(numbers)) names[value] = `${prefix}${key}`;
  return (type) => names[type] ?? `unknown relocation type ${type}`;
}
