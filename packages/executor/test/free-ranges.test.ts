import { FreeRanges } from '../src/free-ranges.js';

describe('FreeRanges', () => {
  it('hands out aligned ranges first-fit and coalesces what is given back', () => {
    const free = new FreeRanges(0x10000, 0x20000);
    const a = free.take(0x1000, 0x1000);
    const b = free.take(0x3000, 0x4000);
    const c = free.take(0x1000, 0x1000);
    expect([a, b, c]).toEqual([0x10000, 0x14000, 0x11000]);
    expect(free.freeBytes).toBe(0x10000 - 0x5000);
    free.give(a!, 0x1000);
    free.give(c!, 0x1000);
    // 0x10000..0x14000 is one range again.
    expect(free.take(0x4000, 0x1000)).toBe(0x10000);
    free.give(0x10000, 0x4000);
    free.give(b!, 0x3000);
    expect(free.fragmentCount).toBe(1);
    expect(free.freeBytes).toBe(0x10000);
  });

  it('takes alignment padding with the bytes asked for, so that odd sizes leave no small free ranges behind', () => {
    const free = new FreeRanges(0x1000, 0x2000);
    const taken: [number, number][] = [];
    for (let i = 0; i < 100; i++) {
      const size = 1 + ((i * 7) % 13);
      const alignment = 1 << (i % 5);
      const from = free.takePadded(size, alignment)!;
      const start = Math.ceil(from / alignment) * alignment;
      expect(start % alignment).toBe(0);
      if (taken.length > 0) expect(from).toBe(taken[taken.length - 1]![0] + taken[taken.length - 1]![1]);
      taken.push([from, start + size - from]);
      expect(free.fragmentCount).toBe(1);
    }
    // With take, the same sequence leaves a range behind at nearly every aligned start.
    const unpadded = new FreeRanges(0x1000, 0x2000);
    for (let i = 0; i < 100; i++) unpadded.take(1 + ((i * 7) % 13), 1 << (i % 5));
    expect(unpadded.fragmentCount).toBeGreaterThan(30);
    for (const [from, size] of taken.reverse()) free.give(from, size);
    expect(free.fragmentCount).toBe(1);
    expect(free.freeBytes).toBe(0x1000);
    expect(free.takePadded(0x1000, 0x1000)).toBe(0x1000);
    expect(free.takePadded(1, 1)).toBeUndefined();
  });

  it('returns undefined when nothing fits', () => {
    const free = new FreeRanges(0x1000, 0x3000);
    expect(free.take(0x3000, 0x1000)).toBeUndefined();
    expect(free.take(0x1000, 0x4000)).toBeUndefined();
    expect(free.take(0x2000, 0x1000)).toBe(0x1000);
    expect(free.take(1, 1)).toBeUndefined();
  });

  it('refuses to free a range twice', () => {
    const free = new FreeRanges(0, 0x4000);
    const a = free.take(0x1000, 0x1000)!;
    free.give(a, 0x1000);
    expect(() => free.give(a, 0x1000)).toThrow(RangeError);
  });

  it('stays coalesced and conserves bytes over many random takes and gives in any order', () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const page = 0x1000;
    const total = 4096 * page;
    const free = new FreeRanges(0, total);
    const taken: [number, number][] = [];
    for (let step = 0; step < 5000; step++) {
      if (taken.length === 0 || random(3) !== 0) {
        const size = (1 + random(8)) * page;
        const at = free.take(size, page << random(3));
        if (at !== undefined) taken.push([at, size]);
      } else {
        const [at, size] = taken.splice(random(taken.length), 1)[0]!;
        free.give(at, size);
      }
      if (step % 500 === 0) expect(free.freeBytes + taken.reduce((n, [, size]) => n + size, 0)).toBe(total);
    }
    for (const [at, size] of taken.splice(0)) free.give(at, size);
    expect(free.fragmentCount).toBe(1);
    expect(free.freeBytes).toBe(total);
  });
});
