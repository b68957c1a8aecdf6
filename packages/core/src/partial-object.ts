/**
 * Objects read in part: what a format backend needs to list an object's
 * definitions is a small share of the object (ELF: the headers and the
 * symbol and string tables, about a fifth of a typical member), so a JIT that
 * registers archive members before linking them reads only that share.
 */
import type { ByteSource } from './archive.js';

/**
 * An object file read in part: `bytes` has the size of the whole object and
 * holds its bytes in every range read so far, zeros elsewhere. A reader that
 * looks only inside the ranges read gives over `bytes` what it gives over
 * the whole object, errors included (sizes and bounds are the object's).
 */
export class PartialObject {
  readonly bytes: Uint8Array;
  /** The ranges read so far, as offset/end pairs (what `clear` zeroes). */
  private readonly ranges: number[] = [];

  /**
   * `buffer`, when given, is a zero-filled buffer of at least the object's
   * size to read into instead of a new one (zero it again with `clear`
   * before its next use).
   */
  constructor(
    private readonly source: ByteSource,
    buffer?: Uint8Array,
  ) {
    this.bytes = buffer === undefined ? new Uint8Array(source.size) : buffer.subarray(0, source.size);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Reads [offset, offset + length) into `bytes`, clipped to the object (ranges outside it are ignored). */
  read(offset: number, length: number): void {
    if (!(Number.isInteger(offset) && offset >= 0 && offset < this.bytes.length && length > 0)) return;
    const end = Math.min(this.bytes.length, offset + length);
    const target = this.bytes.subarray(offset, end);
    if (this.source.readInto !== undefined) this.source.readInto(target, offset);
    else target.set(this.source.read(offset, end - offset));
    this.ranges.push(offset, end);
  }

  /** Zeroes every range read, leaving `bytes` as it was before the first read. */
  clear(): void {
    const ranges = this.ranges;
    for (let i = 0; i < ranges.length; i += 2) this.bytes.fill(0, ranges[i], ranges[i + 1]);
    ranges.length = 0;
  }
}
