/**
 * One row of facts per relocation edge kind. Each architecture fills a table
 * of these (one row per kind it defines); its fixups, its format mappings
 * (patch widths), its GOT/stub passes and its documentation all read the
 * same row, so a kind's meaning is written down once.
 */
import { MAX_EXACT_ADDRESS } from './address.js';
import { EdgeKinds, type EdgeKind } from './edge-kinds.js';
import { JITLinkError } from './errors.js';

/** The values a fixup field accepts. */
export interface FixupRange {
  /** Smallest value that fits. */
  readonly min: number;
  /** Largest value that fits. */
  readonly max: number;
  /**
   * The value must be a multiple of this (1 for byte-granular fields; e.g. 4
   * for an AArch64 branch, whose field holds the offset divided by 4).
   */
  readonly multipleOf: number;
  /** For messages and docs: "int32", "uint32", "int16 or uint16", "64 bits", "int28, multiple of 4". */
  readonly name: string;
}

function named(name: string, multipleOf: number): string {
  return multipleOf === 1 ? name : `${name}, multiple of ${multipleOf}`;
}

/** A field holding a two's-complement value of `bits` bits (a multiple of `multipleOf`). */
export function signedRange(bits: number, multipleOf = 1): FixupRange {
  return {
    min: -(2 ** (bits - 1)),
    max: 2 ** (bits - 1) - 1,
    multipleOf,
    name: named(`int${bits}`, multipleOf),
  };
}

/** A field holding an unsigned value of `bits` bits (a multiple of `multipleOf`). */
export function unsignedRange(bits: number, multipleOf = 1): FixupRange {
  return { min: 0, max: 2 ** bits - 1, multipleOf, name: named(`uint${bits}`, multipleOf) };
}

/** A field of `bits` bits that may hold either a signed or an unsigned value (GNU ld's "bitfield" check). */
export function eitherRange(bits: number): FixupRange {
  return { min: -(2 ** (bits - 1)), max: 2 ** bits - 1, multipleOf: 1, name: `int${bits} or uint${bits}` };
}

/**
 * A 64-bit field: every value jitlink computes exactly (within 2^53 of zero,
 * read as signed) fits; a value beyond that would have been rounded.
 */
export const RANGE_64: FixupRange = {
  min: -MAX_EXACT_ADDRESS,
  max: MAX_EXACT_ADDRESS,
  multipleOf: 1,
  name: '64 bits',
};

/** True when `value` fits `range`. */
export function fitsRange(range: FixupRange, value: number): boolean {
  // Written so that NaN fails.
  return (
    value >= range.min && value <= range.max && (range.multipleOf === 1 || value % range.multipleOf === 0)
  );
}

/**
 * What an edge kind means. `formula` identifies how the value is computed;
 * its numbering belongs to the architecture (core only carries it, so an
 * architecture's applyFixup can switch on a small integer).
 */
export interface EdgeKindInfo {
  readonly kind: EdgeKind;
  /** Printable name, e.g. "Delta32". */
  readonly name: string;
  /**
   * Bytes the edge patches. Kinds a pass rewrites before fixups have the
   * width of what they become, so format mappings can check the relocation's
   * site at graph-building time.
   */
  readonly width: number;
  /** The values the field accepts. */
  readonly range: FixupRange;
  /** Formula id (the architecture's numbering). */
  readonly formula: number;
  /** The value, for docs and messages: "T - P + A" (T target, P fixup address, A addend). */
  readonly value: string;
  /** Kinds a pass must rewrite before fixups (e.g. "requests a GOT entry"): the table and the kind it becomes. */
  readonly request?: { readonly table: string; readonly becomes: EdgeKind };
  /** Advice added to out-of-range errors. */
  readonly advice?: string;
}

/**
 * The rows of an architecture's kinds, indexed by `kind - EdgeKinds.FirstRelocation`.
 * Checks that every kind of `kinds` has exactly one row, in order.
 */
export function edgeKindTable(
  kinds: Readonly<Record<string, EdgeKind>>,
  rows: readonly EdgeKindInfo[],
): readonly EdgeKindInfo[] {
  const table: EdgeKindInfo[] = [];
  for (const row of rows) {
    const index = row.kind - EdgeKinds.FirstRelocation;
    if (kinds[row.name] !== row.kind || table[index] !== undefined) {
      throw new JITLinkError('InvalidArgument', `edge kind table: bad or repeated row for ${row.name}`);
    }
    table[index] = row;
  }
  for (const [name, kind] of Object.entries(kinds)) {
    if (table[kind - EdgeKinds.FirstRelocation] === undefined) {
      throw new JITLinkError('InvalidArgument', `edge kind table: no row for ${name}`);
    }
  }
  return table;
}

/** The row for `kind` in a table made by edgeKindTable, or undefined (generic or foreign kinds). */
export function edgeKindInfo(table: readonly EdgeKindInfo[], kind: EdgeKind): EdgeKindInfo | undefined {
  return table[kind - EdgeKinds.FirstRelocation];
}

/**
 * A Markdown table of `rows` (Kind, Bytes, Value, Range), padded as Prettier
 * pads tables, for package READMEs: generated from the table, never edited by hand.
 */
export function renderEdgeKindTable(
  rows: readonly EdgeKindInfo[],
  describe: (row: EdgeKindInfo) => { value: string; range: string } = (row) => ({
    value: row.value,
    range: row.range.name,
  }),
): string {
  const cells = [['Kind', 'Bytes', 'Value', 'Range']];
  for (const row of rows) {
    const { value, range } = describe(row);
    cells.push([row.name, String(row.width), value, range]);
  }
  return renderMarkdownTable(cells);
}

/** A Markdown table with the first row as header, cells padded to their column's width. */
export function renderMarkdownTable(cells: readonly (readonly string[])[]): string {
  const widths = cells[0]!.map((_, c) => Math.max(3, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const out = [line(cells[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`];
  for (let r = 1; r < cells.length; r++) out.push(line(cells[r]!));
  return out.join('\n');
}
