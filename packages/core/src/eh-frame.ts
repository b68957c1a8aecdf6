/**
 * DWARF call-frame information (.eh_frame / __eh_frame) support shared by the
 * object formats: splitting the section into one block per CIE/FDE record,
 * completing and checking the edges of each record, and terminating the
 * section for runtimes (libgcc's __register_frame) that walk it until a zero
 * length.
 *
 * Liveness: an FDE has no live symbol of its own. The edge fixer adds a
 * KeepAlive edge from the block its pc-begin points into (the function) to the
 * FDE, so an FDE survives dead-stripping exactly when its function does; a
 * live FDE keeps its CIE alive through its CIE-pointer edge, and the CIE keeps
 * the personality pointer alive.
 */
import { readAddress64, type TargetAddress } from './address.js';
import { EdgeKinds, type EdgeKind } from './edge-kinds.js';
import { JITLinkError } from './errors.js';
import type { Block, LinkGraph, Section, Symbol } from './graph.js';
import type { LinkGraphPass, PassConfiguration } from './link.js';
import { decodeName } from './names.js';

/** Edge kinds the edge fixer creates for fields that have no relocation yet. */
export interface EHFrameEdgeKinds {
  /** T + A, 32 bits. */
  pointer32: EdgeKind;
  /** T + A, 64 bits. */
  pointer64: EdgeKind;
  /** T - P + A, 32 bits. */
  delta32: EdgeKind;
  /** T - P + A, 64 bits. */
  delta64: EdgeKind;
  /** P - T + A, 32 bits (the FDE's CIE pointer). */
  negDelta32: EdgeKind;
  /**
   * Optional: a kind the target's GOT builder lowers to "T - P + A, 32 bits,
   * T = the GOT entry holding the original target". When given, absolute
   * 4-byte personality pointers and LSDA type-table entries (non-PIC code)
   * that target a symbol outside the graph are re-encoded as
   * DW_EH_PE_indirect | DW_EH_PE_pcrel | DW_EH_PE_sdata4 through a GOT entry,
   * exactly like PIC code does, so they reach targets beyond 4 GiB.
   */
  requestGOTAndTransformToDelta32?: EdgeKind;
}

// DW_EH_PE_* pointer encodings.
export const DW_EH_PE_absptr = 0x00;
export const DW_EH_PE_uleb128 = 0x01;
export const DW_EH_PE_udata2 = 0x02;
export const DW_EH_PE_udata4 = 0x03;
export const DW_EH_PE_udata8 = 0x04;
export const DW_EH_PE_sleb128 = 0x09;
export const DW_EH_PE_sdata2 = 0x0a;
export const DW_EH_PE_sdata4 = 0x0b;
export const DW_EH_PE_sdata8 = 0x0c;
export const DW_EH_PE_pcrel = 0x10;
export const DW_EH_PE_indirect = 0x80;
export const DW_EH_PE_omit = 0xff;

function recordError(
  graph: LinkGraph,
  sectionName: string,
  recordOffset: number,
  detail: string,
): JITLinkError {
  return new JITLinkError('MalformedObject', detail, {
    file: graph.name,
    section: sectionName,
    offset: recordOffset,
    offsetIn: 'section',
  });
}

/** Callers check bounds first. Assembled from bytes: a DataView per read was a large share of this pass's garbage. */
function readU32(content: Uint8Array, offset: number, littleEndian: boolean): number {
  const b0 = content[offset]!;
  const b1 = content[offset + 1]!;
  const b2 = content[offset + 2]!;
  const b3 = content[offset + 3]!;
  return littleEndian
    ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0
    : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
}

const byAddress = (a: Block, b: Block): number => a.address - b.address;

/** Lowest block address in the section, the origin for record offsets in messages. */
function sectionStart(section: Section): TargetAddress {
  let start = Infinity;
  section.blocks.forEach((b) => {
    if (b.address < start) start = b.address;
  });
  return start === Infinity ? 0 : start;
}

/** What a target's eh-frame passes need to know: its pointer size and the edge kinds the edge fixer creates. */
export interface EHFramePassOptions {
  /** Size of an absolute (DW_EH_PE_absptr) pointer. */
  pointerSize: 4 | 8;
  /** The target's kinds for the edges the fixer adds. */
  edgeKinds: EHFrameEdgeKinds;
}

/**
 * Adds the eh-frame passes of a target to `config.prePrunePasses`: the
 * section is split into one block per CIE/FDE record, the records' edges are
 * completed (each FDE kept alive by its function), and a zero terminator is
 * appended for runtimes that walk the section (libgcc's
 * `__register_frame`). Every backend whose objects carry DWARF CFI calls it
 * from its `addDefaultPasses`; a section the graph does not have is skipped.
 */
export function addEHFramePasses(
  config: PassConfiguration,
  sectionName: string,
  options: EHFramePassOptions,
): void {
  config.prePrunePasses.push(
    createEHFrameSplitterPass(sectionName),
    createEHFrameEdgeFixerPass(sectionName, options.pointerSize, options.edgeKinds),
    createEHFrameNullTerminatorPass(sectionName),
  );
}

// ---------------------------------------------------------------------------
// Splitter

/**
 * Splits every block of the section into one block per record (CIE, FDE, or
 * zero terminator). Edges and symbols move to the record that contains them.
 *
 * Record alignment: runtimes walk the section record by record (the next
 * record starts right after the previous one's length), so the laid-out
 * section must have no gap between live records even after dead FDEs are
 * removed. Every record block therefore gets the same alignment: the largest
 * power of two that divides the original alignment, the block's alignment
 * offset and every record's size (8 for GCC's records, 4 for Clang's, which
 * are padded only to 4). Keeping the original alignment with a per-record
 * offset would let the layout pad between a 4-mod-8 record and its new
 * predecessor, and the zero padding reads as an end-of-section terminator.
 * Fields inside records are read unaligned, so a smaller alignment is safe.
 * Runs in time linear in the section's size, edges and symbols.
 */
export function createEHFrameSplitterPass(sectionName: string): LinkGraphPass {
  return (graph) => {
    const section = graph.findSectionByName(sectionName);
    if (section === undefined) return;
    const origin = sectionStart(section);
    const blocks = [...section.blocks].sort(byAddress);
    // Symbols grouped by block, gathered once for the whole section.
    const symbolsByBlock = new Map<Block, Symbol[]>();
    for (const sym of section.symbols) {
      const b = sym.block;
      let list = symbolsByBlock.get(b);
      if (list === undefined) symbolsByBlock.set(b, (list = []));
      list.push(sym);
    }
    for (const block of blocks)
      splitRecords(graph, sectionName, block, block.address - origin, symbolsByBlock.get(block) ?? []);
  };
}

function splitRecords(
  graph: LinkGraph,
  sectionName: string,
  block: Block,
  blockOffset: number,
  symbols: Symbol[],
): void {
  if (block.isZeroFill()) throw recordError(graph, sectionName, blockOffset, 'eh-frame section is zero-fill');
  const content = block.getContent();
  const le = graph.isLittleEndian;
  const starts: number[] = [];
  let at = 0;
  while (at < content.length) {
    if (at + 4 > content.length) {
      throw recordError(graph, sectionName, blockOffset + at, 'truncated record length');
    }
    const length = readU32(content, at, le);
    if (length === 0xffffffff) {
      throw new JITLinkError('UnsupportedFeature', '64-bit DWARF records are not supported', {
        file: graph.name,
        section: sectionName,
        offset: blockOffset + at,
        offsetIn: 'section',
      });
    }
    if (length > content.length - at - 4) {
      throw recordError(
        graph,
        sectionName,
        blockOffset + at,
        `record length 0x${length.toString(16)} runs past the end of the section`,
      );
    }
    starts.push(at);
    at += 4 + length;
  }
  if (starts.length <= 1) return;

  const mutable = block.isContentMutable();
  // Common alignment of all records (see above): starts are sums of sizes, so
  // dividing the block offset and every size suffices.
  let alignment = block.alignment;
  const fits = (value: number) => value % alignment === 0;
  while (alignment > 1 && !fits(block.alignmentOffset)) alignment >>= 1;
  for (let k = 0; k < starts.length && alignment > 1; k++) {
    const size = (k + 1 < starts.length ? starts[k + 1]! : content.length) - starts[k]!;
    while (alignment > 1 && !fits(size)) alignment >>= 1;
  }
  const records: Block[] = new Array(starts.length);
  for (let k = 0; k < starts.length; k++) {
    const s = starts[k]!;
    const e = k + 1 < starts.length ? starts[k + 1]! : content.length;
    const bytes = content.subarray(s, e);
    records[k] = mutable
      ? graph.createMutableContentBlock(block.section, bytes, block.address + s, alignment, 0)
      : graph.createContentBlock(block.section, bytes, block.address + s, alignment, 0);
  }

  const recordIndex = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  // Each record's edge range reserved at its final size before any edge moves:
  // appended one by one, every record's range grew and moved, and the graph's
  // edge storage with it. `reserveEdges` adds one spare slot per record, which
  // the edge fixer's CIE-pointer edge of an FDE takes.
  const edgeCount = block.edgeCount;
  const recordOf = new Uint32Array(edgeCount);
  const perRecord = new Uint32Array(starts.length);
  for (let i = 0; i < edgeCount; i++) {
    const k = recordIndex(block.edgeOffset(i));
    recordOf[i] = k;
    perRecord[k]!++;
  }
  for (let k = 0; k < starts.length; k++) records[k]!.reserveEdges(perRecord[k]!);
  for (let i = 0; i < edgeCount; i++) {
    const k = recordOf[i]!;
    records[k]!.appendEdge(
      block.edgeKind(i),
      block.edgeOffset(i) - starts[k]!,
      block.edgeTarget(i),
      block.edgeAddend(i),
    );
  }

  for (const sym of symbols) {
    const k = recordIndex(sym.offset);
    const record = records[k]!;
    const offset = sym.offset - starts[k]!;
    graph.transferDefinedSymbol(sym, record, offset, Math.min(sym.size, record.size - offset));
  }
  graph.removeBlock(block);
}

// ---------------------------------------------------------------------------
// Edge fixer

interface CIEInfo {
  block: Block;
  symbol: Symbol | undefined;
  hasAugmentationData: boolean;
  fdePointerEncoding: number;
  lsdaEncoding: number;
  /** Offset in the record of the personality encoding byte (its pointer follows), or -1. */
  personalityEncodingOffset: number;
}

/** DW_EH_PE_indirect | DW_EH_PE_pcrel | DW_EH_PE_sdata4: how PIC code encodes 4-byte pointers to other modules. */
const INDIRECT_PCREL_SDATA4 = DW_EH_PE_indirect | DW_EH_PE_pcrel | DW_EH_PE_sdata4;

// Characters of CIE augmentation strings.
const CHAR_B = 0x42;
const CHAR_G = 0x47;
const CHAR_L = 0x4c;
const CHAR_P = 0x50;
const CHAR_R = 0x52;
const CHAR_S = 0x53;
const CHAR_e = 0x65;
const CHAR_h = 0x68;
const CHAR_z = 0x7a;

/** For `encodedPointerField`: the field's edge is not known yet (look it up). */
const UNKNOWN_EDGE = -2;

/** True for an absolute (not pc-relative, not indirect) 4-byte encoding. */
function isAbsolute4(encoding: number): boolean {
  return encoding === DW_EH_PE_udata4 || encoding === DW_EH_PE_sdata4;
}

/** A bounds-checked cursor over one record (reusable: `content` and `at` may be set anew). */
class RecordCursor {
  at = 0;
  constructor(
    public content: Uint8Array,
    private readonly fail: (detail: string) => never,
  ) {}
  need(n: number, what: string): void {
    if (this.at + n > this.content.length) this.fail(`truncated ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.content[this.at++]!;
  }
  uleb(what: string): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8(what);
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return result;
      if (scale > 2 ** 56) this.fail(`${what} is too large`);
    }
  }
  sleb(what: string): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8(what);
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return byte & 0x40 ? result - scale : result;
      if (scale > 2 ** 56) this.fail(`${what} is too large`);
    }
  }
}

/**
 * Completes the edges of every record in the section, which must already be
 * split (one record per block): adds the FDE's CIE-pointer edge (NegDelta32),
 * checks or adds edges for pc-begin, LSDA and personality pointers according to
 * their DW_EH_PE encodings, and adds a KeepAlive edge from each FDE's function
 * to the FDE. An FDE whose pc-begin does not point into a block of the graph
 * (for example into a discarded COMDAT group) gets no KeepAlive edge and is
 * dead-stripped.
 */
export function createEHFrameEdgeFixerPass(
  sectionName: string,
  pointerSize: 4 | 8,
  kinds: EHFrameEdgeKinds,
): LinkGraphPass {
  return (graph) => {
    const section = graph.findSectionByName(sectionName);
    if (section === undefined) return;
    const origin = sectionStart(section);
    const records = [...section.blocks].sort(byAddress);
    new EHFrameEdgeFixer(graph, section, sectionName, pointerSize, kinds, origin).run(records);
  };
}

class EHFrameEdgeFixer {
  private readonly le: boolean;
  private blocksByAddress: Block[] | undefined;
  /** The symbols the object had at offset 0 of a record, if any. */
  private readonly recordSymbols: Map<Block, Symbol> | undefined;
  private symbolsByAddress: Map<TargetAddress, Symbol> | undefined;
  /** LSDA start offsets already examined, per .gcc_except_table block (made when first needed). */
  private rewrittenLSDAs: Map<Block, Set<number>> | undefined;
  /** The target and addend of the field encodedPointerField read last. */
  private fieldTarget: Symbol | undefined = undefined;
  private fieldAddend = 0;
  /** One cursor for every FDE's augmentation data that needs one; `fdeBlock` is the FDE it reads. */
  private fdeBlock: Block | undefined = undefined;
  private fdeCursor: RecordCursor | undefined;
  /** The KeepAlive edges to add (function block k keeps FDE symbol k alive), in FDE order. */
  private readonly keepAliveFrom: Block[] = [];
  private readonly keepAliveTo: Symbol[] = [];

  constructor(
    private readonly graph: LinkGraph,
    section: Section,
    private readonly sectionName: string,
    private readonly pointerSize: 4 | 8,
    private readonly kinds: EHFrameEdgeKinds,
    /** The section's lowest address (record offsets in messages are from it). */
    private readonly origin: TargetAddress,
  ) {
    this.le = graph.isLittleEndian;
    let recordSymbols: Map<Block, Symbol> | undefined;
    section.symbols.forEach((sym) => {
      if (sym.offset !== 0) return;
      recordSymbols ??= new Map();
      if (!recordSymbols.has(sym.block)) recordSymbols.set(sym.block, sym);
    });
    this.recordSymbols = recordSymbols;
  }

  /** `records`: the section's blocks, one record each, in address order. */
  run(records: Block[]): void {
    const cies = new Map<TargetAddress, CIEInfo>();
    const cieList: CIEInfo[] = [];
    const fdes: Block[] = [];
    const fdeContents: Uint8Array[] = [];
    for (let i = 0; i < records.length; i++) {
      const block = records[i]!;
      const content = this.recordContent(block);
      if (content.length === 4) continue; // zero terminator
      if (content.length < 8) this.fail(block, 'record too short for its CIE id');
      const id = readU32(content, 4, this.le);
      if (id === 0) {
        const cie = this.processCIE(block, content);
        cies.set(block.address, cie);
        cieList.push(cie);
      } else {
        fdes.push(block);
        fdeContents.push(content);
      }
    }
    for (let i = 0; i < fdes.length; i++) this.processFDE(fdes[i]!, fdeContents[i]!, cies);
    this.addKeepAliveEdges();
    const request = this.kinds.requestGOTAndTransformToDelta32;
    if (request !== undefined)
      for (let i = 0; i < cieList.length; i++) this.indirectPersonality(cieList[i]!, request);
  }

  private fail(block: Block, detail: string): never {
    throw recordError(this.graph, this.sectionName, block.address - this.origin, detail);
  }

  private recordContent(block: Block): Uint8Array {
    if (block.isZeroFill()) this.fail(block, 'eh-frame record is zero-fill');
    const content = block.getContent();
    if (content.length < 4) this.fail(block, 'truncated record length');
    const length = readU32(content, 0, this.le);
    if (length === 0xffffffff) this.fail(block, '64-bit DWARF records are not supported');
    if (4 + length !== content.length) {
      this.fail(
        block,
        `record length 0x${length.toString(16)} does not match its block (size 0x${content.length.toString(16)}): split the section first`,
      );
    }
    if (length !== 0 && length < 4) this.fail(block, 'record too short for its CIE id / CIE pointer');
    return content;
  }

  private processCIE(block: Block, content: Uint8Array): CIEInfo {
    const cur = new RecordCursor(content, (d) => this.fail(block, `CIE: ${d}`));
    cur.at = 8;
    const version = cur.u8('version');
    if (version !== 1 && version !== 3)
      this.fail(block, `CIE version ${version} is not supported (expected 1 or 3)`);
    // The augmentation string is read as bytes: decoded only for a message.
    const augmentationStart = cur.at;
    while (cur.u8('augmentation string') !== 0);
    const augmentationEnd = cur.at - 1;
    const augmentation = (): string => decodeName(content, augmentationStart, augmentationEnd);
    if (
      augmentationEnd - augmentationStart >= 2 &&
      content[augmentationStart] === CHAR_e &&
      content[augmentationStart + 1] === CHAR_h
    )
      this.fail(block, 'CIE augmentation "eh" is not supported');
    cur.uleb('code alignment factor');
    cur.sleb('data alignment factor');
    if (version === 1) cur.u8('return address register');
    else cur.uleb('return address register');
    const info: CIEInfo = {
      block,
      symbol: undefined,
      hasAugmentationData: false,
      fdePointerEncoding: DW_EH_PE_absptr,
      lsdaEncoding: DW_EH_PE_omit,
      personalityEncodingOffset: -1,
    };
    if (augmentationEnd === augmentationStart) return info;
    if (content[augmentationStart] !== CHAR_z)
      this.fail(block, `CIE augmentation "${augmentation()}" is not supported`);
    info.hasAugmentationData = true;
    const dataLength = cur.uleb('augmentation data length');
    const dataEnd = cur.at + dataLength;
    if (dataEnd > content.length) this.fail(block, 'CIE augmentation data runs past the end of the record');
    for (let i = augmentationStart + 1; i < augmentationEnd; i++) {
      switch (content[i]) {
        case CHAR_L:
          info.lsdaEncoding = cur.u8('LSDA encoding');
          break;
        case CHAR_R:
          info.fdePointerEncoding = cur.u8('FDE pointer encoding');
          break;
        case CHAR_P: {
          info.personalityEncodingOffset = cur.at;
          const encoding = cur.u8('personality encoding');
          cur.at += this.encodedPointerField(block, cur.at, encoding, 'personality pointer', UNKNOWN_EDGE);
          break;
        }
        case CHAR_S:
        case CHAR_B:
        case CHAR_G:
          break;
        default:
          this.fail(
            block,
            `CIE augmentation character '${decodeName(content, i, i + 1)}' in "${augmentation()}" is not supported`,
          );
      }
    }
    if (cur.at > dataEnd) this.fail(block, 'CIE augmentation fields run past the augmentation data');
    return info;
  }

  private processFDE(block: Block, content: Uint8Array, cies: Map<TargetAddress, CIEInfo>): void {
    const ciePointer = readU32(content, 4, this.le);
    const cieAddress = block.address + 4 - ciePointer;
    const cie = cies.get(cieAddress);
    if (cie === undefined) {
      this.fail(
        block,
        `FDE's CIE pointer 0x${ciePointer.toString(16)} does not point to a CIE of this section`,
      );
    }
    // The edges at the CIE pointer and at pc-begin, found in one walk.
    let existing = -1;
    let pcBeginEdge = -1;
    const edgeCount = block.edgeCount;
    for (let i = 0; i < edgeCount; i++) {
      const offset = block.edgeOffset(i);
      if ((offset === 4 && existing < 0) || (offset === 8 && pcBeginEdge < 0)) {
        if (block.edgeKind(i) === EdgeKinds.KeepAlive) continue;
        if (offset === 4) existing = i;
        else pcBeginEdge = i;
      }
    }
    if (existing < 0) {
      cie.symbol ??= this.symbolAtStart(cie.block);
      block.appendEdge(this.kinds.negDelta32, 4, cie.symbol, 0);
    } else if (!isAt(block.edgeTarget(existing), block.edgeAddend(existing), cieAddress)) {
      // A relocated CIE pointer must still point at the CIE.
      this.fail(block, 'FDE CIE-pointer edge does not target its CIE');
    }

    const pcBeginSize = this.encodedPointerField(block, 8, cie.fdePointerEncoding, 'pc-begin', pcBeginEdge);
    if (pcBeginSize === 0) this.fail(block, 'FDE pc-begin encoding is DW_EH_PE_omit');
    const pcBeginTarget = this.fieldTarget;
    const pcBeginAddend = this.fieldAddend;
    let at = 8 + pcBeginSize;
    at += this.fieldSize(block, cie.fdePointerEncoding & 0x0f, 'pc-range');
    if (at > content.length) this.fail(block, 'truncated FDE pc-range');
    if (cie.hasAugmentationData) {
      // The augmentation data length, a ULEB128: one byte in practice, read
      // here; a longer one (or none) goes through a cursor.
      let dataStart = at + 1;
      let dataLength = at < content.length ? content[at]! : 0x80;
      if (dataLength >= 0x80) {
        this.fdeBlock = block;
        const cur = (this.fdeCursor ??= new RecordCursor(content, (d) =>
          this.fail(this.fdeBlock!, `FDE: ${d}`),
        ));
        cur.content = content;
        cur.at = at;
        dataLength = cur.uleb('augmentation data length');
        dataStart = cur.at;
      }
      if (dataStart + dataLength > content.length)
        this.fail(block, 'FDE augmentation data runs past the end of the record');
      if (cie.lsdaEncoding !== DW_EH_PE_omit) {
        this.encodedPointerField(block, dataStart, cie.lsdaEncoding, 'LSDA pointer', UNKNOWN_EDGE);
        const lsda = this.fieldTarget;
        const request = this.kinds.requestGOTAndTransformToDelta32;
        if (lsda !== undefined && lsda.isDefined() && request !== undefined) {
          this.indirectTypeTable(lsda, this.fieldAddend, request);
        }
      }
    }

    if (pcBeginTarget !== undefined && pcBeginTarget.isDefined()) {
      this.keepAliveFrom.push(this.blockOf(pcBeginTarget, pcBeginAddend));
      this.keepAliveTo.push(this.symbolAtStart(block));
    }
  }

  /**
   * Adds the KeepAlive edge from each FDE's function to the FDE, once every
   * FDE is known: a block holding many functions (an object built without
   * -ffunction-sections) gets all of its edges in one reservation instead of
   * a range that doubles and moves again and again.
   */
  private addKeepAliveEdges(): void {
    const from = this.keepAliveFrom;
    const to = this.keepAliveTo;
    if (from.length === 0) return;
    const counts = new Map<Block, number>();
    for (let i = 0; i < from.length; i++) counts.set(from[i]!, (counts.get(from[i]!) ?? 0) + 1);
    counts.forEach((count, block) => block.reserveEdges(count));
    for (let i = 0; i < from.length; i++) from[i]!.appendEdge(EdgeKinds.KeepAlive, 0, to[i]!, 0);
  }

  /**
   * Re-encodes an absolute 4-byte personality pointer to a symbol outside the
   * graph as indirect|pcrel|sdata4 through a GOT entry.
   */
  private indirectPersonality(cie: CIEInfo, request: EdgeKind): void {
    const at = cie.personalityEncodingOffset;
    if (at < 0) return;
    const content = cie.block.getContent();
    if (!isAbsolute4(content[at]!)) return;
    const edge = this.edgeAt(cie.block, at + 1);
    if (edge < 0 || cie.block.edgeTarget(edge).isDefined() || cie.block.edgeAddend(edge) !== 0) return;
    cie.block.getMutableContent(this.graph)[at] = INDIRECT_PCREL_SDATA4;
    cie.block.setEdgeKind(edge, request);
  }

  /**
   * Re-encodes the type table of the LSDA at `target + addend` (a
   * .gcc_except_table block) when it uses an absolute 4-byte encoding and an
   * entry targets a symbol outside the graph: the TType encoding byte becomes
   * indirect|pcrel|sdata4 (same entry size, so nothing moves) and every entry
   * becomes pc-relative to a GOT entry holding the original pointer. Null
   * entries (catch-all) stay null under either encoding. LSDAs this does not
   * understand are left unchanged.
   */
  private indirectTypeTable(target: Symbol, addend: number, request: EdgeKind): void {
    const block = this.blockOf(target, addend);
    const start = target.address + addend - block.address;
    if (block.isZeroFill() || start < 0 || start >= block.size) return;
    this.rewrittenLSDAs ??= new Map();
    let done = this.rewrittenLSDAs.get(block);
    if (done === undefined) this.rewrittenLSDAs.set(block, (done = new Set()));
    if (done.has(start)) return;
    done.add(start);

    const content = block.getContent();
    const fail = (detail: string): never => {
      throw new JITLinkError('MalformedObject', `LSDA: ${detail}`, {
        file: this.graph.name,
        section: block.section.name,
        offset: block.address - sectionStart(block.section) + start,
        offsetIn: 'section',
      });
    };
    const cur = new RecordCursor(content, fail);
    cur.at = start;
    const lpStartEncoding = cur.u8('LPStart encoding');
    if (lpStartEncoding !== DW_EH_PE_omit) {
      const format = lpStartEncoding & 0x0f;
      if (format === DW_EH_PE_uleb128) cur.uleb('LPStart');
      else if (format === DW_EH_PE_sleb128) cur.sleb('LPStart');
      else cur.at += this.fieldSize(block, format, 'LPStart');
    }
    const ttypeEncodingOffset = cur.at;
    const ttypeEncoding = cur.u8('TType encoding');
    if (!isAbsolute4(ttypeEncoding)) return;
    const ttBase = cur.uleb('TType base offset') + cur.at;
    cur.u8('call-site encoding');
    const callSitesEnd = cur.uleb('call-site table length') + cur.at;
    if (ttBase > content.length) fail('type table runs past the end of its section');
    if (callSitesEnd > ttBase) fail('call-site table overlaps the type table');

    // Between the call-site table and the type-table base lie the action
    // table (no relocations) and the entries, 4 bytes each, ending at the base.
    const entries: number[] = [];
    let needed = false;
    const edgeCount = block.edgeCount;
    for (let i = 0; i < edgeCount; i++) {
      const offset = block.edgeOffset(i);
      if (block.edgeKind(i) === EdgeKinds.KeepAlive || offset < callSitesEnd || offset >= ttBase) continue;
      if ((ttBase - offset) % 4 !== 0 || block.edgeAddend(i) !== 0) return;
      entries.push(i);
      if (!block.edgeTarget(i).isDefined()) needed = true;
    }
    if (!needed) return;
    block.getMutableContent(this.graph)[ttypeEncodingOffset] = INDIRECT_PCREL_SDATA4;
    for (const i of entries) block.setEdgeKind(i, request);
  }

  /** Index of the (non-keep-alive) edge at `offset` of `block`, or -1. */
  private edgeAt(block: Block, offset: number): number {
    const edgeCount = block.edgeCount;
    for (let i = 0; i < edgeCount; i++)
      if (block.edgeOffset(i) === offset && block.edgeKind(i) !== EdgeKinds.KeepAlive) return i;
    return -1;
  }

  /**
   * The record's symbol at offset 0: one the object had, or a new one. Each
   * record asks once (a CIE keeps its symbol in its CIEInfo), so new symbols
   * need not be remembered.
   */
  private symbolAtStart(block: Block): Symbol {
    const sym = this.recordSymbols?.get(block);
    return sym ?? this.graph.addAnonymousSymbol(block, 0, 0, false, false);
  }

  /** Size in bytes of a DW_EH_PE value format. */
  private fieldSize(block: Block, format: number, what: string): number {
    switch (format) {
      case DW_EH_PE_absptr:
        return this.pointerSize;
      case DW_EH_PE_udata4:
      case DW_EH_PE_sdata4:
        return 4;
      case DW_EH_PE_udata8:
      case DW_EH_PE_sdata8:
        return 8;
      default:
        throw new JITLinkError(
          'UnsupportedFeature',
          `${what} pointer format 0x${format.toString(16)} is not supported`,
          {
            file: this.graph.name,
            // The field may be in an LSDA: name the section it is in, not the eh-frame's.
            section: block.section.name,
            offset:
              block.address -
              (block.section.name === this.sectionName ? this.origin : sectionStart(block.section)),
            offsetIn: 'section',
          },
        );
    }
  }

  /**
   * The size of an encoded pointer field, and its target in `fieldTarget` and
   * `fieldAddend` (fields, not a result object per call: this runs for every
   * FDE): its existing edge, or a new edge to the block the field's value
   * points into. A field without an edge whose value is zero is a null
   * pointer (no target).
   */
  private encodedPointerField(
    block: Block,
    offset: number,
    encoding: number,
    what: string,
    /** The field's edge when the caller found it already (-1: none), else UNKNOWN_EDGE. */
    knownEdge: number,
  ): number {
    this.fieldTarget = undefined;
    this.fieldAddend = 0;
    if (encoding === DW_EH_PE_omit) return 0;
    const format = encoding & 0x0f;
    const application = encoding & 0x70;
    if (application !== 0 && application !== DW_EH_PE_pcrel) {
      throw new JITLinkError(
        'UnsupportedFeature',
        `${what} encoding 0x${encoding.toString(16)} is not supported`,
        {
          file: this.graph.name,
          section: this.sectionName,
          offset: block.address - this.origin,
          offsetIn: 'section',
        },
      );
    }
    const size = this.fieldSize(block, format, what);
    const content = block.getContent();
    if (offset + size > content.length) this.fail(block, `truncated ${what}`);
    const existing = knownEdge === UNKNOWN_EDGE ? this.edgeAt(block, offset) : knownEdge;
    if (existing >= 0) {
      this.fieldTarget = block.edgeTarget(existing);
      this.fieldAddend = block.edgeAddend(existing);
      return size;
    }

    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    let value: number;
    if (size === 4)
      value = format === DW_EH_PE_sdata4 ? view.getInt32(offset, this.le) : view.getUint32(offset, this.le);
    else {
      const v = readAddress64(view, offset, this.le);
      if (v === undefined) this.fail(block, `${what} value is not exactly representable`);
      value = v;
    }
    if (value === 0) return size;
    const isPCRel = application === DW_EH_PE_pcrel;
    const targetAddress = isPCRel ? block.address + offset + value : value;
    const target = this.symbolAt(targetAddress);
    if (target === undefined) {
      this.fail(block, `${what} 0x${targetAddress.toString(16)} does not point into any block of the graph`);
    }
    const kind = isPCRel
      ? size === 4
        ? this.kinds.delta32
        : this.kinds.delta64
      : size === 4
        ? this.kinds.pointer32
        : this.kinds.pointer64;
    block.appendEdge(kind, offset, target, 0);
    this.fieldTarget = target;
    return size;
  }

  private sortedBlocks(): Block[] {
    if (this.blocksByAddress === undefined) {
      this.blocksByAddress = this.graph.blockList().sort((a, b) => a.address - b.address);
    }
    return this.blocksByAddress;
  }

  /** The block containing `address` (or ending at it, for a zero-size block), if any. */
  private blockContaining(address: TargetAddress): Block | undefined {
    const blocks = this.sortedBlocks();
    let lo = 0;
    let hi = blocks.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (blocks[mid]!.address <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const b = blocks[found]!;
    return address < b.address + Math.max(b.size, 1) ? b : undefined;
  }

  /** A symbol at exactly `address`: an existing one, or a new anonymous symbol in the containing block. */
  private symbolAt(address: TargetAddress): Symbol | undefined {
    if (this.symbolsByAddress === undefined) {
      const byAddress = new Map<TargetAddress, Symbol>();
      this.graph.forEachDefinedSymbol((sym) => {
        const prev = byAddress.get(sym.address);
        if (prev === undefined || (prev.name === undefined && sym.name !== undefined))
          byAddress.set(sym.address, sym);
      });
      this.symbolsByAddress = byAddress;
    }
    const found = this.symbolsByAddress.get(address);
    if (found !== undefined) return found;
    const block = this.blockContaining(address);
    if (block === undefined) return undefined;
    const sym = this.graph.addAnonymousSymbol(block, address - block.address, 0, false, false);
    this.symbolsByAddress.set(address, sym);
    return sym;
  }

  /** The block a pointer (symbol + addend) points into. */
  private blockOf(target: Symbol, addend: number): Block {
    const block = target.block;
    const address = target.address + addend;
    if (address >= block.address && address < block.address + block.size) return block;
    return this.blockContaining(address) ?? block;
  }
}

// ---------------------------------------------------------------------------
// Null terminator

/**
 * Appends a 4-byte zero record (with a live anonymous symbol) at the end of
 * the section, so a runtime walking the section stops there.
 */
export function createEHFrameNullTerminatorPass(sectionName: string): LinkGraphPass {
  return (graph) => {
    const section = graph.findSectionByName(sectionName);
    if (section === undefined) return;
    let end = 0;
    section.blocks.forEach((b) => {
      end = Math.max(end, b.address + b.size);
    });
    const block = graph.createMutableContentBlock(section, graph.allocateBuffer(4), end, 1, 0);
    graph.addAnonymousSymbol(block, 0, 4, false, true);
  };
}

/** True when `target + addend` is defined and lands on `address`. */
function isAt(target: Symbol, addend: number, address: TargetAddress): boolean {
  return target.isDefined() && target.address + addend === address;
}
