/**
 * applyFixup: writes one AArch64 edge's value into block content, through
 * the kind's entry in the edge-kind table, with its range, alignment and
 * instruction checks. Arithmetic is on JS numbers (addresses exact within
 * 2^53 of zero, read as signed 64-bit).
 */
import {
  formatAddress,
  formatHex,
  JITLinkError,
  MAX_EXACT_ADDRESS,
  writeAddress64,
  type Block,
  type Edge,
  type LinkGraph,
} from '@jitlink/core';
import { aarch64EdgeKindInfo, getAArch64EdgeKindName, type FixupSite } from './edge-kinds.js';
import { tlsNotSupported } from './diagnostics.js';
import { findGOTBase } from './got-plt.js';

function describeFixup(block: Block, edge: Edge): string {
  return (
    `${getAArch64EdgeKindName(edge.kind)} fixup at ${formatAddress(block.address + edge.offset)} ` +
    `(block ${formatAddress(block.address)} + ${formatHex(edge.offset)} in section ${block.section.name}) ` +
    `targeting ${edge.target.describe()} at ${formatAddress(edge.target.address)}` +
    (edge.addend !== 0 ? ` with addend ${formatHex(edge.addend)}` : '')
  );
}

/** The FixupSite of one edge; one object reused for every fixup (nothing is allocated unless one fails). */
class Site implements FixupSite {
  graph!: LinkGraph;
  block!: Block;
  edge!: Edge;
  view!: DataView;
  target = 0;
  fixup = 0;
  addend = 0;
  littleData = true;

  gotBase(): number {
    const got = findGOTBase(this.graph);
    if (got === undefined) {
      throw new JITLinkError(
        'InvalidGraphOperation',
        `${describeFixup(this.block, this.edge)}: needs a GOT base, but graph ${this.graph.name} has no ` +
          `_GLOBAL_OFFSET_TABLE_ (the aarch64 GOT/PLT pass did not run)`,
        { file: this.graph.name, section: this.block.section.name },
      );
    }
    return got.address;
  }
  readWord(): number {
    return this.view.getUint32(this.edge.offset, true);
  }
  writeWord(word: number): void {
    this.view.setUint32(this.edge.offset, word, true);
  }
  writeData(bytes: 2 | 4 | 8, value: number): void {
    const offset = this.edge.offset;
    if (bytes === 8) {
      if (!(value < MAX_EXACT_ADDRESS && value >= -MAX_EXACT_ADDRESS)) {
        throw this.outOfRange(value, 'the exactly representable 64-bit range (2^53 either side of zero)');
      }
      writeAddress64(this.view, offset, value, this.littleData);
    } else if (bytes === 4) {
      this.view.setUint32(offset, value >>> 0, this.littleData);
    } else {
      this.view.setUint16(offset, value & 0xffff, this.littleData);
    }
  }
  check(value: number, min: number, limit: number, align: number, range: string): void {
    if (value >= min && value < limit && (align === 1 || value % align === 0)) return;
    if (value >= min && value < limit) {
      throw new JITLinkError(
        'FixupOutOfRange',
        `${describeFixup(this.block, this.edge)}: value ${formatHex(value)} is not ${align}-byte aligned (${range})`,
        { file: this.graph.name, section: this.block.section.name },
      );
    }
    throw this.outOfRange(value, range);
  }
  wrongInstruction(word: number, expected: string): never {
    throw new JITLinkError(
      'MalformedObject',
      `${describeFixup(this.block, this.edge)}: instruction 0x${word.toString(16).padStart(8, '0')} is not ${expected}`,
      { file: this.graph.name, section: this.block.section.name },
    );
  }
  private outOfRange(value: number, range: string): JITLinkError {
    return new JITLinkError(
      'FixupOutOfRange',
      `${describeFixup(this.block, this.edge)}: value ${formatHex(value)} is out of range of ${range}`,
      { file: this.graph.name, section: this.block.section.name },
    );
  }
}

const site = new Site();

/** Applies `edge` to `content` (the block's working memory; `view` covers the same bytes). */
export function applyFixup(graph: LinkGraph, block: Block, edge: Edge, content: Uint8Array, view: DataView): void {
  const info = aarch64EdgeKindInfo(edge.kind);
  const where = { file: graph.name, section: block.section.name };
  if (info === undefined) {
    throw new JITLinkError('UnsupportedRelocation', `${describeFixup(block, edge)}: not an aarch64 edge kind`, where);
  }
  if (info.tlsRelocation !== undefined) {
    throw tlsNotSupported(info.tlsRelocation, graph.name, block.section.name, block.address + edge.offset);
  }
  if (info.apply === undefined) {
    throw new JITLinkError(
      'InvalidGraphOperation',
      `${describeFixup(block, edge)}: ${info.name} must be lowered by the aarch64 ${info.threadLocal ? 'thread-local storage' : 'GOT/PLT'} passes before fixups`,
      where,
    );
  }
  const offset = edge.offset;
  if (!Number.isInteger(offset) || offset < 0 || offset + info.width > content.length) {
    throw new JITLinkError(
      'InvalidGraphOperation',
      `${info.name} edge at block offset ${offset} does not fit in the ${content.length}-byte block at ` +
        `${formatAddress(block.address)}`,
      where,
    );
  }
  site.graph = graph;
  site.block = block;
  site.edge = edge;
  site.view = view;
  site.target = edge.target.address;
  site.fixup = block.address + offset;
  site.addend = edge.addend;
  site.littleData = graph.endianness === 'little';
  try {
    info.apply(site);
  } finally {
    // The shared site must not keep the last graph alive.
    site.graph = site.block = site.edge = site.view = undefined!;
  }
}
