/**
 * AArch64 instruction-field encoders: each takes the instruction word and
 * an already range-checked field value and returns the patched word, or
 * undefined when the word is not an instruction the field belongs to.
 * Instructions are 32-bit little-endian words on every AArch64 target.
 */

/** ADRP Xd, label. */
export const isADRP = (w: number): boolean => (w & 0x9f000000) >>> 0 === 0x90000000;
/** ADR Xd, label. */
export const isADR = (w: number): boolean => (w & 0x9f000000) >>> 0 === 0x10000000;
/** B or BL. */
export const isBranch26 = (w: number): boolean => (w & 0x7c000000) >>> 0 === 0x14000000;
/** B.cond, CBZ, CBNZ. */
export const isCondBranch19 = (w: number): boolean =>
  (w & 0xff000010) >>> 0 === 0x54000000 || (w & 0x7e000000) >>> 0 === 0x34000000;
/** LDR / LDRSW / PRFM (literal), integer and SIMD&FP. */
export const isLDRLiteral = (w: number): boolean => (w & 0x3b000000) >>> 0 === 0x18000000;
/** TBZ, TBNZ. */
export const isTestAndBranch14 = (w: number): boolean => (w & 0x7e000000) >>> 0 === 0x36000000;
/** MOVN, MOVZ, MOVK (32- and 64-bit; opc 01 is unallocated). */
export const isMoveWide = (w: number): boolean =>
  (w & 0x1f800000) >>> 0 === 0x12800000 && (w & 0x60000000) >>> 0 !== 0x20000000;
/** ADD/ADDS/SUB/SUBS (immediate). */
export const isAddSubImmediate = (w: number): boolean => (w & 0x1f800000) >>> 0 === 0x11000000;
/** Load/store register, unsigned immediate offset (integer, SIMD&FP, PRFM). */
export const isLoadStoreUnsignedImm = (w: number): boolean => (w & 0x3b000000) >>> 0 === 0x39000000;

/**
 * log2 of the access size of a load/store (unsigned immediate): the scale of
 * its imm12. 128-bit SIMD&FP accesses (size 00, V=1, opc<1>=1) scale by 16.
 */
export function loadStoreScale(w: number): number {
  const size = w >>> 30;
  const vector = (w & 0x04000000) !== 0;
  if (vector && size === 0 && (w & 0x00800000) !== 0) return 4;
  return size;
}

/**
 * The shift of a PageOffset12 field: 0 for ADD (immediate), the access size
 * for a load/store; undefined for other instructions.
 */
export function pageOffset12Scale(w: number): number | undefined {
  if (isAddSubImmediate(w)) return 0;
  if (isLoadStoreUnsignedImm(w)) return loadStoreScale(w);
  return undefined;
}

/** ADR/ADRP immediate (21 bits, signed): immlo in bits 30:29, immhi in bits 23:5. */
export function encodeImm21(w: number, imm: number): number {
  const lo = imm & 3;
  const hi = (imm >> 2) & 0x7ffff;
  return ((w & 0x9f00001f) | (lo << 29) | (hi << 5)) >>> 0;
}

/** B/BL imm26 (words). */
export function encodeImm26(w: number, imm: number): number {
  return ((w & 0xfc000000) | (imm & 0x3ffffff)) >>> 0;
}

/** imm19 (words) in bits 23:5: B.cond, CBZ/CBNZ, LDR literal. */
export function encodeImm19(w: number, imm: number): number {
  return ((w & 0xff00001f) | ((imm & 0x7ffff) << 5)) >>> 0;
}

/** TBZ/TBNZ imm14 (words) in bits 18:5. */
export function encodeImm14(w: number, imm: number): number {
  return ((w & 0xfff8001f) | ((imm & 0x3fff) << 5)) >>> 0;
}

/** imm12 in bits 21:10 (ADD immediate, load/store unsigned offset). */
export function encodeImm12(w: number, imm: number): number {
  return ((w & 0xffc003ff) | ((imm & 0xfff) << 10)) >>> 0;
}

/** MOVN/MOVZ/MOVK imm16 in bits 20:5. */
export function encodeImm16(w: number, imm: number): number {
  return ((w & 0xffe0001f) | ((imm & 0xffff) << 5)) >>> 0;
}

/** The hw field of a move-wide instruction: the shift is 16·hw. */
export const moveWideHalfword = (w: number): number => (w >>> 21) & 3;

/** Makes a MOVN/MOVZ a MOVZ (`movz = true`) or a MOVN. */
export function setMovzOrMovn(w: number, movz: boolean): number {
  return ((w & ~0x60000000) | (movz ? 0x40000000 : 0)) >>> 0;
}

const TWO_16 = 0x1_0000;

/**
 * Bits [shift+15 : shift] of a 64-bit two's-complement value held exactly in
 * a double (division by a power of two and floor are exact).
 */
export function bits16(value: number, shift: number): number {
  const q = Math.floor(value / 2 ** shift);
  return ((q % TWO_16) + TWO_16) % TWO_16;
}

/** x mod 2^k, non-negative, for any exact double x. */
export function lowBits(value: number, k: number): number {
  const m = 2 ** k;
  return ((value % m) + m) % m;
}

/** Page(x): x with its low 12 bits cleared (exact for negative, high-half addresses). */
export function page(value: number): number {
  return value - lowBits(value, 12);
}
