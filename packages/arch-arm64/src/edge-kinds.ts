/**
 * AArch64 edge kinds: one table, one entry per kind with its name, the bytes
 * it patches, its formula, the range its value must fit, and how it is
 * applied. Kinds are numbered from core's `EdgeKinds.FirstRelocation` in the
 * table's order.
 *
 * Notation: T = target address, P = fixup address, A = addend,
 * Page(x) = x & ~0xfff, GOT = the graph's GOT base (`_GLOBAL_OFFSET_TABLE_`).
 * Instruction fields are always little-endian; data follows the graph.
 */
import { EdgeKinds, edgeKindNamer, type EdgeKind, type EdgeKindNamer } from '@jitlink/core';
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
  loadStoreScale,
  isMoveWide,
  isTestAndBranch14,
  lowBits,
  moveWideHalfword,
  page,
  pageOffset12Scale,
  setMovzOrMovn,
} from './encoders.js';
import { AARCH64_TLS_RULES, describeTLSRule } from './tls-kinds.js';

/** What an edge kind's `apply` works with: the fixup's operands and its checks. */
export interface FixupSite {
  /** T, P, A. */
  readonly target: number;
  readonly fixup: number;
  readonly addend: number;
  /** The GOT base; throws if the graph has none. */
  gotBase(): number;
  /** The instruction word at the fixup. */
  readWord(): number;
  writeWord(word: number): void;
  writeData(bytes: 2 | 4 | 8, value: number): void;
  /**
   * Throws FixupOutOfRange unless min <= value < limit and value is a
   * multiple of `align`; `range` describes the range in the message.
   */
  check(value: number, min: number, limit: number, align: number, range: string): void;
  /** Throws: the word at the fixup is not an instruction of this kind. */
  wrongInstruction(word: number, expected: string): never;
}

export interface AArch64EdgeKindInfo {
  readonly name: string;
  /** Bytes patched; 0 for kinds a pass lowers before fixups (requests, thread-local). */
  readonly width: 0 | 2 | 4 | 8;
  /** The value written, in the notation above. */
  readonly formula: string;
  /** The range checked, as documentation ('' when none). */
  readonly range: string;
  /** For request kinds: the kind a GOT entry request becomes. */
  readonly becomes?: string;
  /** For thread-local kinds not supported: the relocation it stands for, named in the not-supported error. */
  readonly tlsRelocation?: string;
  /** Thread-local kinds (supported or not): lowered by `elf/tls.ts` before fixups. */
  readonly threadLocal?: boolean;
  readonly apply?: (site: FixupSite) => void;
}

type KindSpec = Omit<AArch64EdgeKindInfo, 'name'>;

const I32 = 2 ** 31;
const U32 = 2 ** 32;

function data(bytes: 2 | 4 | 8, value: (s: FixupSite) => number, min: number, limit: number, range: string) {
  return (s: FixupSite): void => {
    const v = value(s);
    if (bytes !== 8) s.check(v, min, limit, 1, range);
    s.writeData(bytes, v);
  };
}

const ptr = (s: FixupSite): number => s.target + s.addend;
const delta = (s: FixupSite): number => s.target - s.fixup + s.addend;
const negDelta = (s: FixupSite): number => s.fixup - s.target + s.addend;

/** A PC-relative instruction field of `bits` bits in units of 2^`shift` bytes. */
function pcRel(
  bits: number,
  shift: number,
  is: (w: number) => boolean,
  what: string,
  encode: (w: number, imm: number) => number,
) {
  const limit = 2 ** (bits - 1 + shift);
  const range = `±${limit >= 2 ** 20 ? `${limit / 2 ** 20} MiB` : `${limit / 1024} KiB`}`;
  return (s: FixupSite): void => {
    const w = s.readWord();
    if (!is(w)) s.wrongInstruction(w, what);
    const v = delta(s);
    s.check(v, -limit, limit, 2 ** shift, shift > 0 ? `${range}, 4-byte aligned` : range);
    s.writeWord(encode(w, v / 2 ** shift));
  };
}

function page21(s: FixupSite, target: number): void {
  const w = s.readWord();
  if (!isADRP(w)) s.wrongInstruction(w, 'an ADRP');
  const v = page(target) - page(s.fixup);
  s.check(v, -(2 ** 32), 2 ** 32, 1, '±4 GiB of pages');
  s.writeWord(encodeImm21(w, v / 4096));
}

function pageOffset12(s: FixupSite, value: number): void {
  const w = s.readWord();
  const scale = pageOffset12Scale(w);
  if (scale === undefined) s.wrongInstruction(w, 'an ADD (immediate) or a load/store (unsigned offset)');
  const lo = lowBits(value, 12);
  s.check(lo, 0, 4096, 2 ** scale, `a multiple of the ${2 ** scale}-byte access size`);
  s.writeWord(encodeImm12(w, lo / 2 ** scale));
}

/** Move-wide fields: the shift is 16·hw of the instruction. */
function moveWide(value: (s: FixupSite) => number, check: 'none' | 'unsigned' | 'signed') {
  return (s: FixupSite): void => {
    let w = s.readWord();
    if (!isMoveWide(w)) s.wrongInstruction(w, 'a MOVZ, MOVN or MOVK');
    const hw = moveWideHalfword(w);
    const shift = 16 * hw;
    let v = value(s);
    const limit = 2 ** (shift + 16);
    if (check === 'unsigned') s.check(v, 0, limit, 1, `uint${shift + 16}`);
    if (check === 'signed') {
      if (hw < 3) s.check(v, -limit, limit, 1, `±2^${shift + 16}`);
      // Negative values are written as MOVN of their complement.
      w = setMovzOrMovn(w, v >= 0);
      if (v < 0) v = -v - 1;
    }
    s.writeWord(encodeImm16(w, bits16(v, shift)));
  };
}

const lowered = (becomes: string): KindSpec => ({ width: 0, formula: `GOT entry for T, then ${becomes}`, range: '', becomes });
const coffRelative = (formula: string): KindSpec => ({ width: 0, formula, range: '' });
const threadLocal = (what: string): KindSpec => ({ width: 0, formula: 'thread-local: not supported yet', range: '', tlsRelocation: what });

/** A 64-bit thread-local value in a GOT entry, a descriptor or debug info: lowered to Pointer64 before fixups. */
const tlsValue = (formula: string): KindSpec => ({ width: 0, formula: `${formula} (as Pointer64, once the TLS block is loaded)`, range: '', threadLocal: true });

const TABLE = {
  Pointer64: { width: 8, formula: 'T + A', range: '', apply: data(8, ptr, 0, 0, '') },
  Pointer32: { width: 4, formula: 'T + A', range: '[-2^31, 2^32)', apply: data(4, ptr, -I32, U32, 'int32/uint32') },
  Pointer16: { width: 2, formula: 'T + A', range: '[-2^15, 2^16)', apply: data(2, ptr, -0x8000, 0x10000, 'int16/uint16') },
  Delta64: { width: 8, formula: 'T - P + A', range: '', apply: data(8, delta, 0, 0, '') },
  Delta32: { width: 4, formula: 'T - P + A', range: '[-2^31, 2^32)', apply: data(4, delta, -I32, U32, 'int32/uint32') },
  Delta16: { width: 2, formula: 'T - P + A', range: '[-2^15, 2^16)', apply: data(2, delta, -0x8000, 0x10000, 'int16/uint16') },
  NegDelta64: { width: 8, formula: 'P - T + A', range: '', apply: data(8, negDelta, 0, 0, '') },
  NegDelta32: { width: 4, formula: 'P - T + A', range: 'int32', apply: data(4, negDelta, -I32, I32, 'int32') },
  Branch26PCRel: {
    width: 4,
    formula: '(T - P + A) >> 2 into B/BL imm26',
    range: '±128 MiB, 4-byte aligned',
    apply: pcRel(26, 2, isBranch26, 'a B or BL', encodeImm26),
  },
  MoveWide16: {
    width: 4,
    formula: '(T + A) >> 16·hw & 0xffff into MOVZ/MOVK imm16 (hw from the instruction)',
    range: '',
    apply: moveWide(ptr, 'none'),
  },
  MoveWide16Unsigned: {
    width: 4,
    formula: '(T + A) >> 16·hw & 0xffff into imm16',
    range: 'uint(16·hw + 16)',
    apply: moveWide(ptr, 'unsigned'),
  },
  MoveWide16Signed: {
    width: 4,
    formula: 'X = T + A: MOVZ of X >> 16·hw if X >= 0, else MOVN of ~X >> 16·hw',
    range: '±2^(16·hw + 16)',
    apply: moveWide(ptr, 'signed'),
  },
  MoveWide16PCRel: {
    width: 4,
    formula: '(T - P + A) >> 16·hw & 0xffff into MOVK imm16',
    range: '',
    apply: moveWide(delta, 'none'),
  },
  MoveWide16PCRelSigned: {
    width: 4,
    formula: 'X = T - P + A: MOVZ of X >> 16·hw if X >= 0, else MOVN of ~X >> 16·hw',
    range: '±2^(16·hw + 16) (unchecked for hw = 3)',
    apply: moveWide(delta, 'signed'),
  },
  LDRLiteral19: {
    width: 4,
    formula: '(T - P + A) >> 2 into LDR (literal) imm19',
    range: '±1 MiB, 4-byte aligned',
    apply: pcRel(19, 2, isLDRLiteral, 'an LDR (literal)', encodeImm19),
  },
  TestAndBranch14PCRel: {
    width: 4,
    formula: '(T - P + A) >> 2 into TBZ/TBNZ imm14',
    range: '±32 KiB, 4-byte aligned',
    apply: pcRel(14, 2, isTestAndBranch14, 'a TBZ or TBNZ', encodeImm14),
  },
  CondBranch19PCRel: {
    width: 4,
    formula: '(T - P + A) >> 2 into B.cond/CBZ/CBNZ imm19',
    range: '±1 MiB, 4-byte aligned',
    apply: pcRel(19, 2, isCondBranch19, 'a B.cond, CBZ or CBNZ', encodeImm19),
  },
  ADRLiteral21: {
    width: 4,
    formula: 'T - P + A into ADR imm21',
    range: '±1 MiB',
    apply: pcRel(21, 0, isADR, 'an ADR', encodeImm21),
  },
  Page21: {
    width: 4,
    formula: '(Page(T + A) - Page(P)) >> 12 into ADRP imm21',
    range: '±4 GiB',
    apply: (s: FixupSite) => page21(s, s.target + s.addend),
  },
  PageOffset12: {
    width: 4,
    formula: '(T + A) & 0xfff, >> the access size of a load/store, into imm12',
    range: 'aligned to the access size',
    apply: (s: FixupSite) => pageOffset12(s, s.target + s.addend),
  },
  GotPageOffset15: {
    width: 4,
    formula: '(T + A - Page(GOT)) >> 3 into LDR (64-bit) imm12',
    range: '[0, 2^15), 8-byte aligned',
    apply: (s: FixupSite) => {
      const w = s.readWord();
      if (!isLoadStoreUnsignedImm(w) || loadStoreScale(w) !== 3) s.wrongInstruction(w, 'a 64-bit LDR (unsigned offset)');
      const v = s.target + s.addend - page(s.gotBase());
      s.check(v, 0, 0x8000, 8, '[0, 0x8000), 8-byte aligned');
      s.writeWord(encodeImm12(w, v / 8));
    },
  },
  RequestGOTAndTransformToPage21: lowered('Page21'),
  RequestGOTAndTransformToPageOffset12: lowered('PageOffset12'),
  RequestGOTAndTransformToPageOffset15: lowered('GotPageOffset15'),
  RequestGOTAndTransformToDelta32: lowered('Delta32'),
  RequestGOTAndTransformToLDRLiteral19: lowered('LDRLiteral19'),
  RequestTLVPAndTransformToPage21: threadLocal('a thread-local variable pointer (Page21)'),
  RequestTLVPAndTransformToPageOffset12: threadLocal('a thread-local variable pointer (PageOffset12)'),
  RequestTLSDescEntryAndTransformToPage21: threadLocal('a TLS descriptor (Page21)'),
  RequestTLSDescEntryAndTransformToPageOffset12: threadLocal('a TLS descriptor (PageOffset12)'),
  // Also what TLS relocations' HI12 forms become once the TLS block is loaded (elf/tls.ts).
  High12: {
    width: 4,
    formula: '(T + A) >> 12 & 0xfff into ADD (immediate, lsl #12) imm12',
    range: '[0, 2^24)',
    apply: (s: FixupSite) => {
      const w = s.readWord();
      // sh (bit 22) set: the immediate is shifted left by 12.
      if (!isAddSubImmediate(w) || (w & 0x00400000) === 0) s.wrongInstruction(w, 'an ADD (immediate, lsl #12)');
      const v = s.target + s.addend;
      s.check(v, 0, 2 ** 24, 1, '[0, 2^24)');
      s.writeWord(encodeImm12(w, Math.floor(v / 4096)));
    },
  },
  // COFF's image- and section-relative kinds: @jitlink/arch-arm64/coff lowers them before fixups, once addresses are known.
  Pointer32NB: coffRelative('T + A - ImageBase, then Pointer32'),
  SectionRelative32: coffRelative("T + A - S (S: start of T's section), then Pointer32"),
  SectionRelativePageOffset12: coffRelative('T + A - S, then PageOffset12'),
  SectionRelativeHigh12: coffRelative('T + A - S, then High12'),
  SectionIndex16: coffRelative("the number of T's section, written in place"),
  // Thread-local storage (elf/tls.ts): what TLS relocations become once the TLS block is loaded.
  Imm12Low: {
    width: 4,
    formula: 'T + A, >> the access size of a load/store, into imm12',
    range: '[0, 4096), aligned to the access size',
    apply: (s: FixupSite) => {
      const v = s.target + s.addend;
      s.check(v, 0, 4096, 1, '[0, 4096)');
      pageOffset12(s, v);
    },
  },
  TLSModuleId64: tlsValue("the loader's module id of T's TLS block"),
  DTPOff64: tlsValue("T + A - the start of T's TLS block"),
  TPOff64: tlsValue('T + A - the thread pointer'),
} satisfies Record<string, KindSpec>;

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

export type AArch64EdgeKindName = keyof typeof TABLE;

const F = EdgeKinds.FirstRelocation;

const INFO: AArch64EdgeKindInfo[] = [];
for (const [name, spec] of Object.entries(TABLE) as [string, KindSpec][]) INFO.push({ name, ...spec });
/** The first thread-local relocation kind; R_AARCH64_<AARCH64_TLS_RELOCATIONS[i]> is this + i. */
export const FIRST_AARCH64_TLS_RELOCATION_KIND: EdgeKind = F + INFO.length;
for (const reloc of AARCH64_TLS_RELOCATIONS) {
  const rule = AARCH64_TLS_RULES[reloc];
  INFO.push(
    rule
      ? { name: `TLS_${reloc}`, width: 0, formula: describeTLSRule(rule), range: '', threadLocal: true }
      : { name: `TLS_${reloc}`, width: 0, formula: 'not supported yet', range: '', tlsRelocation: `R_AARCH64_${reloc}`, threadLocal: true },
  );
}

export const AArch64EdgeKinds = Object.fromEntries(
  Object.keys(TABLE).map((name, i) => [name, F + i]),
) as { readonly [N in AArch64EdgeKindName]: EdgeKind };

/** The table entry of an AArch64 kind; undefined for core's kinds and unknown numbers. */
export function aarch64EdgeKindInfo(kind: EdgeKind): AArch64EdgeKindInfo | undefined {
  return INFO[kind - F];
}

/** Every AArch64 kind with its table entry, in kind order. */
export function aarch64EdgeKinds(): readonly (AArch64EdgeKindInfo & { kind: EdgeKind })[] {
  return INFO.map((info, i) => ({ ...info, kind: F + i }));
}

/** Names AArch64 kinds (and core's generic kinds): e.g. "Page21". */
export const getAArch64EdgeKindName: EdgeKindNamer = edgeKindNamer(INFO.map((i) => i.name));

/** True for the thread-local kinds (request kinds, TLS values and those of R_AARCH64_TLS* relocations). */
export function isAArch64TLSEdgeKind(kind: EdgeKind): boolean {
  const info = INFO[kind - F];
  return info?.tlsRelocation !== undefined || info?.threadLocal === true;
}

/** The kind standing for thread-local relocation R_AARCH64_<name>. */
export function aarch64TLSRelocationKind(name: (typeof AARCH64_TLS_RELOCATIONS)[number]): EdgeKind {
  return FIRST_AARCH64_TLS_RELOCATION_KIND + AARCH64_TLS_RELOCATIONS.indexOf(name);
}

export const AARCH64_POINTER_SIZE = 8;
