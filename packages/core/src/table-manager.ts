/**
 * Tables of fixed-size entries built by link passes: GOT entries, PLT/jump
 * stubs, branch-range veneers, TLS descriptors. The architecture says what
 * an entry is (size, alignment, bytes, the edges it gets); the manager keeps
 * one entry per target symbol, all of a graph's entries in ONE block of the
 * table's section, each entry an anonymous symbol at its offset with its own
 * edges. (A block per entry, as LLVM makes, tripled the blocks of graphs with
 * thousands of external callees; see docs/performance.md.)
 *
 * A manager belongs to one link: create it in the pass that needs it (or in
 * `addDefaultPasses`, which runs once per link) and keep it in that closure.
 * Nothing is kept per graph anywhere else.
 *
 * @example A GOT and jump stubs through it (x86-64's, in short):
 * ```ts
 * const got = new TableManager(graph, {
 *   sectionName: '$__GOT', sectionProt: MemProt.Read | MemProt.Write,
 *   entrySize: 8, alignment: 8, template: new Uint8Array(8), callable: false,
 *   addEntryEdges: (block, offset, target) => block.appendEdge(K.Pointer64, offset, target, 0),
 * });
 * const stubs = new TableManager(graph, {
 *   sectionName: '$__STUBS', sectionProt: MemProt.Read | MemProt.Exec,
 *   entrySize: 6, alignment: 1, template: JMP_RIP_TEMPLATE, callable: true,
 *   // The stub's edge targets the GOT entry for the same symbol.
 *   addEntryEdges: (block, offset, target) =>
 *     block.appendEdge(K.PCRel32, offset + 2, got.getOrCreateEntry(target), 0),
 * });
 * visitExistingEdges(graph, (block, i, kind) => {
 *   if (kind === K.RequestGOTAndTransformToDelta32) {
 *     block.setEdgeTarget(i, got.getOrCreateEntry(block.edgeTarget(i)));
 *     block.setEdgeKind(i, K.Delta32);
 *   }
 * }, [got, stubs]);
 * got.findEntry(puts); // the entry symbol, for jitlink-check's got_addr
 * ```
 *
 * @example Entries made after layout (branch-range veneers): reserve room
 * before allocation, fix the layout in a post-allocation pass, then create
 * entries where a branch turns out to be out of range.
 * ```ts
 * veneers.reserve(countOfBranchesToFarTargets);          // post-prune
 * veneers.fixLayout();                                     // post-allocation
 * const veneer = veneers.getOrCreateEntry(far);            // pre-fixup: fills a reserved slot
 * ```
 */
import type { EdgeKind } from './edge-kinds.js';
import { JITLinkError } from './errors.js';
import { Linkage, Scope, type Block, type LinkGraph, type Section, type Symbol } from './graph.js';
import type { MemProt } from './memory-flags.js';

/** What an architecture supplies for one kind of table. */
export interface TableFormat {
  /** Section holding the table; found or created (with `sectionProt`) on first use. */
  readonly sectionName: string;
  readonly sectionProt: MemProt;
  /** Bytes per entry. */
  readonly entrySize: number;
  /** Alignment of the table block (a power of two; entries are `entrySize` apart). */
  readonly alignment: number;
  /** Each entry's bytes before fixups (`entrySize` long; copied, never written). */
  readonly template: Uint8Array;
  /** Whether entry symbols are callable (stubs, veneers) or data (GOT entries). */
  readonly callable: boolean;
  /**
   * The table block's address before layout (default 0): layout orders a
   * section's blocks by address, so e.g. 8 places the table after a
   * zero-size block at 0.
   */
  readonly blockAddress?: number;
  /**
   * Adds the edge(s) of a new entry for `target`, at `offset` (the entry's
   * start) in `block`. Called once per entry, in creation order, so the
   * edges of entry k follow those of entry k - 1.
   */
  addEntryEdges(block: Block, offset: number, target: Symbol): void;
}

/** Called for every edge of every block by `visitExistingEdges`. */
export type EdgeVisitor = (block: Block, edgeIndex: number, kind: EdgeKind) => void;

/**
 * Calls `visit` for each edge that exists when it starts (edges of entries
 * made meanwhile are not visited, even in a table block that existed). While it runs, the given tables
 * grow their blocks' content in place and set it once at the end, instead of
 * after each new entry. With `kinds`, only edges whose kind `k` has a
 * non-zero `kinds[k]` are visited: most edges need nothing from a table pass,
 * and skipping them here saves a call per edge. (A pass's table of actions by
 * kind, 0 for none, serves as it is.)
 */
export function visitExistingEdges(
  graph: LinkGraph,
  visit: EdgeVisitor,
  tables: readonly TableManager[] = [],
  kinds?: Uint8Array,
): void {
  for (let t = 0; t < tables.length; t++) tables[t]!.beginBatch();
  try {
    // Index loops: per-graph passes mostly run before V8 optimizes them (docs/ARCHITECTURE.md).
    const blocks = graph.blockList();
    // Counted up front: a table block that exists already gains edges as entries are made.
    const counts = new Uint32Array(blocks.length);
    for (let b = 0; b < blocks.length; b++) counts[b] = blocks[b]!.edgeCount;
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      const edgeCount = counts[b]!;
      if (kinds === undefined) {
        for (let i = 0; i < edgeCount; i++) visit(block, i, block.edgeKind(i));
      } else {
        for (let i = 0; i < edgeCount; i++) {
          const kind = block.edgeKind(i);
          if (kind < kinds.length && kinds[kind] !== 0) visit(block, i, kind);
        }
      }
    }
  } finally {
    for (let t = 0; t < tables.length; t++) tables[t]!.endBatch();
  }
}

const INITIAL_ENTRIES = 16;
/** expectEntries() sizes a table for at most this many entries at once (beyond, it grows as entries come). */
const MAX_EXPECTED_ENTRIES = 1 << 16;
const NO_ENTRIES = new Int32Array(0);

/**
 * One table (e.g. a graph's GOT) for one link: an entry per target symbol,
 * created on first request, all in one block. See the module comment for an
 * example.
 */
export class TableManager {
  /** Entry k (at offset k * entrySize of the block), in creation order. */
  private readonly entrySymbols: Symbol[] = [];
  /** The symbol entry k serves. */
  private readonly entryTargets: Symbol[] = [];
  /**
   * 1 + the number of the entry serving the graph's symbol with each index
   * (`Symbol.index`), 0 for none: a lookup is an array read, not a hash of the symbol.
   */
  private entryByTargetIndex: Int32Array = NO_ENTRIES;
  private tableBlock: Block | undefined;
  private bytes: Uint8Array = new Uint8Array(0);
  /** Bytes of the entries made so far. */
  private used = 0;
  /** Bytes reserved beyond `used` (part of the block's size). */
  private reserved = 0;
  private batching = 0;
  /**
   * While entries are appended the block's content is the whole buffer, so
   * that a new entry's symbol lies inside it; `syncContent` trims it.
   */
  private trimmed = true;
  private layoutFixed = false;
  /** Edges the format adds per entry, known once the first entry is made (-1 before). */
  private edgesPerEntry = -1;
  /** Entries the first buffer is sized for, beyond INITIAL_ENTRIES (expectEntries). */
  private expectedEntries = 0;
  /** The template is all zeros, as a new buffer is (a GOT's): nothing to fill. */
  private readonly zeroTemplate: boolean;

  constructor(
    readonly graph: LinkGraph,
    readonly format: TableFormat,
  ) {
    if (format.template.length !== format.entrySize || format.entrySize <= 0) {
      throw new JITLinkError(
        'InvalidArgument',
        `table ${format.sectionName}: template of ${format.template.length} bytes for ${format.entrySize}-byte entries`,
      );
    }
    let zero = true;
    for (let i = 0; i < format.template.length; i++) if (format.template[i] !== 0) zero = false;
    this.zeroTemplate = zero;
  }

  /** Number of entries. */
  get size(): number {
    return this.entrySymbols.length;
  }

  /** The block holding the entries (created with the first entry or reservation). */
  get block(): Block | undefined {
    return this.tableBlock;
  }

  /** The table's section, if it exists. */
  get section(): Section | undefined {
    return this.tableBlock?.section ?? this.graph.findSectionByName(this.format.sectionName);
  }

  /** The entry for `target`, if one was made. */
  findEntry(target: Symbol): Symbol | undefined {
    const k = this.entryNumber(target);
    return k < 0 ? undefined : this.entrySymbols[k];
  }

  /**
   * The symbol `entry` serves, if it is an entry of this table: its offset
   * gives its number, so this needs no lookup (relaxation asks it per edge).
   */
  entryTarget(entry: Symbol): Symbol | undefined {
    if (entry.base !== this.tableBlock || this.tableBlock === undefined) return undefined;
    const k = entry.offset / this.format.entrySize;
    return this.entrySymbols[k] === entry ? this.entryTargets[k] : undefined;
  }

  /** Calls `fn` with each entry and its target, in creation order. */
  forEachEntry(fn: (entry: Symbol, target: Symbol) => void): void {
    const { entrySymbols, entryTargets } = this;
    for (let k = 0; k < entrySymbols.length; k++) fn(entrySymbols[k]!, entryTargets[k]!);
  }

  /** The number of `target`'s entry, or -1. */
  private entryNumber(target: Symbol): number {
    const index = target.index;
    const k = index < this.entryByTargetIndex.length ? this.entryByTargetIndex[index]! - 1 : -1;
    // A symbol of another graph may share the index: the entry's target says.
    return k >= 0 && this.entryTargets[k] === target ? k : -1;
  }

  /**
   * Defines `name` at the start of the table's section, before every entry
   * (the GOT base `_GLOBAL_OFFSET_TABLE_`): a zero-size block at address 0,
   * so give the format a `blockAddress` past it. A symbol `findTableBase`
   * finds is kept; an external reference of that name becomes the
   * definition. Local: each graph has its own table.
   */
  defineBase(name: string): Symbol {
    const existing = findTableBase(this.graph, this.format.sectionName, name);
    if (existing !== undefined) return existing;
    const { graph, format } = this;
    const section = graph.findSectionByName(format.sectionName) ?? graph.createSection(format.sectionName, format.sectionProt);
    const block = graph.createContentBlock(section, new Uint8Array(0), 0, format.alignment, 0);
    const external = graph.findExternalSymbol(name);
    if (external === undefined) return graph.addDefinedSymbol(block, 0, name, 0, Linkage.Strong, Scope.Local, false, true);
    graph.makeDefined(external, block, 0, 0, Linkage.Strong, Scope.Local, true);
    return external;
  }

  /** The entry for `target`, made on first request (its bytes the template, its edges from the format). */
  getOrCreateEntry(target: Symbol): Symbol {
    const index = target.index;
    const byTarget = this.entryByTargetIndex;
    if (index < byTarget.length) {
      const k = byTarget[index]! - 1;
      if (k >= 0 && this.entryTargets[k] === target) return this.entrySymbols[k]!;
    }
    const { entrySize } = this.format;
    const offset = this.used;
    // A reserved slot is already inside the block (whose size must not change after layout).
    const reservedSlot = this.reserved >= entrySize;
    if (reservedSlot) {
      this.reserved -= entrySize;
    } else if (this.layoutFixed) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `table ${this.format.sectionName} of graph ${this.graph.name} is full: its layout is fixed and no ` +
          `reserved entry is left for ${target.describe()} (reserve() before allocation)`,
        { file: this.graph.name, section: this.format.sectionName },
      );
    } else {
      this.grow(offset + entrySize);
    }
    const block = this.getBlock();
    // The slot holds the template already (see grow).
    this.used = offset + entrySize;
    if (this.trimmed && !reservedSlot) {
      // The new entry's symbol must lie inside the block's content.
      block.setMutableContent(this.bytes);
      this.trimmed = false;
    }
    if (this.edgesPerEntry < 0) {
      const before = block.edgeCount;
      this.format.addEntryEdges(block, offset, target);
      this.edgesPerEntry = block.edgeCount - before;
      this.reserveEntryEdges();
    } else this.format.addEntryEdges(block, offset, target);
    const entry = this.graph.addAnonymousSymbol(block, offset, entrySize, this.format.callable, true);
    this.entrySymbols.push(entry);
    this.entryTargets.push(target);
    if (index >= this.entryByTargetIndex.length) this.growIndex(index);
    this.entryByTargetIndex[index] = this.entrySymbols.length;
    if (this.batching === 0) this.syncContent();
    return entry;
  }

  /**
   * Sizes the table for `count` entries in all (a hint: more can still be
   * made, fewer leave the room unused): its buffer and its block's edges are
   * then made for them with the first entry, instead of doubling from sixteen
   * entries, each doubling moving the block's edges to a new range.
   */
  expectEntries(count: number): void {
    // Applied by the first growth: a table that gets no entry allocates nothing.
    if (count > 0) this.expectedEntries = Math.min(count, MAX_EXPECTED_ENTRIES);
  }

  /**
   * Makes room for `count` more entries in the block without making them, so
   * that entries can still be made after layout (see fixLayout). The room is
   * part of the block from now on, whether used or not.
   */
  reserve(count: number): void {
    if (this.layoutFixed) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `table ${this.format.sectionName}: reserve() after its layout was fixed`,
        { file: this.graph.name, section: this.format.sectionName },
      );
    }
    if (!Number.isInteger(count) || count <= 0) return;
    const extra = count * this.format.entrySize;
    // Reserved slots hold the template too (see grow), so an unused slot is a harmless entry.
    this.grow(this.used + this.reserved + extra);
    this.reserved += extra;
    this.getBlock().setMutableContent(this.bytes.subarray(0, this.used + this.reserved));
    this.trimmed = true;
  }

  /**
   * Declares the block's size final (call it once addresses are assigned):
   * from then on new entries only fill reserved room, and a request beyond it
   * is an error rather than a block that grows under its neighbours.
   */
  fixLayout(): void {
    this.syncContent();
    this.layoutFixed = true;
  }

  /** @internal Used by visitExistingEdges; nests. */
  beginBatch(): void {
    this.batching++;
  }

  /** @internal Used by visitExistingEdges. */
  endBatch(): void {
    if (--this.batching === 0) this.syncContent();
  }

  /** Makes the index by target reach symbol index `index` (it doubles, from the entry's own index). */
  private growIndex(index: number): void {
    const grown = new Int32Array(Math.max(index + 1, this.entryByTargetIndex.length * 2, 64));
    grown.set(this.entryByTargetIndex);
    this.entryByTargetIndex = grown;
  }

  private grow(needed: number): void {
    if (needed <= this.bytes.length) return;
    let length = Math.max(this.bytes.length * 2, this.format.entrySize * Math.max(INITIAL_ENTRIES, this.expectedEntries));
    while (length < needed) length *= 2;
    const grown = new Uint8Array(length);
    const inUse = this.used + this.reserved;
    grown.set(this.bytes.subarray(0, inUse));
    if (!this.zeroTemplate) fillWithTemplate(grown, inUse, this.format.template);
    this.bytes = grown;
    this.trimmed = true;
    this.reserveEntryEdges();
  }

  /**
   * Gives the block's edges room for as many entries as its buffer holds: the
   * edge range then grows with the buffer, a few times per table, and not by
   * doubling from one edge (a GOT and a stub table growing in turn moved
   * their ranges on almost every doubling).
   */
  private reserveEntryEdges(): void {
    if (this.edgesPerEntry <= 0 || this.tableBlock === undefined) return;
    const room = (this.bytes.length - this.used) / this.format.entrySize;
    if (room >= 1) this.tableBlock.reserveEdges(Math.floor(room) * this.edgesPerEntry);
  }

  private getBlock(): Block {
    if (this.tableBlock !== undefined) return this.tableBlock;
    const { sectionName, sectionProt, alignment, blockAddress } = this.format;
    const section =
      this.graph.findSectionByName(sectionName) ?? this.graph.createSection(sectionName, sectionProt);
    this.tableBlock = this.graph.createMutableContentBlock(
      section,
      this.bytes.subarray(0, 0),
      blockAddress ?? 0,
      alignment,
      0,
    );
    return this.tableBlock;
  }

  /** Sets the block's content to the entries made and the room reserved. */
  private syncContent(): void {
    if (this.trimmed || this.tableBlock === undefined) return;
    this.tableBlock.setMutableContent(this.bytes.subarray(0, this.used + this.reserved));
    this.trimmed = true;
  }
}

/**
 * Writes `template` into every slot of `bytes` from `start` (a whole number
 * of slots to the end), doubling the filled run with each native copy:
 * a few calls per buffer, where a `set` per new entry cost a call each.
 */
function fillWithTemplate(bytes: Uint8Array, start: number, template: Uint8Array): void {
  if (start >= bytes.length) return;
  bytes.set(template, start);
  let run = template.length;
  while (start + 2 * run <= bytes.length) {
    bytes.copyWithin(start + run, start, start + run);
    run *= 2;
  }
  bytes.copyWithin(start + run, start, bytes.length - run);
}

/**
 * The symbol `name` that marks the base of the table in `sectionName` (the
 * GOT base `_GLOBAL_OFFSET_TABLE_`, for fixups that measure from it): the
 * one TableManager.defineBase put in that section, else an absolute or
 * defined symbol of that name (graphs built by hand).
 */
export function findTableBase(graph: LinkGraph, sectionName: string, name: string): Symbol | undefined {
  const section = graph.findSectionByName(sectionName);
  if (section !== undefined) {
    for (const sym of section.symbols) if (sym.name === name) return sym;
  }
  for (const sym of graph.absoluteSymbols()) if (sym.name === name) return sym;
  let found: Symbol | undefined;
  graph.forEachDefinedSymbol((sym) => {
    if (found === undefined && sym.name === name) found = sym;
  });
  return found;
}

/** How to read one kind of table back from a linked graph: its section, and whom each entry serves. */
export interface TableReader {
  /** The section holding the table (`TableFormat.sectionName`). */
  readonly sectionName: string;
  /** The symbol `entry` serves, or undefined for a symbol of the section that is no entry of the table's shape. */
  entryTarget(entry: Symbol): Symbol | undefined;
}

/**
 * Entries of a graph's tables by the name of the symbol each serves, read
 * back from the graph (a link's TableManagers are gone once it ends), for
 * tools: jitlink-check's `got_addr` and `stub_addr` through
 * `BackendTools.findTableEntry`. The returned function caches its answer per
 * graph and reads the tables again when one of their sections has gained
 * symbols (tables only grow). Where two entries serve one name, the later
 * in the section wins.
 *
 * @example
 * ```ts
 * const tableEntries = createTableEntryIndex({
 *   got: { sectionName: '$__GOT', entryTarget: gotEntryTarget },
 *   stub: { sectionName: '$__STUBS', entryTarget: stubTarget },
 * });
 * const findTableEntry = (graph, kind, name) => tableEntries(graph)[kind].get(name);
 * ```
 */
export function createTableEntryIndex<Kind extends string>(
  readers: Readonly<Record<Kind, TableReader>>,
): (graph: LinkGraph) => Record<Kind, Map<string, Symbol>> {
  const kinds = Object.keys(readers) as Kind[];
  const indexes = new WeakMap<LinkGraph, { symbolCounts: number[]; entries: Record<Kind, Map<string, Symbol>> }>();
  return (graph) => {
    const sections = kinds.map((kind) => graph.findSectionByName(readers[kind].sectionName));
    const symbolCounts = sections.map((section) => section?.symbols.size ?? 0);
    const known = indexes.get(graph);
    if (known !== undefined && known.symbolCounts.every((count, i) => count === symbolCounts[i])) return known.entries;
    const entries = {} as Record<Kind, Map<string, Symbol>>;
    kinds.forEach((kind, i) => {
      const byName = new Map<string, Symbol>();
      for (const entry of sections[i]?.symbols ?? []) {
        const target = readers[kind].entryTarget(entry);
        if (target?.name !== undefined) byName.set(target.name, entry);
      }
      entries[kind] = byName;
    });
    indexes.set(graph, { symbolCounts, entries });
    return entries;
  };
}
