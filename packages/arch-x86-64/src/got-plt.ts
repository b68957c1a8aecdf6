/**
 * GOT and PLT-stub construction (a post-prune pass).
 *
 * - `$__GOT` (RW-): one 8-byte entry per target symbol, holding a Pointer64
 *   edge to the target. Request* edges are pointed at the entry and given
 *   their final kind. A graph's entries are anonymous symbols in one table
 *   block, as its stubs are in another.
 * - `$__STUBS` (R-X): one 6-byte `jmp *entry(%rip)` (ff 25 disp32) per
 *   external or absolute callee of a BranchPCRel32ToPtrJumpStubBypassable
 *   edge; the disp32 is a PCRel32 edge to the callee's GOT entry. Calls to
 *   callees defined in the graph become plain BranchPCRel32.
 * - The GOT base: when the graph references `_GLOBAL_OFFSET_TABLE_` (the
 *   GOTPC32/GOTPC64 relocations of -mcmodel=large code) or has GOT-relative
 *   edges, the external `_GLOBAL_OFFSET_TABLE_` is defined (local scope, as
 *   each graph has its own GOT) at the start of `$__GOT`, which is created
 *   even when it holds no entries.
 * - Canonical stubs for non-PIC function addresses: a Pointer32 or
 *   Pointer32Signed edge to an external symbol whose mangled name says it is
 *   a function gets a stub up front, because its address is only known after
 *   allocation. The pre-fixup pass `redirectUnreachableFunctionPointers` then
 *   points the edge at the stub only if the real address does not fit, which
 *   makes the stub the function's address for this code (as a static linker
 *   makes a PLT entry the canonical address in a non-PIC executable). Data
 *   is never redirected: a pointer to a stub is no pointer to the data.
 */
import {
  JITLinkError,
  Linkage,
  MemProt,
  Scope,
  type Block,
  type EdgeKind,
  type LinkGraph,
  type Section,
  type Symbol,
} from '@jitlink/core';
import { classifyMangledName } from './cxx-names.js';
import { tlsNotSupported } from './diagnostics.js';
import { getX86_64EdgeKindName, X86_64EdgeKinds as K } from './edge-kinds.js';

export const GOT_SECTION_NAME = '$__GOT';
export const STUBS_SECTION_NAME = '$__STUBS';
export const GOT_SYMBOL_NAME = '_GLOBAL_OFFSET_TABLE_';
export const GOT_ENTRY_SIZE = 8;
export const STUB_SIZE = 6;

/** `jmp *0(%rip)`: the disp32 at offset 2 is filled by the stub's PCRel32 edge. */
const STUB_TEMPLATE = new Uint8Array([0xff, 0x25, 0x00, 0x00, 0x00, 0x00]);
/** Content of every GOT entry before fixups (shared: blocks copy it before any write). */
const NULL_POINTER = new Uint8Array(GOT_ENTRY_SIZE);
const EMPTY = new Uint8Array(0);

const gotBases = new WeakMap<LinkGraph, Symbol>();

/**
 * The symbol whose address is the graph's GOT base: the one the GOT/PLT pass
 * defined, else a defined or absolute `_GLOBAL_OFFSET_TABLE_` (for graphs built
 * by hand).
 */
export function findGOTBase(graph: LinkGraph): Symbol | undefined {
  const known = gotBases.get(graph);
  if (known !== undefined && known.inGraph) return known;
  for (const sym of graph.absoluteSymbols()) {
    if (sym.name === GOT_SYMBOL_NAME) return remember(graph, sym);
  }
  for (const sym of graph.definedSymbols()) {
    if (sym.name === GOT_SYMBOL_NAME) return remember(graph, sym);
  }
  return undefined;
}

function remember(graph: LinkGraph, sym: Symbol): Symbol {
  gotBases.set(graph, sym);
  return sym;
}

/**
 * One growing table block: fixed-size entries appended one after another,
 * each with its own symbol. A graph's GOT entries share one block, and so do
 * its stubs (a graph linking against libc and a few other objects needs
 * thousands; a block each tripled the graph's blocks).
 */
class TableBlock {
  readonly block: Block;
  private bytes: Uint8Array;
  private used = 0;
  /**
   * While entries are appended the block's content is the whole buffer, so
   * that a new entry's symbol lies inside it; sync() trims it to the entries.
   */
  private trimmed = true;

  constructor(
    graph: LinkGraph,
    section: Section,
    address: number,
    private readonly entrySize: number,
    alignment: number,
    private readonly template: Uint8Array,
  ) {
    this.bytes = new Uint8Array(entrySize * 16);
    this.block = graph.createMutableContentBlock(section, this.bytes.subarray(0, 0), address, alignment, 0);
  }

  /** Appends an entry (its content is the template) and returns its offset in the block. */
  append(): number {
    const offset = this.used;
    if (offset + this.entrySize > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes.subarray(0, offset));
      this.bytes = grown;
      this.trimmed = true;
    }
    if (this.trimmed) {
      this.block.setMutableContent(this.bytes);
      this.trimmed = false;
    }
    this.bytes.set(this.template, offset);
    this.used = offset + this.entrySize;
    return offset;
  }

  /** Trims the block's content to the entries appended so far. */
  sync(): void {
    if (this.trimmed) return;
    this.block.setMutableContent(this.bytes.subarray(0, this.used));
    this.trimmed = true;
  }
}

/**
 * Builds GOT entries and jump stubs for one graph; keyed by target symbol.
 * Entries are anonymous symbols in one table block per section (see TableBlock).
 */
export class GOTAndStubsBuilder {
  private gotTable: TableBlock | undefined;
  private stubTable: TableBlock | undefined;
  private readonly gotEntries = new Map<Symbol, Symbol>();
  private readonly stubs = new Map<Symbol, Symbol>();
  /** Inside run(): table contents are synced once at its end rather than after every entry. */
  private batching = false;

  constructor(private readonly graph: LinkGraph) {}

  /** The GOT entry for `target`, created on first request. */
  getGOTEntry(target: Symbol): Symbol {
    let entry = this.gotEntries.get(target);
    if (entry !== undefined) return entry;
    // The table sits after the zero-size GOT base block (address 0), if there is one.
    const table = (this.gotTable ??= new TableBlock(
      this.graph,
      this.getGOTSection(),
      GOT_ENTRY_SIZE,
      GOT_ENTRY_SIZE,
      GOT_ENTRY_SIZE,
      NULL_POINTER,
    ));
    const offset = table.append();
    table.block.appendEdge(K.Pointer64, offset, target, 0);
    entry = this.graph.addAnonymousSymbol(table.block, offset, GOT_ENTRY_SIZE, false, true);
    this.gotEntries.set(target, entry);
    if (!this.batching) table.sync();
    return entry;
  }

  /** The jump stub for `target`, created (with its GOT entry) on first request. */
  getStub(target: Symbol): Symbol {
    let stub = this.stubs.get(target);
    if (stub !== undefined) return stub;
    const entry = this.getGOTEntry(target);
    if (this.stubTable === undefined) {
      const section =
        this.graph.findSectionByName(STUBS_SECTION_NAME) ??
        this.graph.createSection(STUBS_SECTION_NAME, MemProt.Read | MemProt.Exec);
      this.stubTable = new TableBlock(this.graph, section, 0, STUB_SIZE, 1, STUB_TEMPLATE);
    }
    const table = this.stubTable;
    const offset = table.append();
    table.block.appendEdge(K.PCRel32, offset + 2, entry, 0);
    stub = this.graph.addAnonymousSymbol(table.block, offset, STUB_SIZE, true, true);
    this.stubs.set(target, stub);
    if (!this.batching) table.sync();
    return stub;
  }

  private getGOTSection(): Section {
    return (
      this.graph.findSectionByName(GOT_SECTION_NAME) ??
      this.graph.createSection(GOT_SECTION_NAME, MemProt.Read | MemProt.Write)
    );
  }

  /**
   * Defines the GOT base at the start of `$__GOT` (creating the section if
   * needed). An external `_GLOBAL_OFFSET_TABLE_` becomes that definition.
   */
  defineGOTBase(): Symbol {
    const existing = findGOTBase(this.graph);
    if (existing !== undefined) return existing;
    const section = this.getGOTSection();
    const block = this.graph.createContentBlock(section, EMPTY, 0, GOT_ENTRY_SIZE, 0);
    const external = this.graph.findExternalSymbol(GOT_SYMBOL_NAME);
    let base: Symbol;
    if (external !== undefined) {
      this.graph.makeDefined(external, block, 0, 0, Linkage.Strong, Scope.Local, true);
      base = external;
    } else {
      base = this.graph.addDefinedSymbol(
        block,
        0,
        GOT_SYMBOL_NAME,
        0,
        Linkage.Strong,
        Scope.Local,
        false,
        true,
      );
    }
    return remember(this.graph, base);
  }

  /** Points edge `i` of `block` at its target's GOT entry, as an edge of `kind`. */
  private lowerToGOTEntry(block: Block, i: number, kind: EdgeKind): void {
    block.setEdgeTarget(i, this.getGOTEntry(block.edgeTarget(i)));
    block.setEdgeKind(i, kind);
  }

  /** Lowers every Request* and stub-call edge in the graph. */
  run(): void {
    this.batching = true;
    try {
      this.lowerEdges();
    } finally {
      this.batching = false;
      this.gotTable?.sync();
      this.stubTable?.sync();
    }
  }

  private lowerEdges(): void {
    const graph = this.graph;
    let needsGOTBase = graph.findExternalSymbol(GOT_SYMBOL_NAME) !== undefined;
    let hasExternalPointer32 = false;
    const blocks: Block[] = graph.blockList();
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b]!;
      const edgeCount = block.edgeCount;
      for (let i = 0; i < edgeCount; i++) {
        switch (block.edgeKind(i)) {
          case K.RequestGOTAndTransformToDelta32:
            this.lowerToGOTEntry(block, i, K.Delta32);
            break;
          case K.RequestGOTAndTransformToDelta64:
            this.lowerToGOTEntry(block, i, K.Delta64);
            break;
          case K.RequestGOTAndTransformToDelta64FromGOT:
            this.lowerToGOTEntry(block, i, K.Delta64FromGOT);
            needsGOTBase = true;
            break;
          case K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable:
            this.lowerToGOTEntry(block, i, K.PCRel32GOTLoadRelaxable);
            break;
          case K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable:
            this.lowerToGOTEntry(block, i, K.PCRel32GOTLoadREXRelaxable);
            break;
          case K.Delta64FromGOT:
            needsGOTBase = true;
            break;
          case K.Pointer32:
          case K.Pointer32Signed: {
            const target = block.edgeTarget(i);
            if (!target.isDefined() && block.edgeAddend(i) === 0) {
              hasExternalPointer32 = true;
              if (target.name !== undefined && classifyMangledName(target.name) === 'function') {
                this.getStub(target);
              }
            }
            break;
          }
          case K.BranchPCRel32ToPtrJumpStubBypassable: {
            const target = block.edgeTarget(i);
            if (target.isDefined()) {
              if (!isStub(target)) block.setEdgeKind(i, K.BranchPCRel32);
            } else {
              block.setEdgeTarget(i, this.getStub(target));
            }
            break;
          }
          case K.PCRel32TLVPLoadREXRelaxable:
          case K.RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable:
          case K.RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable:
            throw tlsNotSupported(
              getX86_64EdgeKindName(block.edgeKind(i)),
              graph.name,
              block.section.name,
              block.address + block.edgeOffset(i),
            );
          default:
            break;
        }
      }
    }
    if (needsGOTBase) this.defineGOTBase();
    if (hasExternalPointer32) graphsWithExternalPointer32.add(graph);
  }
}

/** True when `sym` is a jump stub built by this module. */
export function isStub(sym: Symbol): boolean {
  return sym.isDefined() && sym.block.section.name === STUBS_SECTION_NAME;
}

/** The GOT entry a stub jumps through, if `stub` has the shape this module builds. */
export function stubGOTEntry(stub: Symbol): Symbol | undefined {
  if (!isStub(stub)) return undefined;
  const block = stub.block;
  // In a stub table, stub k (at offset 6k) has edge k.
  const i = edgeIndexAt(block, stub.offset + 2, stub.offset / STUB_SIZE);
  if (i < 0 || block.edgeKind(i) !== K.PCRel32) return undefined;
  return block.edgeTarget(i);
}

/** The symbol a GOT entry points to, if `entry` has the shape this module builds. */
export function gotEntryTarget(entry: Symbol): Symbol | undefined {
  if (!entry.isDefined()) return undefined;
  const block = entry.block;
  if (block.section.name !== GOT_SECTION_NAME || entry.size !== GOT_ENTRY_SIZE) return undefined;
  if (entry.offset + GOT_ENTRY_SIZE > block.size) return undefined;
  // In a GOT table, entry k (at offset 8k) has edge k.
  const i = edgeIndexAt(block, entry.offset, entry.offset / GOT_ENTRY_SIZE);
  if (i < 0 || block.edgeKind(i) !== K.Pointer64 || block.edgeAddend(i) !== 0) return undefined;
  return block.edgeTarget(i);
}

/**
 * Index of the edge at `offset` in `block`, or -1: edge `guess` if it is
 * there (as in the tables this module builds), else by bisection (edges in
 * offset order), else (blocks built otherwise) one edge after another.
 */
function edgeIndexAt(block: Block, offset: number, guess: number): number {
  const count = block.edgeCount;
  if (guess < count && block.edgeOffset(guess) === offset) return guess;
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (block.edgeOffset(mid) < offset) lo = mid + 1;
    else hi = mid;
  }
  if (lo < count && block.edgeOffset(lo) === offset) return lo;
  for (let i = 0; i < count; i++) if (block.edgeOffset(i) === offset) return i;
  return -1;
}

const UINT32_MAX = 0xffff_ffff;

/** Graphs in which buildGOTAndStubs saw a Pointer32/Pointer32Signed edge to an external symbol. */
const graphsWithExternalPointer32 = new WeakSet<LinkGraph>();

/**
 * The pre-fixup pass for non-PIC code: Pointer32 / Pointer32Signed edges to
 * an external function that the GOT/stub pass gave a stub, whose resolved
 * address does not fit the field, are pointed at the stub instead. Acts only
 * on graphs where buildGOTAndStubs found such edges (it runs after it).
 */
export function redirectUnreachableFunctionPointers(graph: LinkGraph): void {
  const section = graph.findSectionByName(STUBS_SECTION_NAME);
  // Only non-PIC code has such edges; buildGOTAndStubs noted whether this graph does.
  if (section === undefined || !graphsWithExternalPointer32.has(graph)) return;
  let stubsByTarget: Map<Symbol, Symbol> | undefined;
  for (const block of graph.blockList()) {
    const edgeCount = block.edgeCount;
    for (let i = 0; i < edgeCount; i++) {
      const kind = block.edgeKind(i);
      if (kind !== K.Pointer32 && kind !== K.Pointer32Signed) continue;
      const target = block.edgeTarget(i);
      if (target.isDefined() || block.edgeAddend(i) !== 0) continue;
      const value = target.address;
      const fits =
        kind === K.Pointer32
          ? value >= 0 && value <= UINT32_MAX
          : value >= -0x8000_0000 && value <= 0x7fff_ffff;
      if (fits) continue;
      if (stubsByTarget === undefined) {
        stubsByTarget = new Map();
        for (const sym of section.symbols) {
          const entry = stubGOTEntry(sym);
          const entryTarget = entry === undefined ? undefined : gotEntryTarget(entry);
          if (entryTarget !== undefined) stubsByTarget.set(entryTarget, sym);
        }
      }
      const stub = stubsByTarget.get(target);
      if (stub !== undefined) block.setEdgeTarget(i, stub);
    }
  }
}

/** The post-prune pass: builds the GOT, the jump stubs and the GOT base for `graph`. */
export function buildGOTAndStubs(graph: LinkGraph): void {
  if (graph.pointerSize !== 8) {
    throw new JITLinkError(
      'InvalidArgument',
      `x86-64 GOT/PLT pass run on a ${graph.pointerSize * 8}-bit graph ${graph.name}`,
    );
  }
  new GOTAndStubsBuilder(graph).run();
}
