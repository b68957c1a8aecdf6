/**
 * applyFixup: writes one AArch64 edge's value into block content. The kind's
 * row in AARCH64_EDGE_KIND_INFO says how wide the field is, how the value is
 * computed (its formula) and what range it must fit; the instruction a field
 * belongs to is checked before it is patched. Arithmetic is on JS numbers
 * (addresses exact within 2^53 of zero, read as signed 64-bit); nothing is
 * allocated unless a fixup fails.
 */
import {
  EdgeKinds,
  fitsRange,
  formatAddress,
  formatHex,
  JITLinkError,
  MAX_EXACT_ADDRESS,
  writeAddress64,
  type Block,
  type Edge,
  type EdgeKindInfo,
  type FixupRange,
  type LinkGraph,
} from '@jitlink/core';
import { AARCH64_EDGE_KIND_INFO, AArch64Formula as Fm, aarch64TLSRelocationName, getAArch64EdgeKindName, isAArch64TLSEdgeKind } from './edge-kinds.js';
import { tlsNotSupported } from './diagnostics.js';
import {
  bits16,
  encodeImm12,
  encodeImm14,
  encodeImm16,
  encodeImm19,
  encodeImm21,
  encodeImm26,
  isADR,
  isADRP,
  isAddSubImmediate,
  isBranch26,
  isCondBranch19,
  isLDRLiteral,
  isLoadStoreUnsignedImm,
  isMoveWide,
  isTestAndBranch14,
  loadStoreScale,
  lowBits,
  moveWideHalfword,
  page,
  pageOffset12Scale,
  setMovzOrMovn,
} from './encoders.js';
import { findGOTBase } from './got-plt.js';

function describeFixup(block: Block, edge: Edge): string {
  return (
    `${getAArch64EdgeKindName(edge.kind)} fixup at ${formatAddress(block.address + edge.offset)} ` +
    `(block ${formatAddress(block.address)} + ${formatHex(edge.offset)} in section ${block.section.name}) ` +
    `targeting ${edge.target.describe()} at ${formatAddress(edge.target.address)}` +
    (edge.addend !== 0 ? ` with addend ${formatHex(edge.addend)}` : '')
  );
}

function outOfRange(graph: LinkGraph, block: Block, edge: Edge, value: number, rangeName: string, advice?: string): JITLinkError {
  return new JITLinkError(
    'FixupOutOfRange',
    `${describeFixup(block, edge)}: value ${formatHex(value)} is out of range of ${rangeName}` + (advice ? ` (${advice})` : ''),
    { file: graph.name, section: block.section.name },
  );
}

/** Throws FixupOutOfRange unless `value` fits `range` (naming misalignment apart from overflow). */
function check(graph: LinkGraph, block: Block, edge: Edge, value: number, range: FixupRange, advice?: string): void {
  if (fitsRange(range, value)) return;
  if (value >= range.min && value <= range.max) {
    throw new JITLinkError(
      'FixupOutOfRange',
      `${describeFixup(block, edge)}: value ${formatHex(value)} is not ${range.multipleOf}-byte aligned (${range.name})`,
      { file: graph.name, section: block.section.name },
    );
  }
  throw outOfRange(graph, block, edge, value, range.name, advice);
}

function wrongInstruction(graph: LinkGraph, block: Block, edge: Edge, word: number, expected: string): never {
  throw new JITLinkError(
    'MalformedObject',
    `${describeFixup(block, edge)}: instruction 0x${word.toString(16).padStart(8, '0')} is not ${expected}`,
    { file: graph.name, section: block.section.name },
  );
}

/** The instruction each instruction formula patches: its test and its name for errors. */
const INSTRUCTIONS: Record<number, [(w: number) => boolean, string]> = {
  [Fm.Branch26]: [isBranch26, 'a B or BL'],
  [Fm.TestAndBranch14]: [isTestAndBranch14, 'a TBZ or TBNZ'],
  [Fm.CondBranch19]: [isCondBranch19, 'a B.cond, CBZ or CBNZ'],
  [Fm.LDRLiteral19]: [isLDRLiteral, 'an LDR (literal)'],
  [Fm.ADRLiteral21]: [isADR, 'an ADR'],
  [Fm.Page21]: [isADRP, 'an ADRP'],
  [Fm.PageOffset12]: [(w) => pageOffset12Scale(w) !== undefined, 'an ADD (immediate) or a load/store (unsigned offset)'],
  [Fm.GotPageOffset15]: [(w) => isLoadStoreUnsignedImm(w) && loadStoreScale(w) === 3, 'a 64-bit LDR (unsigned offset)'],
  // sh (bit 22) set: the immediate is shifted left by 12.
  [Fm.High12]: [(w) => isAddSubImmediate(w) && (w & 0x00400000) !== 0, 'an ADD (immediate) with lsl #12'],
  [Fm.Imm12Low]: [(w) => pageOffset12Scale(w) !== undefined, 'an ADD (immediate) or a load/store (unsigned offset)'],
  [Fm.MoveWide]: [isMoveWide, 'a MOVZ, MOVN or MOVK'],
  [Fm.MoveWideUnsigned]: [isMoveWide, 'a MOVZ, MOVN or MOVK'],
  [Fm.MoveWideSigned]: [isMoveWide, 'a MOVZ, MOVN or MOVK'],
  [Fm.MoveWidePCRel]: [isMoveWide, 'a MOVZ, MOVN or MOVK'],
  [Fm.MoveWidePCRelSigned]: [isMoveWide, 'a MOVZ, MOVN or MOVK'],
};

/** Applies `edge` to `content` (the block's working memory; `view` covers the same bytes). */
export function applyFixup(graph: LinkGraph, block: Block, edge: Edge, content: Uint8Array, view: DataView): void {
  // The kind's row (indexed directly: this runs for every edge of every link).
  const info: EdgeKindInfo | undefined = AARCH64_EDGE_KIND_INFO[edge.kind - EdgeKinds.FirstRelocation];
  const where = { file: graph.name, section: block.section.name };
  if (info === undefined) {
    throw new JITLinkError('UnsupportedRelocation', `${describeFixup(block, edge)}: not an aarch64 edge kind`, where);
  }
  if (info.formula === Fm.Unsupported) {
    throw tlsNotSupported(aarch64TLSRelocationName(edge.kind), graph.name, block.section.name, block.address + edge.offset);
  }
  if (info.formula === Fm.Lowered) {
    throw new JITLinkError(
      'InvalidGraphOperation',
      `${describeFixup(block, edge)}: ${info.name} must be lowered by the aarch64 ` +
        `${isAArch64TLSEdgeKind(edge.kind) ? 'thread-local storage' : info.request !== undefined ? 'GOT/PLT' : 'COFF'} passes before fixups`,
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
  const T = edge.target.address;
  const P = block.address + offset;
  const A = edge.addend;
  const formula = info.formula;

  if (formula <= Fm.NegDelta) {
    const value = formula === Fm.Pointer ? T + A : formula === Fm.Delta ? T - P + A : P - T + A;
    const little = graph.endianness === 'little';
    if (info.width === 8) {
      if (value < MAX_EXACT_ADDRESS && value >= -MAX_EXACT_ADDRESS) {
        writeAddress64(view, offset, value, little);
        return;
      }
      // A large addend (MachO arm64 C++ type_info names carry 2^63, the non-unique-RTTI bit) is exact
      // as a double; the sum is not: compute it modulo 2^64.
      if (Number.isInteger(T) && Number.isInteger(A)) {
        const exact = formula === Fm.Pointer ? BigInt(T) + BigInt(A) : formula === Fm.Delta ? BigInt(T) - BigInt(P) + BigInt(A) : BigInt(P) - BigInt(T) + BigInt(A);
        view.setBigUint64(offset, BigInt.asUintN(64, exact), little);
        return;
      }
      throw outOfRange(graph, block, edge, value, 'the exactly representable 64-bit range (2^53 either side of zero)');
    }
    check(graph, block, edge, value, info.range, info.advice);
    if (info.width === 4) view.setUint32(offset, value >>> 0, little);
    else view.setUint16(offset, value & 0xffff, little);
    return;
  }

  // Instruction fields: always little-endian.
  let word = view.getUint32(offset, true);
  const [isExpected, expected] = INSTRUCTIONS[formula]!;
  if (!isExpected(word)) wrongInstruction(graph, block, edge, word, expected);
  switch (formula) {
    case Fm.Branch26:
    case Fm.TestAndBranch14:
    case Fm.CondBranch19:
    case Fm.LDRLiteral19: {
      const value = T - P + A;
      check(graph, block, edge, value, info.range, info.advice);
      const words = value / 4;
      word =
        formula === Fm.Branch26 ? encodeImm26(word, words) : formula === Fm.TestAndBranch14 ? encodeImm14(word, words) : encodeImm19(word, words);
      break;
    }
    case Fm.ADRLiteral21: {
      const value = T - P + A;
      check(graph, block, edge, value, info.range);
      word = encodeImm21(word, value);
      break;
    }
    case Fm.Page21: {
      const value = page(T + A) - page(P);
      check(graph, block, edge, value, info.range);
      word = encodeImm21(word, value / 4096);
      break;
    }
    case Fm.PageOffset12: {
      const scale = pageOffset12Scale(word)!;
      const low = lowBits(T + A, 12);
      check(graph, block, edge, low, { ...info.range, multipleOf: 2 ** scale, name: `a multiple of the ${2 ** scale}-byte access size` });
      word = encodeImm12(word, low / 2 ** scale);
      break;
    }
    case Fm.Imm12Low: {
      const scale = pageOffset12Scale(word)!;
      const value = T + A;
      check(graph, block, edge, value, { ...info.range, multipleOf: 2 ** scale });
      word = encodeImm12(word, value / 2 ** scale);
      break;
    }
    case Fm.High12: {
      const value = T + A;
      check(graph, block, edge, value, info.range);
      word = encodeImm12(word, Math.floor(value / 4096));
      break;
    }
    case Fm.GotPageOffset15: {
      const got = findGOTBase(graph);
      if (got === undefined) {
        throw new JITLinkError(
          'InvalidGraphOperation',
          `${describeFixup(block, edge)}: needs a GOT base, but graph ${graph.name} has no ` +
            `_GLOBAL_OFFSET_TABLE_ (the aarch64 GOT/PLT pass did not run)`,
          where,
        );
      }
      const value = T + A - page(got.address);
      check(graph, block, edge, value, info.range);
      word = encodeImm12(word, value / 8);
      break;
    }
    default: {
      // Move-wide: the shift is 16·hw of the instruction, and so is the range.
      const pcRelative = formula === Fm.MoveWidePCRel || formula === Fm.MoveWidePCRelSigned;
      let value = pcRelative ? T - P + A : T + A;
      const hw = moveWideHalfword(word);
      const shift = 16 * hw;
      const limit = 2 ** (shift + 16);
      if (formula === Fm.MoveWideUnsigned) check(graph, block, edge, value, { min: 0, max: limit - 1, multipleOf: 1, name: `uint${shift + 16}` });
      if (formula === Fm.MoveWideSigned || formula === Fm.MoveWidePCRelSigned) {
        if (hw < 3) check(graph, block, edge, value, { min: -limit, max: limit - 1, multipleOf: 1, name: `±2^${shift + 16}` });
        // Negative values are written as MOVN of their complement.
        word = setMovzOrMovn(word, value >= 0);
        if (value < 0) value = -value - 1;
      }
      word = encodeImm16(word, bits16(value, shift));
    }
  }
  view.setUint32(offset, word, true);
}
