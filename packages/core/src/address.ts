/**
 * Target addresses.
 *
 * A target address is a 64-bit value held in a JS `number`, read as a signed
 * two's-complement integer. Every value in [-2^53, 2^53] is exact, which covers
 * all canonical user-space addresses (below 2^47 on x86-64, 2^48/2^52 on arm64)
 * and, through the sign, canonical high-half addresses such as
 * 0xffffffff80000000 (held as -2^31). Values outside that window cannot be
 * represented exactly and are rejected with an `AddressNotRepresentable` error
 * where they enter the linker (object parsing, absolute symbols, memory manager
 * results, lookups).
 *
 * Why not `bigint`: fixups and layout do arithmetic on every relocation, and
 * bigint arithmetic allocates on every operation; doubles stay in registers.
 */
import { JITLinkError } from './errors.js';

/**
 * An address in the executor: a JS number, exact up to 2^53 in magnitude (64-bit values beyond
 * that are rejected, never rounded; `toBigInt` gives the unsigned 64-bit value).
 */
export type TargetAddress = number;

const TWO_32 = 0x1_0000_0000;
/** Largest address a TargetAddress holds exactly (2^53). */
export const MAX_EXACT_ADDRESS = Number.MAX_SAFE_INTEGER + 1; // 2^53
/**
 * Smallest (most negative) address a TargetAddress holds exactly: a sign-extended 64-bit value
 * down to -2^53.
 */
export const MIN_EXACT_ADDRESS = -MAX_EXACT_ADDRESS;

/** Whether `value` is an integer TargetAddress can hold exactly. */
export function isRepresentableAddress(value: number): boolean {
  return Number.isInteger(value) && value >= MIN_EXACT_ADDRESS && value <= MAX_EXACT_ADDRESS;
}

/** Converts a 64-bit value (unsigned or signed) to a TargetAddress, or throws. */
export function addressFromBigInt(value: bigint, what = 'address'): TargetAddress {
  const signed = BigInt.asIntN(64, value);
  if (signed > BigInt(MAX_EXACT_ADDRESS) || signed < BigInt(MIN_EXACT_ADDRESS)) {
    throw new JITLinkError(
      'AddressNotRepresentable',
      `${what} 0x${BigInt.asUintN(64, value).toString(16)} is outside the exactly representable range ` +
        `(addresses must lie within 2^53 of zero, read as signed 64-bit)`,
    );
  }
  return Number(signed);
}

/** Combines the two 32-bit halves of a 64-bit value read as signed; undefined if not exact. */
export function addressFromHalves(hi: number, lo: number): TargetAddress | undefined {
  // Small values come back as `lo` itself, a small integer: arithmetic with
  // TWO_32 would give a heap number, and object fields that ever hold one
  // are boxed from then on (an allocation per store).
  if (hi === 0) return lo;
  if (hi === 0xffff_ffff && lo >= 0x8000_0000) return lo | 0; // small negative: the same, as an int32
  // hi is read as unsigned; fold it to signed.
  const shi = hi >= 0x8000_0000 ? hi - TWO_32 : hi;
  // Within [-2^53, 2^53] every value is exact; 2^53 + lo (lo > 0) would round.
  if (shi > 0x20_0000 || shi < -0x20_0000 || (shi === 0x20_0000 && lo !== 0)) return undefined;
  return shi * TWO_32 + lo;
}

/** Reads a 64-bit field as a TargetAddress; returns undefined when not exact. */
export function readAddress64(view: DataView, offset: number, littleEndian: boolean): TargetAddress | undefined {
  const lo = view.getUint32(littleEndian ? offset : offset + 4, littleEndian);
  const hi = view.getUint32(littleEndian ? offset + 4 : offset, littleEndian);
  return addressFromHalves(hi, lo);
}

/** Writes the low 64 bits of a TargetAddress (two's complement). */
export function writeAddress64(view: DataView, offset: number, value: number, littleEndian: boolean): void {
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  view.setUint32(littleEndian ? offset : offset + 4, lo, littleEndian);
  view.setUint32(littleEndian ? offset + 4 : offset, hi >>> 0, littleEndian);
}

/** The unsigned 64-bit value of `address` (negative addresses are sign-extended 64-bit values). */
export function toBigInt(address: TargetAddress): bigint {
  return BigInt.asUintN(64, BigInt(address));
}

/** Formats as 0x followed by 16 hex digits of the unsigned 64-bit value. */
export function formatAddress(address: TargetAddress): string {
  if (address >= 0) return '0x' + address.toString(16).padStart(16, '0');
  return '0x' + toBigInt(address).toString(16).padStart(16, '0');
}

/**
 * `value` as 0x-prefixed hex, zero-padded to `digits` digits (negative values get a leading
 * minus).
 */
export function formatHex(value: number, digits = 0): string {
  if (value < 0) return '-0x' + (-value).toString(16).padStart(digits, '0');
  return '0x' + value.toString(16).padStart(digits, '0');
}

/** Rounds `value` up to a multiple of `alignment` (a power of two). */
export function alignUp(value: number, alignment: number): number {
  const r = value % alignment;
  if (r === 0) return value;
  return r > 0 ? value + (alignment - r) : value - r;
}

/** Smallest value >= `value` that is congruent to `alignmentOffset` modulo `alignment`. */
export function alignUpWithOffset(value: number, alignment: number, alignmentOffset: number): number {
  let r = (value - alignmentOffset) % alignment;
  if (r < 0) r += alignment;
  return r === 0 ? value : value + (alignment - r);
}

/** Whether `value` is a positive integer power of two (alignments must be). */
export function isPowerOfTwo(value: number): boolean {
  if (!Number.isInteger(value) || value <= 0) return false;
  return value <= 0x4000_0000 ? (value & (value - 1)) === 0 : Number.isInteger(Math.log2(value));
}
