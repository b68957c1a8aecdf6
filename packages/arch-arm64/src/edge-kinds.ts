/**
 * AArch64 edge kinds, numbered from core's `EdgeKinds.FirstRelocation`, and
 * their facts: one core `EdgeKindInfo` row per kind (name, patched width,
 * formula, range). applyFixup, the ELF and MachO mappings, the GOT/stub
 * pass, relaxation and the README's table all read these rows.
 *
 * Notation: T = target address, P = fixup address, A = addend,
 * Page(x) = x & ~0xfff, GOT = the graph's GOT base (`_GLOBAL_OFFSET_TABLE_`),
 * hw = the halfword field of a move-wide instruction.
 * Instruction fields are always little-endian; data follows the graph.
 */
import {
  edgeKindInfo,
  edgeKindNamer,
  EdgeKinds,
  edgeKindTable,
  RANGE_64,
  type EdgeKind,
  type EdgeKindInfo,
  type EdgeKindNamer,
  type FixupRange,
} from '@jitlink/core';
import { AARCH64_TLS_RULES, describeTLSRule } from './tls-kinds.js';

const F = EdgeKinds.FirstRelocation;

export const AArch64EdgeKinds = {
  // Width, range and value of each kind: AARCH64_EDGE_KIND_INFO below (the
  // README's table is generated from it). Comments here say only what the
  // table does not.
  Pointer64: F,
  Pointer32: F + 1,
  Pointer16: F + 2,
  Delta64: F + 3,
  Delta32: F + 4,
  Delta16: F + 5,
  NegDelta64: F + 6,
  NegDelta32: F + 7,
  /** B/BL: external and absolute callees get a stub; far callees in the graph a veneer. */
  Branch26PCRel: F + 8,
  MoveWide16: F + 9,
  MoveWide16Unsigned: F + 10,
  MoveWide16Signed: F + 11,
  MoveWide16PCRel: F + 12,
  MoveWide16PCRelSigned: F + 13,
  LDRLiteral19: F + 14,
  TestAndBranch14PCRel: F + 15,
  CondBranch19PCRel: F + 16,
  ADRLiteral21: F + 17,
  Page21: F + 18,
  /** The scale (ADD: none; load/store: the access size) comes from the instruction. */
  PageOffset12: F + 19,
  GotPageOffset15: F + 20,
  RequestGOTAndTransformToPage21: F + 21,
  RequestGOTAndTransformToPageOffset12: F + 22,
  RequestGOTAndTransformToPageOffset15: F + 23,
  RequestGOTAndTransformToDelta32: F + 24,
  RequestGOTAndTransformToLDRLiteral19: F + 25,
  /**
   * MachO thread-local variable: T is the variable's TLV descriptor; the GOT
   * pass gives it a GOT entry (the descriptor pointer), as for a GOT load.
   */
  RequestTLVPAndTransformToPage21: F + 26,
  RequestTLVPAndTransformToPageOffset12: F + 27,
  /** ELF TLS descriptors: not supported yet. */
  RequestTLSDescEntryAndTransformToPage21: F + 28,
  RequestTLSDescEntryAndTransformToPageOffset12: F + 29,
  /** MachO `.quad sym@GOT`: an absolute pointer to T's GOT entry. */
  RequestGOTAndTransformToPointer64: F + 30,
  /** ADD (immediate, lsl #12): bits 23:12 of the value (COFF's SECREL_HIGH12A, once lowered). */
  High12: F + 31,
  // COFF's image- and section-relative kinds: @jitlink/arch-arm64/coff lowers them before fixups, once addresses are known.
  Pointer32NB: F + 32,
  SectionRelative32: F + 33,
  SectionRelativePageOffset12: F + 34,
  SectionRelativeHigh12: F + 35,
  SectionIndex16: F + 36,
  // Thread-local storage (elf/tls.ts): what TLS relocations become once the TLS block is loaded.
  /** T + A (a TLS offset) into imm12, scaled by the access size of a load/store. */
  Imm12Low: F + 37,
  TLSModuleId64: F + 38,
  DTPOff64: F + 39,
  TPOff64: F + 40,
} as const satisfies Record<string, EdgeKind>;

export type AArch64EdgeKindName = keyof typeof AArch64EdgeKinds;

/** How applyFixup computes and places a kind's value (EdgeKindInfo.formula). */
export const AArch64Formula = {
  /** T + A, data. */
  Pointer: 0,
  /** T - P + A, data. */
  Delta: 1,
  /** P - T + A, data. */
  NegDelta: 2,
  /** T - P + A, >> 2 into B/BL imm26. */
  Branch26: 3,
  /** T - P + A, >> 2 into TBZ/TBNZ imm14. */
  TestAndBranch14: 4,
  /** T - P + A, >> 2 into B.cond/CBZ/CBNZ imm19. */
  CondBranch19: 5,
  /** T - P + A, >> 2 into LDR (literal) imm19. */
  LDRLiteral19: 6,
  /** T - P + A into ADR imm21. */
  ADRLiteral21: 7,
  /** Page(T + A) - Page(P), >> 12 into ADRP imm21. */
  Page21: 8,
  /** (T + A) & 0xfff, >> the access size, into imm12. */
  PageOffset12: 9,
  /** T + A - Page(GOT), >> 3 into a 64-bit LDR's imm12. */
  GotPageOffset15: 10,
  /** T + A, halfword hw into MOVZ/MOVK imm16; unchecked. */
  MoveWide: 11,
  /** As MoveWide, checked unsigned. */
  MoveWideUnsigned: 12,
  /** T + A, MOVZ or MOVN by sign, checked signed. */
  MoveWideSigned: 13,
  /** T - P + A, halfword hw; unchecked. */
  MoveWidePCRel: 14,
  /** T - P + A, MOVZ or MOVN by sign, checked signed (but for hw = 3). */
  MoveWidePCRelSigned: 15,
  /** None: a pass rewrites the edge into another kind before fixups. */
  Lowered: 16,
  /** None: thread-local storage not supported yet (UnsupportedFeature when linked). */
  Unsupported: 17,
  /** (T + A) >> 12 & 0xfff into an ADD (immediate, lsl #12). */
  High12: 18,
  /** T + A in [0, 4096) into imm12, >> the access size of a load/store. */
  Imm12Low: 19,
} as const;

/**
 * One kind per ELF thread-local relocation (R_AARCH64_TLS*): parsed into the
 * graph so that only live ones fail, at link time, naming the relocation.
 */
export const AARCH64_TLS_RELOCATIONS = [
  'TLSGD_ADR_PREL21', 'TLSGD_ADR_PAGE21', 'TLSGD_ADD_LO12_NC', 'TLSGD_MOVW_G1', 'TLSGD_MOVW_G0_NC',
  'TLSLD_ADR_PREL21', 'TLSLD_ADR_PAGE21', 'TLSLD_ADD_LO12_NC', 'TLSLD_MOVW_G1', 'TLSLD_MOVW_G0_NC',
  'TLSLD_LD_PREL19', 'TLSLD_MOVW_DTPREL_G2', 'TLSLD_MOVW_DTPREL_G1', 'TLSLD_MOVW_DTPREL_G1_NC',
  'TLSLD_MOVW_DTPREL_G0', 'TLSLD_MOVW_DTPREL_G0_NC', 'TLSLD_ADD_DTPREL_HI12', 'TLSLD_ADD_DTPREL_LO12',
  'TLSLD_ADD_DTPREL_LO12_NC', 'TLSLD_LDST8_DTPREL_LO12', 'TLSLD_LDST8_DTPREL_LO12_NC',
  'TLSLD_LDST16_DTPREL_LO12', 'TLSLD_LDST16_DTPREL_LO12_NC', 'TLSLD_LDST32_DTPREL_LO12',
  'TLSLD_LDST32_DTPREL_LO12_NC', 'TLSLD_LDST64_DTPREL_LO12', 'TLSLD_LDST64_DTPREL_LO12_NC',
  'TLSIE_MOVW_GOTTPREL_G1', 'TLSIE_MOVW_GOTTPREL_G0_NC', 'TLSIE_ADR_GOTTPREL_PAGE21',
  'TLSIE_LD64_GOTTPREL_LO12_NC', 'TLSIE_LD_GOTTPREL_PREL19', 'TLSLE_MOVW_TPREL_G2', 'TLSLE_MOVW_TPREL_G1',
  'TLSLE_MOVW_TPREL_G1_NC', 'TLSLE_MOVW_TPREL_G0', 'TLSLE_MOVW_TPREL_G0_NC', 'TLSLE_ADD_TPREL_HI12',
  'TLSLE_ADD_TPREL_LO12', 'TLSLE_ADD_TPREL_LO12_NC', 'TLSLE_LDST8_TPREL_LO12', 'TLSLE_LDST8_TPREL_LO12_NC',
  'TLSLE_LDST16_TPREL_LO12', 'TLSLE_LDST16_TPREL_LO12_NC', 'TLSLE_LDST32_TPREL_LO12',
  'TLSLE_LDST32_TPREL_LO12_NC', 'TLSLE_LDST64_TPREL_LO12', 'TLSLE_LDST64_TPREL_LO12_NC',
  'TLSDESC_LD_PREL19', 'TLSDESC_ADR_PREL21', 'TLSDESC_ADR_PAGE21', 'TLSDESC_LD64_LO12', 'TLSDESC_ADD_LO12',
  'TLSDESC_OFF_G1', 'TLSDESC_OFF_G0_NC', 'TLSDESC_LDR', 'TLSDESC_ADD', 'TLSDESC_CALL',
  'TLSLE_LDST128_TPREL_LO12', 'TLSLE_LDST128_TPREL_LO12_NC', 'TLSLD_LDST128_DTPREL_LO12',
  'TLSLD_LDST128_DTPREL_LO12_NC',
] as const;

/** The first thread-local relocation kind; R_AARCH64_<AARCH64_TLS_RELOCATIONS[i]> is this + i. */
export const FIRST_AARCH64_TLS_RELOCATION_KIND: EdgeKind = F + Object.keys(AArch64EdgeKinds).length;

const TLS_KIND_PREFIX = 'TLS_';
const TLS_RELOCATION_KINDS: Record<string, EdgeKind> = Object.fromEntries(
  AARCH64_TLS_RELOCATIONS.map((name, i) => [TLS_KIND_PREFIX + name, FIRST_AARCH64_TLS_RELOCATION_KIND + i]),
);

const Fm = AArch64Formula;
const K = AArch64EdgeKinds;
const GOT = 'GOT';

/** A range with the name the fixup errors have always used. */
function range(min: number, max: number, multipleOf: number, name: string): FixupRange {
  return { min, max, multipleOf, name };
}
/** A PC-relative instruction field of `bits` bits in units of 2^`shift` bytes. */
function pcRelRange(bits: number, shift: number): FixupRange {
  const limit = 2 ** (bits - 1 + shift);
  const reach = limit >= 2 ** 20 ? `${limit / 2 ** 20} MiB` : `${limit / 1024} KiB`;
  return range(-limit, limit - 1, 2 ** shift, shift > 0 ? `±${reach}, 4-byte aligned` : `±${reach}`);
}
const EITHER_32 = range(-(2 ** 31), 2 ** 32 - 1, 1, 'int32/uint32');
const EITHER_16 = range(-0x8000, 0xffff, 1, 'int16/uint16');
const INT32 = range(-(2 ** 31), 2 ** 31 - 1, 1, 'int32');
const PAGE_DELTA = range(-(2 ** 32), 2 ** 32 - 1, 4096, '±4 GiB of pages');
/** The scale, and so the alignment, comes from the instruction; fixups check it. */
const PAGE_OFFSET = range(0, 4095, 1, 'aligned to the access size');
const GOT_PAGE_OFFSET = range(0, 0x7fff, 8, '[0, 0x8000), 8-byte aligned');
/** Move-wide fields: the limit depends on hw (read from the instruction); fixups check it. */
const UNCHECKED = { ...RANGE_64, name: '—' };
const MOVE_WIDE_UNSIGNED = { ...RANGE_64, name: 'uint(16·hw + 16)' };
const MOVE_WIDE_SIGNED = { ...RANGE_64, name: '±2^(16·hw + 16)' };
/** Thread-local placeholders: no value fits. */
const NONE = range(0, -1, 1, '—');

function row(
  name: AArch64EdgeKindName,
  width: number,
  formula: number,
  value: string,
  fixupRange: FixupRange,
  extra: Partial<Pick<EdgeKindInfo, 'request' | 'advice'>> = {},
): EdgeKindInfo {
  return { kind: K[name], name, width, formula, value, range: fixupRange, ...extra };
}

/** A GOT request: lowered to `becomes`, targeting T's GOT entry; it has the width and range of what it becomes. */
function request(name: AArch64EdgeKindName, becomes: AArch64EdgeKindName, via: string, fixupRange: FixupRange, width = 4): EdgeKindInfo {
  return row(name, width, Fm.Lowered, `becomes ${becomes} to ${via}`, fixupRange, { request: { table: GOT, becomes: K[becomes] } });
}

const BRANCH_ADVICE = 'calls between sections get a veneer; a branch within one section must be within ±128 MiB';

/**
 * The AArch64 kinds' facts, one row per kind, indexed by `kind - EdgeKinds.FirstRelocation`
 * (`npm run docs -w @jitlink/arch-arm64` writes the README's table from it).
 */
export const AARCH64_EDGE_KIND_INFO: readonly EdgeKindInfo[] = edgeKindTable({ ...AArch64EdgeKinds, ...TLS_RELOCATION_KINDS }, [
  row('Pointer64', 8, Fm.Pointer, 'T + A', RANGE_64),
  row('Pointer32', 4, Fm.Pointer, 'T + A', EITHER_32),
  row('Pointer16', 2, Fm.Pointer, 'T + A', EITHER_16),
  row('Delta64', 8, Fm.Delta, 'T − P + A', RANGE_64),
  row('Delta32', 4, Fm.Delta, 'T − P + A', EITHER_32),
  row('Delta16', 2, Fm.Delta, 'T − P + A', EITHER_16),
  row('NegDelta64', 8, Fm.NegDelta, 'P − T + A', RANGE_64),
  row('NegDelta32', 4, Fm.NegDelta, 'P − T + A', INT32),
  row('Branch26PCRel', 4, Fm.Branch26, '(T − P + A) >> 2 into B/BL imm26', pcRelRange(26, 2), { advice: BRANCH_ADVICE }),
  row('MoveWide16', 4, Fm.MoveWide, '(T + A) >> 16·hw & 0xffff into MOVZ/MOVK imm16', UNCHECKED),
  row('MoveWide16Unsigned', 4, Fm.MoveWideUnsigned, '(T + A) >> 16·hw & 0xffff into imm16', MOVE_WIDE_UNSIGNED),
  row('MoveWide16Signed', 4, Fm.MoveWideSigned, 'X = T + A: MOVZ of X >> 16·hw if X ≥ 0, else MOVN of ~X >> 16·hw', MOVE_WIDE_SIGNED),
  row('MoveWide16PCRel', 4, Fm.MoveWidePCRel, '(T − P + A) >> 16·hw & 0xffff into MOVK imm16', UNCHECKED),
  row(
    'MoveWide16PCRelSigned',
    4,
    Fm.MoveWidePCRelSigned,
    'X = T − P + A: MOVZ of X >> 16·hw if X ≥ 0, else MOVN of ~X >> 16·hw',
    { ...MOVE_WIDE_SIGNED, name: '±2^(16·hw + 16) (unchecked for hw = 3)' },
  ),
  row('LDRLiteral19', 4, Fm.LDRLiteral19, '(T − P + A) >> 2 into LDR (literal) imm19', pcRelRange(19, 2)),
  row('TestAndBranch14PCRel', 4, Fm.TestAndBranch14, '(T − P + A) >> 2 into TBZ/TBNZ imm14', pcRelRange(14, 2)),
  row('CondBranch19PCRel', 4, Fm.CondBranch19, '(T − P + A) >> 2 into B.cond/CBZ/CBNZ imm19', pcRelRange(19, 2)),
  row('ADRLiteral21', 4, Fm.ADRLiteral21, 'T − P + A into ADR imm21', pcRelRange(21, 0)),
  row('Page21', 4, Fm.Page21, '(Page(T + A) − Page(P)) >> 12 into ADRP imm21', PAGE_DELTA),
  row('PageOffset12', 4, Fm.PageOffset12, '(T + A) & 0xfff, >> the access size of a load/store, into imm12', PAGE_OFFSET),
  row('GotPageOffset15', 4, Fm.GotPageOffset15, '(T + A − Page(GOT)) >> 3 into LDR (64-bit) imm12', GOT_PAGE_OFFSET),
  request('RequestGOTAndTransformToPage21', 'Page21', "T's GOT entry", PAGE_DELTA),
  request('RequestGOTAndTransformToPageOffset12', 'PageOffset12', "T's GOT entry", PAGE_OFFSET),
  request('RequestGOTAndTransformToPageOffset15', 'GotPageOffset15', "T's GOT entry", GOT_PAGE_OFFSET),
  request('RequestGOTAndTransformToDelta32', 'Delta32', "T's GOT entry", EITHER_32),
  request('RequestGOTAndTransformToLDRLiteral19', 'LDRLiteral19', "T's GOT entry", pcRelRange(19, 2)),
  request('RequestTLVPAndTransformToPage21', 'Page21', 'a GOT entry holding the address of TLV descriptor T', PAGE_DELTA),
  request('RequestTLVPAndTransformToPageOffset12', 'PageOffset12', 'a GOT entry holding the address of TLV descriptor T', PAGE_OFFSET),
  row('RequestTLSDescEntryAndTransformToPage21', 4, Fm.Unsupported, 'TLS descriptor: `UnsupportedFeature`', NONE),
  row('RequestTLSDescEntryAndTransformToPageOffset12', 4, Fm.Unsupported, 'TLS descriptor: `UnsupportedFeature`', NONE),
  request('RequestGOTAndTransformToPointer64', 'Pointer64', "T's GOT entry", RANGE_64, 8),
  row('High12', 4, Fm.High12, '(T + A) >> 12 & 0xfff into ADD (immediate, lsl #12) imm12', range(0, 2 ** 24 - 1, 1, '[0, 2^24)')),
  row('Pointer32NB', 4, Fm.Lowered, 'T + A − ImageBase; becomes Pointer32 before fixups (COFF)', range(0, 2 ** 32 - 1, 1, 'uint32')),
  row('SectionRelative32', 4, Fm.Lowered, "T + A − S (S: start of T's section); becomes Pointer32 before fixups (COFF)", range(0, 2 ** 32 - 1, 1, 'uint32')),
  row('SectionRelativePageOffset12', 4, Fm.Lowered, 'T + A − S; becomes PageOffset12 before fixups (COFF)', PAGE_OFFSET),
  row('SectionRelativeHigh12', 4, Fm.Lowered, 'T + A − S; becomes High12 before fixups (COFF)', range(0, 2 ** 24 - 1, 1, '[0, 2^24)')),
  row('SectionIndex16', 2, Fm.Lowered, "the number of T's section, written by the COFF pass", range(0, 0xffff, 1, 'uint16')),
  row('Imm12Low', 4, Fm.Imm12Low, 'T + A, >> the access size of a load/store, into imm12', range(0, 4095, 1, '[0, 4096), aligned to the access size')),
  row('TLSModuleId64', 8, Fm.Lowered, "the loader's module id of T's TLS block; becomes Pointer64 once the block is loaded", RANGE_64),
  row('DTPOff64', 8, Fm.Lowered, "T + A − the start of T's TLS block; becomes Pointer64 once the block is loaded", RANGE_64),
  row('TPOff64', 8, Fm.Lowered, 'T + A − the thread pointer; becomes Pointer64 once the block is loaded', RANGE_64),
  ...AARCH64_TLS_RELOCATIONS.map((name, i): EdgeKindInfo => {
    // Relocations with a rule are lowered by elf/tls.ts once the TLS block is loaded; the others fail when linked.
    const rule = AARCH64_TLS_RULES[name];
    return {
      kind: FIRST_AARCH64_TLS_RELOCATION_KIND + i,
      name: TLS_KIND_PREFIX + name,
      width: 4,
      formula: rule ? Fm.Lowered : Fm.Unsupported,
      value: rule ? `R_AARCH64_${name}: ${describeTLSRule(rule)}` : `R_AARCH64_${name}: \`UnsupportedFeature\``,
      range: NONE,
    };
  }),
]);

/** The row of an AArch64 kind; undefined for core's kinds and unknown numbers. */
export function aarch64EdgeKindInfo(kind: EdgeKind): EdgeKindInfo | undefined {
  return edgeKindInfo(AARCH64_EDGE_KIND_INFO, kind);
}

/** Every AArch64 kind's row, in kind order. */
export function aarch64EdgeKinds(): readonly EdgeKindInfo[] {
  return AARCH64_EDGE_KIND_INFO;
}

/** Names AArch64 kinds (and core's generic kinds): e.g. "Page21". */
export const getAArch64EdgeKindName: EdgeKindNamer = edgeKindNamer(AARCH64_EDGE_KIND_INFO.map((r) => r.name));

const K_TLS_VALUES: readonly EdgeKind[] = [AArch64EdgeKinds.TLSModuleId64, AArch64EdgeKinds.DTPOff64, AArch64EdgeKinds.TPOff64];

/** True for the thread-local kinds: TLS descriptor requests, TLS values and those of R_AARCH64_TLS* relocations. */
export function isAArch64TLSEdgeKind(kind: EdgeKind): boolean {
  return (
    aarch64EdgeKindInfo(kind)?.formula === Fm.Unsupported ||
    K_TLS_VALUES.includes(kind) ||
    (kind >= FIRST_AARCH64_TLS_RELOCATION_KIND && kind < FIRST_AARCH64_TLS_RELOCATION_KIND + AARCH64_TLS_RELOCATIONS.length)
  );
}

/**
 * What a not-supported thread-local kind stands for, for its error:
 * "R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21", or the kind's name for the request kinds.
 */
export function aarch64TLSRelocationName(kind: EdgeKind): string {
  const name = getAArch64EdgeKindName(kind);
  return name.startsWith(TLS_KIND_PREFIX) ? `R_AARCH64_${name.slice(TLS_KIND_PREFIX.length)}` : name;
}

/** The kind standing for thread-local relocation R_AARCH64_<name>. */
export function aarch64TLSRelocationKind(name: (typeof AARCH64_TLS_RELOCATIONS)[number]): EdgeKind {
  return FIRST_AARCH64_TLS_RELOCATION_KIND + AARCH64_TLS_RELOCATIONS.indexOf(name);
}

export const AARCH64_POINTER_SIZE = 8;
