/** Bounds-checked little/big-endian field reads and the MalformedObject error every MachO reader raises. */
import { addressFromHalves, JITLinkError, type TargetAddress } from '@jitlink/core';
import { decodeName } from '@jitlink/core/internal';

export function malformed(file: string, detail: string, offset: number, section?: string): never {
  throw new JITLinkError('MalformedObject', detail, { file, section, offset });
}

export class Fields {
  readonly view: DataView;
  constructor(
    readonly file: string,
    readonly bytes: Uint8Array,
    readonly le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws unless [at, at + size) lies in the bytes. */
  need(at: number, size: number, what: string, section?: string): void {
    if (!(at >= 0 && size >= 0 && at + size <= this.bytes.length)) {
      malformed(
        this.file,
        `${what} (0x${size.toString(16)} bytes at offset 0x${at.toString(16)}) extends past the end of the file (0x${this.bytes.length.toString(16)} bytes)`,
        at,
        section,
      );
    }
  }
  u8(at: number): number {
    return this.bytes[at]!;
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
  i32(at: number): number {
    return this.view.getInt32(at, this.le);
  }
  /** A 64-bit unsigned field, exact or an error. */
  u64(at: number, what: string): TargetAddress {
    const lo = this.view.getUint32(at + (this.le ? 0 : 4), this.le);
    const hi = this.view.getUint32(at + (this.le ? 4 : 0), this.le);
    const value = hi < 0x200000 ? hi * 0x1_0000_0000 + lo : addressFromHalves(hi, lo);
    if (value === undefined || value < 0) malformed(this.file, `${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is not representable`, at);
    return value;
  }
  /** A NUL-padded fixed-size name (segment and section names). */
  fixedString(at: number, size: number): string {
    let end = at;
    while (end < at + size && this.bytes[end] !== 0) end++;
    return String.fromCharCode(...this.bytes.subarray(at, end));
  }
  /** A NUL-terminated string starting at `at`, ending before `limit`. */
  cString(at: number, limit: number): string | undefined {
    let end = at;
    while (end < limit && this.bytes[end] !== 0) end++;
    if (end >= limit) return undefined;
    return decodeName(this.bytes, at, end);
  }
}
