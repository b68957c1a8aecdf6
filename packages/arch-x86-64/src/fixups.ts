/**
 * applyFixup: writes one x86-64 edge's value into block content. The kind's
 * row in X86_64_EDGE_KIND_INFO says how wide the field is, how the value is
 * computed and what range it must fit. All arithmetic is on JS numbers
 * (addresses are exact within 2^53 of zero, read as signed 64-bit); nothing
 * is allocated unless a fixup fails.
 */
import {
  EdgeKinds,
  fitsRange,
  formatAddress,
  formatHex,
  JITLinkError,
  writeAddress64,
  type Block,
  type Edge,
  type EdgeKindInfo,
  type LinkGraph,
} from '@jitlink/core';
import { tlsNotSupported } from './diagnostics.js';
import { getX86_64EdgeKindName, X86_64_EDGE_KIND_INFO, X86_64Formula as Fm } from './edge-kinds.js';
import { findGOTBase } from './got-plt.js';

export { ABSOLUTE_32_ADVICE } from './edge-kinds.js';

/** Applies `edge` to `content` (the block's working memory; `view` covers the same bytes). */
export function applyFixup(
  graph: LinkGraph,
  block: Block,
  edge: Edge,
  content: Uint8Array,
  view: DataView,
): void {
  const offset = edge.offset;
  // The kind's row (indexed directly: this runs for every edge of every link).
  const info: EdgeKindInfo | undefined = X86_64_EDGE_KIND_INFO[edge.kind - EdgeKinds.FirstRelocation];
  if (info === undefined || info.formula >= Fm.Lowered) {
    throw unfixableKind(graph, block, edge, info);
  }
  const width = info.width;
  if (!Number.isInteger(offset) || offset < 0 || offset + width > content.length) {
    throw new JITLinkError(
      'InvalidGraphOperation',
      `${info.name} edge at block offset ${offset} does not fit in the ${content.length}-byte block at ` +
        `${formatAddress(block.address)}`,
      { file: graph.name, section: block.section.name },
    );
  }
  const target = edge.target.address;
  const addend = edge.addend;

  let value: number;
  switch (info.formula) {
    case Fm.Pointer:
      value = target + addend;
      break;
    case Fm.Delta:
      value = target - (block.address + offset) + addend;
      break;
    case Fm.NegDelta:
      value = block.address + offset - target + addend;
      break;
    case Fm.PCRel:
      value = target - (block.address + offset + 4) + addend;
      break;
    case Fm.Size:
      value = edge.target.size + addend;
      break;
    case Fm.DeltaFromGOT: {
      const got = findGOTBase(graph);
      if (got === undefined) {
        throw new JITLinkError(
          'InvalidGraphOperation',
          `${info.name} edge at ${formatAddress(block.address + offset)} needs a GOT base, but graph ${graph.name} has no ` +
            `_GLOBAL_OFFSET_TABLE_ (the x86-64 GOT/PLT pass did not run)`,
          { file: graph.name, section: block.section.name },
        );
      }
      value = target - got.address + addend;
      break;
    }
    default:
      throw unfixableKind(graph, block, edge, info);
  }
  // Range first: the writes below keep only the field's low bits.
  if (!fitsRange(info.range, value)) throw outOfRange(graph, block, edge, value, info);
  switch (width) {
    case 8:
      writeAddress64(view, offset, value, true);
      return;
    case 4:
      view.setUint32(offset, value >>> 0, true);
      return;
    case 2:
      view.setUint16(offset, value & 0xffff, true);
      return;
    default:
      view.setUint8(offset, value & 0xff);
  }
}

function describeFixup(block: Block, edge: Edge): string {
  return (
    `${getX86_64EdgeKindName(edge.kind)} fixup at ${formatAddress(block.address + edge.offset)} ` +
    `(block ${formatAddress(block.address)} + ${formatHex(edge.offset)} in section ${block.section.name}) ` +
    `targeting ${edge.target.describe()} at ${formatAddress(edge.target.address)}` +
    (edge.addend !== 0 ? ` with addend ${formatHex(edge.addend)}` : '')
  );
}

function outOfRange(
  graph: LinkGraph,
  block: Block,
  edge: Edge,
  value: number,
  info: EdgeKindInfo,
): JITLinkError {
  const range =
    info.width === 8 ? 'the exactly representable 64-bit range (2^53 either side of zero)' : info.range.name;
  return new JITLinkError(
    'FixupOutOfRange',
    `${describeFixup(block, edge)}: value ${formatHex(value)} is out of range of ${range}` +
      (info.advice !== undefined ? `; ${info.advice}` : ''),
    { file: graph.name, section: block.section.name },
  );
}

function unfixableKind(
  graph: LinkGraph,
  block: Block,
  edge: Edge,
  info: EdgeKindInfo | undefined,
): JITLinkError {
  if (info?.formula === Fm.Unsupported) {
    return tlsNotSupported(info.name, graph.name, block.section.name, block.address + edge.offset);
  }
  if (info?.formula === Fm.Lowered) {
    return new JITLinkError(
      'InvalidGraphOperation',
      `${describeFixup(block, edge)}: ${info.name} must be lowered before fixups (by the GOT/PLT pass, or for COFF kinds the COFF pass)`,
      { file: graph.name, section: block.section.name },
    );
  }
  return new JITLinkError('UnsupportedRelocation', `${describeFixup(block, edge)}: not an x86-64 edge kind`, {
    file: graph.name,
    section: block.section.name,
  });
}
