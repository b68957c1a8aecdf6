/**
 * LLVM ORC's "simple packed serialization" (SPS), the byte format of every
 * message body and wrapper-function argument and result: fixed-size
 * little-endian integers, bool as one byte, sequences and strings as a u64
 * count followed by the elements, tuples as their fields in order.
 *
 * The reader never trusts a count: every read is bounds-checked against the
 * buffer, and a failure names what was being read and where.
 */
import { JITLinkError, formatAddress, type TargetAddress } from '@jitlink/core';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export class SPSWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  u8(v: number): this {
    const at = this.reserve(1); // before reading this.view: reserve may replace it
    this.view.setUint8(at, v);
    return this;
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  i32(v: number): this {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
    return this;
  }
  u64(v: number | bigint): this {
    const big = typeof v === 'bigint' ? v : BigInt(v);
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt.asUintN(64, big), true);
    return this;
  }
  /** An ExecutorAddr: a u64 (negative addresses wrap, as the executor sees them). */
  addr(v: TargetAddress): this {
    if (!Number.isSafeInteger(v)) throw new JITLinkError('InvalidArgument', `address ${String(v)} is not exact`);
    return this.u64(v);
  }
  bytes(v: Uint8Array): this {
    this.u64(v.length);
    const at = this.reserve(v.length);
    this.buf.set(v, at);
    return this;
  }
  string(v: string): this {
    return this.bytes(encoder.encode(v));
  }
  /** Raw bytes with no count (to splice serialized parts together). */
  raw(v: Uint8Array): this {
    const at = this.reserve(v.length);
    this.buf.set(v, at);
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Where a reader's bytes came from, for error messages. */
export interface SPSSource {
  /** The peer, e.g. "executor /usr/bin/llvm-jitlink-executor". */
  peer: string;
  /** The message or result being decoded, e.g. "setup message". */
  what: string;
}

export class SPSReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: SPSSource,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  fail(detail: string, offset = this.pos): never {
    throw new JITLinkError('MalformedObject', detail, { file: this.source.peer, section: this.source.what, offset });
  }

  private take(n: number, what: string): number {
    if (n > this.remaining) this.fail(`truncated ${what}: needs ${n} bytes, ${this.remaining} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(what = 'u8'): number {
    return this.view.getUint8(this.take(1, what));
  }
  bool(what = 'bool'): boolean {
    const at = this.pos;
    const v = this.u8(what);
    if (v > 1) this.fail(`${what}: bool byte ${v} is neither 0 nor 1`, at);
    return v === 1;
  }
  i32(what = 'i32'): number {
    return this.view.getInt32(this.take(4, what), true);
  }
  i64(what = 'i64'): bigint {
    return this.view.getBigInt64(this.take(8, what), true);
  }
  u64Big(what = 'u64'): bigint {
    return this.view.getBigUint64(this.take(8, what), true);
  }
  /** A u64 that must be an exact JavaScript number (sizes, counts, addresses). */
  u64(what = 'u64'): number {
    const at = this.pos;
    const v = this.u64Big(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} 0x${v.toString(16)} is too large`, at);
    return Number(v);
  }
  addr(what = 'address'): TargetAddress {
    return this.u64(what);
  }
  /** A count of elements each at least `minElementSize` bytes: rejected if the rest of the buffer cannot hold them. */
  count(what: string, minElementSize: number): number {
    const at = this.pos;
    const n = this.u64(`${what} count`);
    if (n * Math.max(1, minElementSize) > this.remaining) {
      this.fail(`${what} count ${n} exceeds the ${this.remaining} bytes left`, at);
    }
    return n;
  }
  bytesView(what = 'bytes'): Uint8Array {
    const n = this.count(what, 1);
    const at = this.take(n, what);
    return this.bytes.subarray(at, at + n);
  }
  string(what = 'string'): string {
    return decoder.decode(this.bytesView(what));
  }
  /** Requires that every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}

/** SPSError: bool hasError, then the message when set. Returns the message, or undefined for success. */
export function readSPSError(r: SPSReader): string | undefined {
  return r.bool('error flag') ? r.string('error message') : undefined;
}

export function writeSPSError(w: SPSWriter, message: string | undefined): SPSWriter {
  w.bool(message !== undefined);
  if (message !== undefined) w.string(message);
  return w;
}

/** SPSExpected<T>: bool hasValue, then T or an error message. */
export function readSPSExpected<T>(r: SPSReader, value: (r: SPSReader) => T): T {
  if (r.bool('expected flag')) return value(r);
  const at = r.offset;
  const message = r.string('error message');
  throw new JITLinkError('LinkFailed', `${r.source.peer}: ${r.source.what} failed: ${message}`, {}, { cause: at });
}

export function formatRange(start: TargetAddress, size: number): string {
  return `${formatAddress(start)}..+0x${size.toString(16)}`;
}
