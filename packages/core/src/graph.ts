/**
 * The LinkGraph: sections, blocks (content), symbols (names for offsets into
 * addressables) and edges (relocations from a block to a symbol).
 */
import { formatAddress, isPowerOfTwo, isRepresentableAddress, type TargetAddress } from './address.js';
import { genericEdgeKindName, type EdgeKind, type EdgeKindNamer } from './edge-kinds.js';
import { JITLinkError } from './errors.js';
import { MemLifetime, MemProt } from './memory-flags.js';
import { objectFormatOfTriple, type ObjectFormat } from './triple.js';

/** Whether a definition may be overridden (weak) or not (strong). */
export enum Linkage {
  Strong = 0,
  Weak = 1,
}

/** How far a symbol is visible. */
export enum Scope {
  /** Visible to everything. */
  Default = 0,
  /** Visible within the simulated dylib (JITDylib) only. */
  Hidden = 1,
  /** Visible within this graph only. */
  Local = 2,
}

/** Byte order of the target. */
export type Endianness = 'little' | 'big';

/** A node that can be assigned an address: a Block, or the target of an external or absolute symbol. */
export class Addressable {
  address: TargetAddress;
  /** True for blocks (content defined in the graph). */
  readonly isDefined: boolean;
  /** True for the targets of absolute symbols. */
  isAbsolute: boolean;
  /** Number of symbols whose base is this addressable. */
  symbolCount = 0;

  constructor(address: TargetAddress, isDefined: boolean, isAbsolute: boolean) {
    this.address = address;
    this.isDefined = isDefined;
    this.isAbsolute = isAbsolute;
  }
}

/** A relocation or other relationship from a block to a symbol. */
export class Edge {
  kind: EdgeKind;
  /** Offset from the start of the containing block. */
  offset: number;
  target: Symbol;
  addend: number;

  constructor(kind: EdgeKind, offset: number, target: Symbol, addend: number) {
    this.kind = kind;
    this.offset = offset;
    this.target = target;
    this.addend = addend;
  }

  isRelocation(): boolean {
    return this.kind >= 2;
  }
  isKeepAlive(): boolean {
    return this.kind === 1;
  }
}

// Reservations follow relocation counts, which the format reader has checked
// against the file's size; the cap only bounds what one block may reserve at
// once (4M edges: 96 MiB of columns). Beyond it, edges grow as they are added.
const MAX_RESERVED_EDGES = 1 << 22;

/**
 * @internal A graph's edges and symbols by number. Edges live in four columns
 * (kind, target symbol index, offset, addend) shared by all blocks of the
 * graph, each block owning one contiguous range of slots; a block whose range
 * fills up gets a larger one at the end (the old slots are left unused). Typed
 * columns hold no pointers for the garbage collector to trace, and offsets and
 * addends are doubles, exact up to 2^53. Symbols are numbered in creation order
 * (`Symbol.index`), so an edge's target is a number.
 */
export class EdgeArena {
  kinds: Int32Array;
  targets: Int32Array;
  offsets: Float64Array;
  addends: Float64Array;
  /** Slots handed out to blocks so far (used or not); the rest is free. */
  end = 0;
  /** The graph's symbols by index, removed ones included (edges may still name them). */
  readonly symbols: Symbol[] = [];
  /** Blocks that keep Edge objects instead of a range (see `Block.edges`): their kinds are not in the column. */
  blocksWithEdgeObjects = 0;

  constructor() {
    // Nothing is allocated until the first edge or reservation: many graphs
    // (and every table a session creates) have few edges or none.
    [this.offsets, this.addends, this.kinds, this.targets] = NO_EDGE_COLUMNS;
  }

  /**
   * Makes room for `count` more slots in one step (see LinkGraph.reserveEdges),
   * and a quarter more (up to 1M) and 64 slots: the link's passes add edges
   * the builders cannot count (GOT and stub entries, keep-alives) and move
   * ranges that outgrow their room, and a new buffer costs more than its
   * bytes.
   */
  reserve(count: number): void {
    const needed = this.end + count;
    if (needed > this.kinds.length) this.resize(needed + Math.min(needed >> 2, MAX_RESERVED_EDGES >> 2) + 64);
  }

  /** Hands out `count` slots at the end of the arena and returns the first. */
  allocate(count: number): number {
    const start = this.end;
    const needed = start + count;
    if (needed > this.kinds.length) this.grow(needed);
    this.end = needed;
    return start;
  }

  private grow(needed: number): void {
    this.resize(Math.max(needed, this.kinds.length * 2, 64));
  }

  private resize(capacity: number): void {
    const used = this.end;
    const [offsets, addends, kinds, targets] = edgeColumns(capacity);
    offsets.set(this.offsets.subarray(0, used));
    addends.set(this.addends.subarray(0, used));
    kinds.set(this.kinds.subarray(0, used));
    targets.set(this.targets.subarray(0, used));
    this.offsets = offsets;
    this.addends = addends;
    this.kinds = kinds;
    this.targets = targets;
  }

  /** Copies `count` edges from slot `from` to slot `to` (ranges may overlap). */
  move(from: number, to: number, count: number): void {
    if (count === 0 || from === to) return;
    this.kinds.copyWithin(to, from, from + count);
    this.targets.copyWithin(to, from, from + count);
    this.offsets.copyWithin(to, from, from + count);
    this.addends.copyWithin(to, from, from + count);
  }

  /**
   * Whether a slot handed out so far holds a kind `k` with `kinds[k] !== 0`
   * (or some block's edges are objects, which are not read). Slots left
   * behind by moved or shortened ranges are read too, so true may be spurious;
   * false is certain.
   */
  mayHoldKind(kinds: Uint8Array): boolean {
    if (this.blocksWithEdgeObjects > 0) return true;
    const column = this.kinds;
    const known = kinds.length;
    for (let j = 0, end = this.end; j < end; j++) {
      const kind = column[j]!;
      if (kind < known && kind >= 0 && kinds[kind] !== 0) return true;
    }
    return false;
  }

  /** Numbers a new symbol of the graph. */
  register(sym: Symbol): number {
    this.symbols.push(sym);
    return this.symbols.length - 1;
  }

  /** The index of `sym`, which must be a symbol of this graph. */
  indexOf(sym: Symbol): number {
    const index = sym.index;
    if (this.symbols[index] !== sym) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `edge target ${sym.describe()} is not a symbol of this graph`,
      );
    }
    return index;
  }
}

/**
 * The four columns of `capacity` edges as views of one buffer (one allocation
 * to make, free or transfer): offsets and addends, then kinds and targets.
 */
function edgeColumns(capacity: number): [Float64Array, Float64Array, Int32Array, Int32Array] {
  const buffer = new ArrayBuffer(capacity * 24);
  return [
    new Float64Array(buffer, 0, capacity),
    new Float64Array(buffer, capacity * 8, capacity),
    new Int32Array(buffer, capacity * 16, capacity),
    new Int32Array(buffer, capacity * 20, capacity),
  ];
}

const NO_EDGE_COLUMNS = edgeColumns(0);

/** Contiguous content (or zero-fill) that is laid out as a unit. */
export class Block extends Addressable {
  section: Section;
  // Edges are kept by value in the graph's EdgeArena: edges [0, edgeTotal)
  // are slots [edgeStart, edgeStart + edgeTotal) of its columns, with room up
  // to edgeCapacity. Once something asks for Edge objects (`edges`, `addEdge`,
  // `removeEdge`) the block keeps those objects instead and leaves its range.
  // Builders and the link's own passes use the indexed accessors, so a large
  // link allocates no object per relocation.
  private arena: EdgeArena;
  private edgeStart = 0;
  private edgeTotal = 0;
  private edgeCapacity = 0;
  private edgeObjects: Edge[] | null = null;
  private contentBytes: Uint8Array | null;
  private sizeBytes: number;
  private mutable: boolean;
  alignment: number;
  alignmentOffset: number;
  /** @internal Scratch mark for graph walks (see prune): equal to the walk's number once visited. */
  walkMark = 0;

  /** @internal Use LinkGraph.createContentBlock / createZeroFillBlock. */
  constructor(
    arena: EdgeArena,
    section: Section,
    content: Uint8Array | null,
    size: number,
    address: TargetAddress,
    alignment: number,
    alignmentOffset: number,
    mutable: boolean,
  ) {
    super(address, true, false);
    this.arena = arena;
    this.section = section;
    this.contentBytes = content;
    this.sizeBytes = size;
    this.alignment = alignment;
    this.alignmentOffset = alignmentOffset;
    this.mutable = mutable;
  }

  get size(): number {
    return this.sizeBytes;
  }
  isZeroFill(): boolean {
    return this.contentBytes === null;
  }
  isContentMutable(): boolean {
    return this.mutable;
  }

  /** The block's bytes. Throws for zero-fill blocks (check isZeroFill, or use `size`). */
  getContent(): Uint8Array {
    if (this.contentBytes === null) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `zero-fill block at ${formatAddress(this.address)} has no content`,
      );
    }
    return this.contentBytes;
  }

  /** The block's bytes, copied into graph-owned memory first if they were borrowed from the input. */
  getMutableContent(graph: LinkGraph): Uint8Array {
    const content = this.getContent();
    if (!this.mutable) {
      this.contentBytes = graph.allocateContent(content);
      this.mutable = true;
    }
    return this.contentBytes!;
  }

  /** Replaces the content with borrowed (read-only) bytes. */
  setContent(content: Uint8Array): void {
    this.contentBytes = content;
    this.sizeBytes = content.length;
    this.mutable = false;
  }

  /** Replaces the content with bytes the block may modify in place. */
  setMutableContent(content: Uint8Array): void {
    this.contentBytes = content;
    this.sizeBytes = content.length;
    this.mutable = true;
  }

  /** Turns the block into zero-fill of the given size. */
  setZeroFillSize(size: number): void {
    this.contentBytes = null;
    this.sizeBytes = size;
    this.mutable = false;
  }

  /** Number of edges. */
  get edgeCount(): number {
    if (this.edgeObjects !== null) return this.edgeObjects.length;
    return this.edgeTotal;
  }

  // Indexed access to edge `i` (0 <= i < edgeCount), without creating Edge
  // objects. An index outside the block's edges is an error, never another
  // block's edge. The checks are written out in each accessor: the link's
  // passes mostly run before V8 optimizes them, where every call counts.
  edgeKind(i: number): EdgeKind {
    if (this.edgeObjects !== null) return this.edgeObjects[i]!.kind;
    if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
    return this.arena.kinds[this.edgeStart + i]!;
  }
  edgeOffset(i: number): number {
    if (this.edgeObjects !== null) return this.edgeObjects[i]!.offset;
    if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
    return this.arena.offsets[this.edgeStart + i]!;
  }
  edgeTarget(i: number): Symbol {
    if (this.edgeObjects !== null) return this.edgeObjects[i]!.target;
    if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
    const arena = this.arena;
    return arena.symbols[arena.targets[this.edgeStart + i]!]!;
  }
  edgeAddend(i: number): number {
    if (this.edgeObjects !== null) return this.edgeObjects[i]!.addend;
    if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
    return this.arena.addends[this.edgeStart + i]!;
  }
  setEdgeKind(i: number, kind: EdgeKind): void {
    if (this.edgeObjects !== null) this.edgeObjects[i]!.kind = kind;
    else {
      if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
      if ((kind | 0) !== kind) throw edgeKindError(kind);
      this.arena.kinds[this.edgeStart + i] = kind;
    }
  }
  setEdgeOffset(i: number, offset: number): void {
    if (this.edgeObjects !== null) this.edgeObjects[i]!.offset = offset;
    else {
      if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
      this.arena.offsets[this.edgeStart + i] = offset;
    }
  }
  setEdgeTarget(i: number, target: Symbol): void {
    if (this.edgeObjects !== null) this.edgeObjects[i]!.target = target;
    else {
      if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
      this.arena.targets[this.edgeStart + i] = this.arena.indexOf(target);
    }
  }
  setEdgeAddend(i: number, addend: number): void {
    if (this.edgeObjects !== null) this.edgeObjects[i]!.addend = addend;
    else {
      if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
      this.arena.addends[this.edgeStart + i] = addend;
    }
  }

  /**
   * Makes room for `count` more edges, so that adding them does not grow the
   * storage step by step (builders know their relocation counts).
   */
  reserveEdges(count: number): void {
    if (this.edgeObjects !== null || !(count > 0) || count > MAX_RESERVED_EDGES) return;
    if (this.edgeCapacity - this.edgeTotal >= count) return;
    // One spare: passes often add one edge (eh-frame's keep-alive to the FDE).
    this.moveEdgeRange(this.edgeTotal + Math.ceil(count) + 1);
  }

  /**
   * Gives the block room for `capacity` edges: in place when its range is the
   * last of the arena, else in a new range at the arena's end.
   */
  private moveEdgeRange(capacity: number): void {
    const arena = this.arena;
    const oldCapacity = this.edgeCapacity;
    if (oldCapacity > 0 && this.edgeStart + oldCapacity === arena.end) {
      arena.allocate(capacity - oldCapacity);
    } else {
      const start = arena.allocate(capacity);
      arena.move(this.edgeStart, start, this.edgeTotal);
      this.edgeStart = start;
    }
    this.edgeCapacity = capacity;
  }

  /**
   * @internal The graph's edge storage and the slot of the block's edge 0 in
   * it (edge i is slot start + i of its columns), or -1 when the block keeps
   * Edge objects: for core passes that walk the columns themselves. The
   * arena's columns are replaced when it grows, so read them through it.
   */
  edgeSlots(): number {
    return this.edgeObjects !== null ? -1 : this.edgeStart;
  }
  /** @internal See edgeSlots. */
  get edgeStorage(): EdgeArena {
    return this.arena;
  }

  /** Copies edge `i` into `into` (one call instead of four accessors) and returns it. */
  readEdge(i: number, into: Edge): Edge {
    const objects = this.edgeObjects;
    if (objects !== null) {
      const e = objects[i]!;
      into.kind = e.kind;
      into.offset = e.offset;
      into.target = e.target;
      into.addend = e.addend;
    } else {
      if (!(i >= 0 && i < this.edgeTotal)) throw edgeIndexError(this, i);
      const arena = this.arena;
      const j = this.edgeStart + i;
      into.kind = arena.kinds[j]!;
      into.offset = arena.offsets[j]!;
      into.target = arena.symbols[arena.targets[j]!]!;
      into.addend = arena.addends[j]!;
    }
    return into;
  }

  /** Adds an edge without creating an Edge object (see `edges`). */
  appendEdge(kind: EdgeKind, offset: number, target: Symbol, addend: number): void {
    if (this.edgeObjects !== null) {
      this.edgeObjects.push(new Edge(kind, offset, target, addend));
      return;
    }
    if ((kind | 0) !== kind) throw edgeKindError(kind);
    const arena = this.arena;
    const targetIndex = target.index;
    if (arena.symbols[targetIndex] !== target) arena.indexOf(target); // throws
    this.appendEdgeSlot(kind, offset, targetIndex, addend);
  }

  private appendEdgeSlot(kind: EdgeKind, offset: number, targetIndex: number, addend: number): void {
    const n = this.edgeTotal;
    if (n === this.edgeCapacity) this.moveEdgeRange(n === 0 ? 1 : n * 2);
    const arena = this.arena;
    const j = this.edgeStart + n;
    arena.kinds[j] = kind;
    arena.targets[j] = targetIndex;
    arena.offsets[j] = offset;
    arena.addends[j] = addend;
    this.edgeTotal = n + 1;
  }

  /** Removes edge `i`; the edges after it move down by one. */
  removeEdgeAt(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.edgeCount) {
      throw new JITLinkError('InvalidGraphOperation', `edge index ${i} is out of range`);
    }
    if (this.edgeObjects !== null) this.edgeObjects.splice(i, 1);
    else {
      const j = this.edgeStart + i;
      this.arena.move(j + 1, j, this.edgeTotal - i - 1);
      this.edgeTotal--;
    }
  }

  /**
   * The edges as objects. Reading, writing or pushing through them changes the
   * block's edges. The first call creates the objects; passes over every block
   * of large graphs should prefer `edgeCount` and the indexed accessors.
   */
  get edges(): Edge[] {
    if (this.edgeObjects === null) {
      const arena = this.arena;
      const objects: Edge[] = [];
      for (let j = this.edgeStart, end = j + this.edgeTotal; j < end; j++) {
        objects.push(
          new Edge(arena.kinds[j]!, arena.offsets[j]!, arena.symbols[arena.targets[j]!]!, arena.addends[j]!),
        );
      }
      this.edgeObjects = objects;
      this.arena.blocksWithEdgeObjects++;
      this.edgeStart = 0;
      this.edgeTotal = 0;
      this.edgeCapacity = 0;
    }
    return this.edgeObjects;
  }

  /** Adds an edge and returns it as an object (see `appendEdge` for the cheaper form). */
  addEdge(kind: EdgeKind, offset: number, target: Symbol, addend: number): Edge {
    const edge = new Edge(kind, offset, target, addend);
    this.edges.push(edge);
    return edge;
  }

  removeEdge(edge: Edge): void {
    const edges = this.edges;
    const i = edges.indexOf(edge);
    if (i < 0) throw new JITLinkError('InvalidGraphOperation', 'edge does not belong to this block');
    edges.splice(i, 1);
  }

  /**
   * @internal Moves the edges at offsets below `splitIndex` to `left` and
   * rebases the rest (see LinkGraph.splitBlock).
   */
  splitEdgesInto(left: Block, splitIndex: number): void {
    if (this.edgeObjects !== null) {
      const kept: Edge[] = [];
      for (const e of this.edgeObjects) {
        if (e.offset < splitIndex) left.edges.push(e);
        else {
          e.offset -= splitIndex;
          kept.push(e);
        }
      }
      this.edgeObjects = kept;
      return;
    }
    // Kept edges are compacted in place; moved ones are appended to `left`,
    // whose room is made once (growing, and so replacing, the arena's columns:
    // they are read anew each time).
    const arena = this.arena;
    let moving = 0;
    for (let j = this.edgeStart, end = j + this.edgeTotal; j < end; j++)
      if (arena.offsets[j]! < splitIndex) moving++;
    if (moving === 0) return;
    left.reserveEdges(moving);
    let kept = this.edgeStart;
    for (let j = this.edgeStart, end = j + this.edgeTotal; j < end; j++) {
      const offset = arena.offsets[j]!;
      if (offset < splitIndex) {
        left.appendEdgeSlot(arena.kinds[j]!, offset, arena.targets[j]!, arena.addends[j]!);
      } else {
        arena.kinds[kept] = arena.kinds[j]!;
        arena.targets[kept] = arena.targets[j]!;
        arena.offsets[kept] = offset - splitIndex;
        arena.addends[kept] = arena.addends[j]!;
        kept++;
      }
    }
    this.edgeTotal = kept - this.edgeStart;
  }

  /**
   * @internal Copies the block's edges into `arena` (another graph's, see
   * LinkGraph.adoptEdgesAndSymbols), whose symbol `targetBase + i` is this
   * arena's symbol `i`.
   */
  moveEdgesTo(arena: EdgeArena, targetBase: number): void {
    const from = this.arena;
    this.arena = arena;
    if (this.edgeObjects !== null) {
      arena.blocksWithEdgeObjects++;
      return;
    }
    const count = this.edgeTotal;
    const start = arena.allocate(count);
    for (let k = 0; k < count; k++) {
      const j = this.edgeStart + k;
      arena.kinds[start + k] = from.kinds[j]!;
      arena.targets[start + k] = from.targets[j]! + targetBase;
      arena.offsets[start + k] = from.offsets[j]!;
      arena.addends[start + k] = from.addends[j]!;
    }
    this.edgeStart = start;
    this.edgeCapacity = count;
  }

  /** Address the given edge patches. */
  getFixupAddress(edge: Edge): TargetAddress {
    return this.address + edge.offset;
  }
}

/** Edge kinds are stored as 32-bit integers: anything else would be silently changed. */
function edgeKindError(kind: EdgeKind): JITLinkError {
  return new JITLinkError('InvalidGraphOperation', `edge kind ${kind} is not a 32-bit integer`);
}

function edgeIndexError(block: Block, i: number): JITLinkError {
  return new JITLinkError('InvalidGraphOperation', `edge index ${i} is out of range`, {
    section: block.section.name,
  });
}

/** A name (or anonymous handle) for an offset into an addressable. */
export class Symbol {
  name: string | undefined;
  /** @internal Use LinkGraph operations to change a symbol's base. */
  base: Addressable;
  offset: number;
  size: number;
  linkage: Linkage;
  scope: Scope;
  callable: boolean;
  live: boolean;
  /** False once removed from its graph; edges that still point here are caught at fixup time. */
  inGraph = true;
  /** @internal Position in its graph's symbol table (edges name their targets by it). */
  index: number;

  /** @internal Use LinkGraph.add*Symbol. */
  constructor(
    arena: EdgeArena,
    base: Addressable,
    name: string | undefined,
    offset: number,
    size: number,
    linkage: Linkage,
    scope: Scope,
    callable: boolean,
    live: boolean,
  ) {
    this.base = base;
    this.name = name;
    this.offset = offset;
    this.size = size;
    this.linkage = linkage;
    this.scope = scope;
    this.callable = callable;
    this.live = live;
    base.symbolCount++;
    this.index = arena.register(this);
  }

  hasName(): boolean {
    return this.name !== undefined;
  }
  get address(): TargetAddress {
    return this.base.address + this.offset;
  }
  isDefined(): boolean {
    return this.base.isDefined;
  }
  isAbsolute(): boolean {
    return this.base.isAbsolute;
  }
  isExternal(): boolean {
    return !this.base.isDefined && !this.base.isAbsolute;
  }
  /** The block this symbol is defined in. Throws for external and absolute symbols. */
  get block(): Block {
    if (!this.base.isDefined) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `symbol ${this.name ?? '<anonymous>'} is not defined in a block`,
      );
    }
    return this.base as Block;
  }
  /** A printable name: the symbol name, or a description for anonymous symbols. */
  describe(): string {
    if (this.name !== undefined) return this.name;
    if (this.base.isDefined)
      return `<anonymous symbol> at ${formatAddress(this.address)} in ${(this.base as Block).section.name}`;
    return '<anonymous symbol>';
  }
}

/** A set of blocks and the symbols defined in them, with common protections. */
export class Section {
  readonly name: string;
  prot: MemProt;
  lifetime: MemLifetime;
  ordinal: number;
  readonly blocks = new Set<Block>();
  readonly symbols = new Set<Symbol>();
  /**
   * Holds common symbols (set by LinkGraph.addCommonSymbol): whatever the
   * format calls such a section, its definitions are reported as common.
   */
  holdsCommonSymbols = false;

  /** @internal Use LinkGraph.createSection. */
  constructor(name: string, prot: MemProt, lifetime: MemLifetime, ordinal: number) {
    this.name = name;
    this.prot = prot;
    this.lifetime = lifetime;
    this.ordinal = ordinal;
  }

  /** The address range covered by the section's blocks: [start, end). Empty sections give start = end = 0. */
  range(): SectionRange {
    let start = Infinity;
    let end = -Infinity;
    let first: Block | undefined;
    this.blocks.forEach((b) => {
      if (b.address < start) {
        start = b.address;
        first = b;
      }
      if (b.address + b.size > end) end = b.address + b.size;
    });
    if (first === undefined) return { start: 0, end: 0, size: 0, firstBlock: undefined };
    return { start, end, size: end - start, firstBlock: first };
  }
}

/** The address range a section's blocks occupy after allocation, and its first block. */
export interface SectionRange {
  start: TargetAddress;
  end: TargetAddress;
  size: number;
  firstBlock: Block | undefined;
}

/**
 * What a new LinkGraph is for: its name, target triple, pointer size, byte order and edge-kind
 * names.
 */
export interface LinkGraphOptions {
  /** Usually the input file's name. */
  name: string;
  /** Target triple of the executor, e.g. "x86_64-unknown-linux-gnu". */
  triple: string;
  pointerSize: 4 | 8;
  endianness: Endianness;
  /** Prints this graph's architecture-specific edge kinds. */
  getEdgeKindName?: EdgeKindNamer;
  /** The object format; by default the one used on the triple's platform (objectFormatOfTriple). */
  format?: ObjectFormat;
}

const textEncoder = new TextEncoder();

/**
 * An object file as the linker sees it: sections of blocks (content or zero-fill), symbols that
 * name offsets in blocks (or are external or absolute), and edges (relocations) from blocks to
 * symbols.
 */
export class LinkGraph {
  readonly name: string;
  readonly triple: string;
  readonly format: ObjectFormat;
  readonly pointerSize: 4 | 8;
  readonly endianness: Endianness;
  readonly getEdgeKindName: EdgeKindNamer;
  private readonly sectionsByName = new Map<string, Section>();
  private readonly externals = new Map<string, Symbol>();
  private readonly absolutes = new Set<Symbol>();
  /** The edges of all blocks, and the symbols by index. */
  private readonly edgeArena = new EdgeArena();
  private nextOrdinal = 0;
  /**
   * Set (usually by an architecture pass) when the graph's own memory must lie
   * below 2 GiB, e.g. for absolute 32-bit references from -fno-pic code.
   */
  requiresLow32BitAddresses = false;
  /** Actions the executor runs when this graph's memory is finalized / deallocated. */
  readonly allocActions: AllocAction[] = [];

  constructor(options: LinkGraphOptions) {
    if (options.pointerSize !== 4 && options.pointerSize !== 8) {
      throw new JITLinkError(
        'InvalidArgument',
        `pointer size must be 4 or 8, got ${String(options.pointerSize)}`,
      );
    }
    this.name = options.name;
    this.triple = options.triple;
    this.format = options.format ?? objectFormatOfTriple(options.triple);
    this.pointerSize = options.pointerSize;
    this.endianness = options.endianness;
    this.getEdgeKindName = options.getEdgeKindName ?? genericEdgeKindName;
  }

  get isLittleEndian(): boolean {
    return this.endianness === 'little';
  }

  // ---- sections ----

  sections(): IterableIterator<Section> {
    return this.sectionsByName.values();
  }
  /**
   * Calls `fn` for each defined symbol, section by section. Per-graph passes
   * mostly run before V8 optimizes them, and there a for-of over
   * `definedSymbols()` allocates an iteration result per symbol; this does not.
   */
  forEachDefinedSymbol(fn: (sym: Symbol) => void): void {
    this.sectionsByName.forEach((section) => section.symbols.forEach(fn));
  }
  /** Every section, in a new array (in creation order). */
  sectionList(): Section[] {
    return [...this.sectionsByName.values()];
  }
  get sectionCount(): number {
    return this.sectionsByName.size;
  }

  createSection(name: string, prot: MemProt, lifetime: MemLifetime = MemLifetime.Standard): Section {
    if (this.sectionsByName.has(name)) {
      throw new JITLinkError('InvalidGraphOperation', `duplicate section ${name} in graph ${this.name}`);
    }
    const section = new Section(name, prot, lifetime, this.nextOrdinal++);
    this.sectionsByName.set(name, section);
    return section;
  }

  findSectionByName(name: string): Section | undefined {
    return this.sectionsByName.get(name);
  }

  /** Removes a section with all its blocks and symbols. */
  removeSection(section: Section): void {
    for (const sym of [...section.symbols]) this.removeDefinedSymbol(sym);
    for (const block of [...section.blocks]) this.removeBlock(block);
    this.sectionsByName.delete(section.name);
  }

  /**
   * @internal The first step of merging `from` into this graph
   * (mergeLinkGraphs): every symbol of `from`, removed ones included, is
   * numbered in this graph, and the edges of `from`'s blocks move to this
   * graph's arena, so that its blocks can then join this graph's sections.
   */
  adoptEdgesAndSymbols(from: LinkGraph): void {
    const arena = this.edgeArena;
    const targetBase = arena.symbols.length;
    for (const sym of from.edgeArena.symbols) sym.index = arena.register(sym);
    for (const block of from.blockList()) block.moveEdgesTo(arena, targetBase);
  }

  /**
   * Makes room for `count` more edges in the graph's edge storage at once, so
   * that the blocks' own reservations (`Block.reserveEdges`) and appends do
   * not grow it step by step, and a quarter more for what the link's passes
   * add. A builder that knows its relocation count calls it first; counts
   * above 16M edges are left to grow as they come.
   */
  reserveEdges(count: number): void {
    if (count > 0 && count <= MAX_RESERVED_EDGES * 4) this.edgeArena.reserve(Math.ceil(count));
  }

  /**
   * False when no edge of the graph has a kind `k` with `kinds[k] !== 0`
   * (indexed by kind, as a pass's table of actions): one read of the graph's
   * edge-kind column, no call per block or edge, so a pass with nothing to do
   * on a graph can say so cheaply. True may be spurious (the column keeps
   * slots that moved edges left behind); a pass then walks as before.
   */
  mayHaveEdgeOfKind(kinds: Uint8Array): boolean {
    return this.edgeArena.mayHoldKind(kinds);
  }

  // ---- blocks ----

  *blocks(): IterableIterator<Block> {
    for (const s of this.sectionsByName.values()) yield* s.blocks;
  }

  /** Every block, in a new array: a snapshot, and much faster to walk than blocks() in hot passes. */
  blockList(): Block[] {
    const sections = [...this.sectionsByName.values()];
    if (sections.length === 1) return [...sections[0]!.blocks];
    const out: Block[] = [];
    for (let s = 0; s < sections.length; s++) {
      const blocks = [...sections[s]!.blocks];
      for (let i = 0; i < blocks.length; i++) out.push(blocks[i]!);
    }
    return out;
  }

  /** Creates a block over borrowed content (not copied; copied on first mutation). */
  createContentBlock(
    section: Section,
    content: Uint8Array,
    address: TargetAddress,
    alignment: number,
    alignmentOffset: number,
  ): Block {
    return this.addBlock(section, content, content.length, address, alignment, alignmentOffset, false);
  }

  /** Creates a block over content the graph may modify in place. */
  createMutableContentBlock(
    section: Section,
    content: Uint8Array,
    address: TargetAddress,
    alignment: number,
    alignmentOffset: number,
  ): Block {
    return this.addBlock(section, content, content.length, address, alignment, alignmentOffset, true);
  }

  createZeroFillBlock(
    section: Section,
    size: number,
    address: TargetAddress,
    alignment: number,
    alignmentOffset: number,
  ): Block {
    if (!Number.isInteger(size) || size < 0) {
      throw new JITLinkError('InvalidGraphOperation', `invalid zero-fill block size ${size}`);
    }
    return this.addBlock(section, null, size, address, alignment, alignmentOffset, false);
  }

  private addBlock(
    section: Section,
    content: Uint8Array | null,
    size: number,
    address: TargetAddress,
    alignment: number,
    alignmentOffset: number,
    mutable: boolean,
  ): Block {
    this.checkBlockArgs(section, address, alignment, alignmentOffset);
    const block = new Block(
      this.edgeArena,
      section,
      content,
      size,
      address,
      alignment,
      alignmentOffset,
      mutable,
    );
    section.blocks.add(block);
    return block;
  }

  private checkBlockArgs(
    section: Section,
    address: number,
    alignment: number,
    alignmentOffset: number,
  ): void {
    if (this.sectionsByName.get(section.name) !== section) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `section ${section.name} does not belong to graph ${this.name}`,
      );
    }
    if (!isPowerOfTwo(alignment)) {
      throw new JITLinkError('InvalidGraphOperation', `block alignment ${alignment} is not a power of two`, {
        section: section.name,
      });
    }
    if (!Number.isInteger(alignmentOffset) || alignmentOffset < 0 || alignmentOffset >= alignment) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `block alignment offset ${alignmentOffset} is not below its alignment ${alignment}`,
        { section: section.name },
      );
    }
    if (!isRepresentableAddress(address)) {
      throw new JITLinkError(
        'AddressNotRepresentable',
        `block address ${address} is not exactly representable`,
      );
    }
  }

  /** Removes a block. Symbols defined in it must have been removed (or moved) first. */
  removeBlock(block: Block): void {
    if (block.symbolCount !== 0) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `cannot remove block at ${formatAddress(block.address)} in ${block.section.name}: ` +
          `${block.symbolCount} symbol(s) still defined in it`,
      );
    }
    if (!block.section.blocks.delete(block)) {
      throw new JITLinkError('InvalidGraphOperation', `block is not in section ${block.section.name}`);
    }
  }

  /**
   * Splits `block` at `splitIndex`: returns a new block holding [0, splitIndex),
   * and `block` keeps [splitIndex, size). Edges and symbols at offsets below the
   * split move to the new block; those at or above it stay with `block`, their
   * offsets reduced by splitIndex. A split at the block's size returns `block`.
   */
  splitBlock(block: Block, splitIndex: number): Block {
    if (!Number.isInteger(splitIndex) || splitIndex <= 0 || splitIndex > block.size) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `cannot split block of size ${block.size} at index ${splitIndex}`,
        { section: block.section.name },
      );
    }
    if (splitIndex === block.size) return block;

    const section = block.section;
    let left: Block;
    if (block.isZeroFill()) {
      left = this.createZeroFillBlock(
        section,
        splitIndex,
        block.address,
        block.alignment,
        block.alignmentOffset,
      );
      block.setZeroFillSize(block.size - splitIndex);
    } else {
      const content = block.getContent();
      const leftBytes = content.subarray(0, splitIndex);
      const rightBytes = content.subarray(splitIndex);
      if (block.isContentMutable()) {
        left = this.createMutableContentBlock(
          section,
          leftBytes,
          block.address,
          block.alignment,
          block.alignmentOffset,
        );
        block.setMutableContent(rightBytes);
      } else {
        left = this.createContentBlock(
          section,
          leftBytes,
          block.address,
          block.alignment,
          block.alignmentOffset,
        );
        block.setContent(rightBytes);
      }
    }
    block.address += splitIndex;
    block.alignmentOffset = (block.alignmentOffset + splitIndex) % block.alignment;

    block.splitEdgesInto(left, splitIndex);

    // Move symbols.
    section.symbols.forEach((sym) => {
      if (sym.base !== block) return;
      if (sym.offset < splitIndex) {
        block.symbolCount--;
        sym.base = left;
        left.symbolCount++;
        if (sym.offset + sym.size > splitIndex) sym.size = splitIndex - sym.offset;
      } else {
        sym.offset -= splitIndex;
      }
    });
    return left;
  }

  // ---- symbols ----

  *definedSymbols(): IterableIterator<Symbol> {
    for (const s of this.sectionsByName.values()) yield* s.symbols;
  }
  externalSymbols(): IterableIterator<Symbol> {
    return this.externals.values();
  }
  absoluteSymbols(): IterableIterator<Symbol> {
    return this.absolutes.values();
  }
  findExternalSymbol(name: string): Symbol | undefined {
    return this.externals.get(name);
  }

  /** Adds a symbol to be defined outside this graph. A weak linkage marks a weak reference. */
  addExternalSymbol(name: string, size: number, linkage: Linkage = Linkage.Strong): Symbol {
    if (this.externals.has(name)) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `duplicate external symbol ${name} in graph ${this.name}`,
      );
    }
    const sym = new Symbol(
      this.edgeArena,
      new Addressable(0, false, false),
      name,
      0,
      size,
      linkage,
      Scope.Default,
      false,
      false,
    );
    this.externals.set(name, sym);
    return sym;
  }

  addAbsoluteSymbol(
    name: string | undefined,
    address: TargetAddress,
    size: number,
    linkage: Linkage,
    scope: Scope,
    isLive: boolean,
  ): Symbol {
    if (!isRepresentableAddress(address)) {
      throw new JITLinkError(
        'AddressNotRepresentable',
        `absolute symbol ${name ?? ''} address is not exactly representable`,
      );
    }
    const sym = new Symbol(
      this.edgeArena,
      new Addressable(address, false, true),
      name,
      0,
      size,
      linkage,
      scope,
      false,
      isLive,
    );
    this.absolutes.add(sym);
    return sym;
  }

  /** Adds a zero-filled block in `section` and a weak symbol for it (a C "common" definition). */
  addCommonSymbol(
    name: string,
    scope: Scope,
    section: Section,
    address: TargetAddress,
    size: number,
    alignment: number,
    isLive: boolean,
  ): Symbol {
    const block = this.createZeroFillBlock(section, size, address, alignment, 0);
    section.holdsCommonSymbols = true;
    return this.addDefinedSymbol(block, 0, name, size, Linkage.Weak, scope, false, isLive);
  }

  addAnonymousSymbol(
    block: Block,
    offset: number,
    size: number,
    isCallable: boolean,
    isLive: boolean,
  ): Symbol {
    return this.addDefinedSymbol(
      block,
      offset,
      undefined,
      size,
      Linkage.Strong,
      Scope.Local,
      isCallable,
      isLive,
    );
  }

  addDefinedSymbol(
    block: Block,
    offset: number,
    name: string | undefined,
    size: number,
    linkage: Linkage,
    scope: Scope,
    isCallable: boolean,
    isLive: boolean,
  ): Symbol {
    this.checkSymbolOffset(block, offset, name);
    const sym = new Symbol(this.edgeArena, block, name, offset, size, linkage, scope, isCallable, isLive);
    block.section.symbols.add(sym);
    return sym;
  }

  private checkSymbolOffset(block: Block, offset: number, name: string | undefined): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > block.size) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `symbol ${name ?? '<anonymous>'} offset ${offset} is outside its block (size ${block.size})`,
        { section: block.section.name },
      );
    }
    if (!block.section.blocks.has(block)) {
      throw new JITLinkError('InvalidGraphOperation', `block is not in section ${block.section.name}`);
    }
  }

  /**
   * Turns a defined or absolute symbol into an external one. Edges to it stay
   * valid; its former block is kept (remove it with removeBlock if unused).
   */
  makeExternal(sym: Symbol): void {
    if (sym.isExternal()) return;
    if (sym.name === undefined)
      throw new JITLinkError('InvalidGraphOperation', 'cannot make an anonymous symbol external');
    if (this.externals.has(sym.name)) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `external symbol ${sym.name} already exists in graph ${this.name}`,
      );
    }
    this.detach(sym);
    sym.base = new Addressable(0, false, false);
    sym.base.symbolCount++;
    sym.offset = 0;
    sym.scope = Scope.Default;
    this.externals.set(sym.name, sym);
  }

  /** Turns an external or absolute symbol into one defined in `block`. */
  makeDefined(
    sym: Symbol,
    block: Block,
    offset: number,
    size: number,
    linkage: Linkage,
    scope: Scope,
    isLive: boolean,
  ): void {
    if (sym.isDefined())
      throw new JITLinkError('InvalidGraphOperation', `symbol ${sym.describe()} is already defined`);
    this.checkSymbolOffset(block, offset, sym.name);
    this.detach(sym);
    sym.base = block;
    block.symbolCount++;
    sym.offset = offset;
    sym.size = size;
    sym.linkage = linkage;
    sym.scope = scope;
    sym.live = isLive;
    block.section.symbols.add(sym);
  }

  /** Turns an external or defined symbol into an absolute one at `address`. */
  makeAbsolute(sym: Symbol, address: TargetAddress): void {
    if (!isRepresentableAddress(address)) {
      throw new JITLinkError(
        'AddressNotRepresentable',
        `absolute address for ${sym.describe()} is not exactly representable`,
      );
    }
    this.detach(sym);
    sym.base = new Addressable(address, false, true);
    sym.base.symbolCount++;
    sym.offset = 0;
    this.absolutes.add(sym);
  }

  /** Moves a defined symbol to another block (and section). */
  transferDefinedSymbol(sym: Symbol, block: Block, offset: number, size: number = sym.size): void {
    if (!sym.isDefined())
      throw new JITLinkError('InvalidGraphOperation', `symbol ${sym.describe()} is not defined`);
    this.checkSymbolOffset(block, offset, sym.name);
    this.detach(sym);
    sym.base = block;
    block.symbolCount++;
    sym.offset = offset;
    sym.size = size;
    block.section.symbols.add(sym);
  }

  private detach(sym: Symbol): void {
    const base = sym.base;
    if (base.isDefined) (base as Block).section.symbols.delete(sym);
    else if (base.isAbsolute) this.absolutes.delete(sym);
    else if (sym.name !== undefined && this.externals.get(sym.name) === sym) this.externals.delete(sym.name);
    base.symbolCount--;
  }

  /** Removes an external symbol and its addressable. */
  removeExternalSymbol(sym: Symbol): void {
    if (!sym.isExternal() || sym.name === undefined || this.externals.get(sym.name) !== sym) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `${sym.describe()} is not an external symbol of graph ${this.name}`,
      );
    }
    this.checkSoleReference(sym);
    this.detach(sym);
    sym.inGraph = false;
  }

  /** Removes an absolute symbol and its addressable. */
  removeAbsoluteSymbol(sym: Symbol): void {
    if (!sym.isAbsolute() || !this.absolutes.has(sym)) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `${sym.describe()} is not an absolute symbol of graph ${this.name}`,
      );
    }
    this.checkSoleReference(sym);
    this.detach(sym);
    sym.inGraph = false;
  }

  private checkSoleReference(sym: Symbol): void {
    if (sym.base.symbolCount !== 1) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `cannot remove ${sym.describe()}: its addressable is still referenced by ${sym.base.symbolCount - 1} other symbol(s)`,
      );
    }
  }

  /** Removes a defined symbol; its block stays. */
  removeDefinedSymbol(sym: Symbol): void {
    if (!sym.isDefined() || !sym.block.section.symbols.has(sym)) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `${sym.describe()} is not a defined symbol of graph ${this.name}`,
      );
    }
    this.detach(sym);
    sym.inGraph = false;
  }

  // ---- memory owned by the graph ----

  /** Copies a string (UTF-8, no terminator) into graph-owned memory. */
  allocateString(text: string): Uint8Array {
    return textEncoder.encode(text);
  }

  /** Copies bytes into graph-owned, mutable memory. */
  allocateContent(bytes: Uint8Array): Uint8Array {
    return bytes.slice();
  }

  /** Graph-owned zeroed memory of the given size. */
  allocateBuffer(size: number): Uint8Array {
    return new Uint8Array(size);
  }
}

/** A call made in the executor when memory is finalized, or when it is deallocated. */
export interface AllocActionCall {
  /**
   * The function to call: a target address (called with the given integer
   * arguments), or the name of a service the executor provides (e.g.
   * "registerEHFrame", "runInitializers").
   */
  fn: TargetAddress | string;
  args: readonly TargetAddress[];
}

/**
 * A call the executor makes when an allocation is finalized (registering eh-frames, running
 * initializers...), and the one that undoes it when the allocation is released.
 */
export interface AllocAction {
  finalize: AllocActionCall;
  /** Undoes `finalize` when the allocation is released. */
  dealloc?: AllocActionCall;
}
