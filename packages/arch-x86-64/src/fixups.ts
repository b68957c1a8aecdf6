/**
 * applyFixup: writes one x86-64 edge's value into block content, with range
 * checks. All arithmetic is on JS numbers (addresses are exact within 2^53
 * of zero, read as signed 64-bit); nothing is allocated unless a fixup fails.
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
import { tlsNotSupported } from './diagnostics.js';
import { getX86_64EdgeKindName, X86_64EdgeKinds as K } from './edge-kinds.js';
import { findGOTBase } from './got-plt.js';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;

/** Advice for absolute 32-bit relocations that do not fit. */
export const ABSOLUTE_32_ADVICE = 'rebuild with -fPIC or -fPIE, or place the code below 2 GiB';
const PC_RELATIVE_32_ADVICE =
  'the target is more than 2 GiB from the fixup; allocate the linked memory within 2 GiB of its targets, or rebuild with -mcmodel=large';

/** Applies `edge` to `content` (the block's working memory; `view` covers the same bytes). */
export function applyFixup(
  graph: LinkGraph,
  block: Block,
  edge: Edge,
  content: Uint8Array,
  view: DataView,
): void {
  const offset = edge.offset;
  const kind = edge.kind;
  const width = fixupWidth(kind);
  if (width === 0) {
    throw unfixableKind(graph, block, edge);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + width > content.length) {
    throw new JITLinkError(
      'InvalidGraphOperation',
      `${getX86_64EdgeKindName(kind)} edge at block offset ${offset} does not fit in the ${content.length}-byte block at ` +
        `${formatAddress(block.address)}`,
      { file: graph.name, section: block.section.name },
    );
  }
  const target = edge.target.address;
  const fixup = block.address + offset;
  const addend = edge.addend;

  switch (kind) {
    case K.Pointer64:
      write64(graph, block, edge, view, target + addend);
      return;
    case K.Pointer32: {
      const v = target + addend;
      if (v < 0 || v > UINT32_MAX) throw outOfRange(graph, block, edge, v, 'uint32', ABSOLUTE_32_ADVICE);
      view.setUint32(offset, v, true);
      return;
    }
    case K.Pointer32Signed: {
      const v = target + addend;
      if (v < INT32_MIN || v > INT32_MAX)
        throw outOfRange(graph, block, edge, v, 'int32', ABSOLUTE_32_ADVICE);
      view.setInt32(offset, v, true);
      return;
    }
    case K.Pointer16: {
      const v = target + addend;
      if (v < -0x8000 || v > 0xffff) throw outOfRange(graph, block, edge, v, 'int16/uint16');
      view.setUint16(offset, v & 0xffff, true);
      return;
    }
    case K.Pointer8: {
      const v = target + addend;
      if (v < -0x80 || v > 0xff) throw outOfRange(graph, block, edge, v, 'int8/uint8');
      view.setUint8(offset, v & 0xff);
      return;
    }
    case K.Delta64:
      write64(graph, block, edge, view, target - fixup + addend);
      return;
    case K.Delta32:
      writeInt32(graph, block, edge, view, target - fixup + addend);
      return;
    case K.Delta16: {
      const v = target - fixup + addend;
      if (v < -0x8000 || v > 0x7fff) throw outOfRange(graph, block, edge, v, 'int16');
      view.setInt16(offset, v, true);
      return;
    }
    case K.Delta8: {
      const v = target - fixup + addend;
      if (v < -0x80 || v > 0x7f) throw outOfRange(graph, block, edge, v, 'int8');
      view.setInt8(offset, v);
      return;
    }
    case K.NegDelta64:
      write64(graph, block, edge, view, fixup - target + addend);
      return;
    case K.NegDelta32:
      writeInt32(graph, block, edge, view, fixup - target + addend);
      return;
    case K.Delta64FromGOT: {
      const got = findGOTBase(graph);
      if (got === undefined) {
        throw new JITLinkError(
          'InvalidGraphOperation',
          `Delta64FromGOT edge at ${formatAddress(fixup)} needs a GOT base, but graph ${graph.name} has no ` +
            `_GLOBAL_OFFSET_TABLE_ (the x86-64 GOT/PLT pass did not run)`,
          { file: graph.name, section: block.section.name },
        );
      }
      write64(graph, block, edge, view, target - got.address + addend);
      return;
    }
    case K.Size64:
      write64(graph, block, edge, view, edge.target.size + addend);
      return;
    case K.Size32: {
      const v = edge.target.size + addend;
      if (v < 0 || v > UINT32_MAX) throw outOfRange(graph, block, edge, v, 'uint32');
      view.setUint32(offset, v, true);
      return;
    }
    case K.PCRel32:
    case K.BranchPCRel32:
    case K.BranchPCRel32ToPtrJumpStub:
    case K.BranchPCRel32ToPtrJumpStubBypassable:
    case K.PCRel32GOTLoadRelaxable:
    case K.PCRel32GOTLoadREXRelaxable:
      writeInt32(graph, block, edge, view, target - (fixup + 4) + addend);
      return;
    default:
      throw unfixableKind(graph, block, edge);
  }
}

/** Bytes a kind patches; 0 for kinds that cannot be applied. */
function fixupWidth(kind: number): number {
  switch (kind) {
    case K.Pointer64:
    case K.Delta64:
    case K.NegDelta64:
    case K.Delta64FromGOT:
    case K.Size64:
      return 8;
    case K.Pointer32:
    case K.Pointer32Signed:
    case K.Delta32:
    case K.NegDelta32:
    case K.Size32:
    case K.PCRel32:
    case K.BranchPCRel32:
    case K.BranchPCRel32ToPtrJumpStub:
    case K.BranchPCRel32ToPtrJumpStubBypassable:
    case K.PCRel32GOTLoadRelaxable:
    case K.PCRel32GOTLoadREXRelaxable:
      return 4;
    case K.Pointer16:
    case K.Delta16:
      return 2;
    case K.Pointer8:
    case K.Delta8:
      return 1;
    default:
      return 0;
  }
}

function writeInt32(graph: LinkGraph, block: Block, edge: Edge, view: DataView, value: number): void {
  if (value < INT32_MIN || value > INT32_MAX) {
    throw outOfRange(graph, block, edge, value, 'int32', PC_RELATIVE_32_ADVICE);
  }
  view.setInt32(edge.offset, value, true);
}

function write64(graph: LinkGraph, block: Block, edge: Edge, view: DataView, value: number): void {
  // Inputs are exact within 2^53; a sum beyond that would be rounded.
  if (!(value <= MAX_EXACT_ADDRESS && value >= -MAX_EXACT_ADDRESS)) {
    throw outOfRange(
      graph,
      block,
      edge,
      value,
      'the exactly representable 64-bit range (2^53 either side of zero)',
    );
  }
  writeAddress64(view, edge.offset, value, true);
}

function describeFixup(graph: LinkGraph, block: Block, edge: Edge): string {
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
  range: string,
  advice?: string,
): JITLinkError {
  return new JITLinkError(
    'FixupOutOfRange',
    `${describeFixup(graph, block, edge)}: value ${formatHex(value)} is out of range of ${range}` +
      (advice !== undefined ? `; ${advice}` : ''),
    { file: graph.name, section: block.section.name },
  );
}

function unfixableKind(graph: LinkGraph, block: Block, edge: Edge): JITLinkError {
  const kind = edge.kind;
  const name = getX86_64EdgeKindName(kind);
  switch (kind) {
    case K.PCRel32TLVPLoadREXRelaxable:
    case K.RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable:
    case K.RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable:
      return tlsNotSupported(name, graph.name, block.section.name, block.address + edge.offset);
    case K.RequestGOTAndTransformToDelta32:
    case K.RequestGOTAndTransformToDelta64:
    case K.RequestGOTAndTransformToDelta64FromGOT:
    case K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable:
    case K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable:
      return new JITLinkError(
        'InvalidGraphOperation',
        `${describeFixup(graph, block, edge)}: ${name} must be lowered by the x86-64 GOT/PLT pass before fixups`,
        { file: graph.name, section: block.section.name },
      );
    default:
      return new JITLinkError(
        'UnsupportedRelocation',
        `${describeFixup(graph, block, edge)}: not an x86-64 edge kind`,
        {
          file: graph.name,
          section: block.section.name,
        },
      );
  }
}
