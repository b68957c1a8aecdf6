/**
 * First-fit bookkeeping of the free byte ranges of one address-space
 * reservation. Pure arithmetic: no native memory is touched here.
 */
export class FreeRanges {
  /** Disjoint, sorted, coalesced [start, end) pairs. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(start: number, end: number) {
    if (end > start) {
      this.starts.push(start);
      this.ends.push(end);
    }
  }

  /** Total free bytes. */
  get freeBytes(): number {
    let total = 0;
    for (let i = 0; i < this.starts.length; i++) total += this.ends[i]! - this.starts[i]!;
    return total;
  }

  /** Number of separate free ranges (1 when nothing is in use). */
  get fragmentCount(): number {
    return this.starts.length;
  }

  /**
   * Takes `size` bytes starting at a multiple of `alignment` (a power of two)
   * from the first range that fits; returns the start, or undefined.
   */
  take(size: number, alignment: number): number | undefined {
    for (let i = 0; i < this.starts.length; i++) {
      const rangeStart = this.starts[i]!;
      const rangeEnd = this.ends[i]!;
      const start = Math.ceil(rangeStart / alignment) * alignment;
      const end = start + size;
      if (end > rangeEnd) continue;
      // Split the range into the part before `start` and the part after `end`.
      const before = start > rangeStart;
      const after = end < rangeEnd;
      if (before && after) {
        this.ends[i] = start;
        this.starts.splice(i + 1, 0, end);
        this.ends.splice(i + 1, 0, rangeEnd);
      } else if (before) {
        this.ends[i] = start;
      } else if (after) {
        this.starts[i] = end;
      } else {
        this.starts.splice(i, 1);
        this.ends.splice(i, 1);
      }
      return start;
    }
    return undefined;
  }

  /**
   * Like take, but the bytes between the range's start and the aligned
   * start are taken too: returns where the taken bytes begin (the aligned
   * start is that rounded up to `alignment`), or undefined. Alignment
   * padding left free would stay behind as a free range too small for
   * anything, and first fit scans every such range on every later take.
   */
  takePadded(size: number, alignment: number): number | undefined {
    for (let i = 0; i < this.starts.length; i++) {
      const rangeStart = this.starts[i]!;
      const rangeEnd = this.ends[i]!;
      const end = Math.ceil(rangeStart / alignment) * alignment + size;
      if (end > rangeEnd) continue;
      if (end < rangeEnd) {
        this.starts[i] = end;
      } else {
        this.starts.splice(i, 1);
        this.ends.splice(i, 1);
      }
      return rangeStart;
    }
    return undefined;
  }

  /** Returns [start, start + size) to the free ranges; it must not be free already. */
  give(start: number, size: number): void {
    if (size <= 0) return;
    const end = start + size;
    // First range starting at or after `start` (binary search: a long session has thousands of ranges).
    let i = 0;
    let hi = this.starts.length;
    while (i < hi) {
      const mid = (i + hi) >>> 1;
      if (this.starts[mid]! < start) i = mid + 1;
      else hi = mid;
    }
    const prevEnd = i > 0 ? this.ends[i - 1]! : -Infinity;
    const nextStart = i < this.starts.length ? this.starts[i]! : Infinity;
    if (prevEnd > start || nextStart < end) {
      throw new RangeError(`range [0x${start.toString(16)}, 0x${end.toString(16)}) overlaps free memory`);
    }
    const joinPrev = prevEnd === start;
    const joinNext = nextStart === end;
    if (joinPrev && joinNext) {
      this.ends[i - 1] = this.ends[i]!;
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (joinPrev) {
      this.ends[i - 1] = end;
    } else if (joinNext) {
      this.starts[i] = start;
    } else {
      this.starts.splice(i, 0, start);
      this.ends.splice(i, 0, end);
    }
  }
}
