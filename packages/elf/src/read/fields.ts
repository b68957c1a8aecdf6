/**
 * Reading the fields of an ELF file: 16-, 32- and address-sized integers in
 * the file's byte order, with 64-bit sizes and addresses checked to be exact,
 * and the MalformedObject error every reader raises.
 */
import { addressFromHalves, JITLinkError, type TargetAddress } from '@jitlink/core';

export const TWO_32 = 0x1_0000_0000;

export function malformed(
  file: string,
  detail: string,
  section: string | undefined,
  offset: number | undefined,
): never {
  throw new JITLinkError('MalformedObject', detail, { file, section, offset });
}

/** A number read back from a Float64Array column as the readers give it: a small integer when it is one (no heap number in a field). */
export function columnNumber(v: number): number {
  return (v | 0) === v ? v | 0 : v;
}

export function numbered(what: string, index: number | undefined): string {
  return index === undefined ? what : `${what} #${index}`;
}

export class Reader {
  readonly le: boolean;
  readonly is64: boolean;
  readonly view: DataView;

  constructor(
    readonly file: string,
    readonly bytes: Uint8Array,
    is64: boolean,
    le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.is64 = is64;
    this.le = le;
  }

  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
  /**
   * An unsigned 64-bit size or offset; values of 2^53 and above are rejected.
   * `index`, when given, is appended to `what` as " #index" (only when
   * reporting, so that per-entry reads build no message).
   */
  size64(at: number, what: string, section: string | undefined, index?: number): number {
    const lo = this.view.getUint32(this.le ? at : at + 4, this.le);
    const hi = this.view.getUint32(this.le ? at + 4 : at, this.le);
    if (hi === 0) return lo; // a small integer, not a heap number (see addressFromHalves)
    if (hi >= 0x20_0000)
      malformed(
        this.file,
        `${numbered(what, index)} 0x${(hi * TWO_32 + lo).toString(16)} is too large`,
        section,
        at,
      );
    return hi * TWO_32 + lo;
  }
  /** An address-sized unsigned field (size, offset). */
  word(at: number, what: string, index?: number): number {
    return this.is64 ? this.size64(at, what, undefined, index) : this.u32(at);
  }
  /** An address-sized field read as a TargetAddress (signed 64-bit for ELF64); `index` as for size64. */
  address(at: number, what: string, section: string | undefined, index?: number): TargetAddress {
    if (!this.is64) return this.u32(at);
    const lo = this.view.getUint32(this.le ? at : at + 4, this.le);
    const hi = this.view.getUint32(this.le ? at + 4 : at, this.le);
    const v = addressFromHalves(hi, lo);
    if (v === undefined) {
      throw new JITLinkError(
        'AddressNotRepresentable',
        `${numbered(what, index)} 0x${(BigInt(hi) * 0x1_0000_0000n + BigInt(lo)).toString(16)} is outside the exactly representable range`,
        { file: this.file, section, offset: at },
      );
    }
    return v;
  }
}
