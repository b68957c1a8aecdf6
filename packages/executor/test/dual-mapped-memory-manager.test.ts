import { JITLinkError, MemLifetime, MemProt, allocGroup } from '@jitlink/core';
import {
  DualMappedMemoryManager,
  InProcessMemoryManager,
  SelfExecutorProcessControl,
  TWO_GIB,
  callInt,
  readMemory,
} from '../src/index.js';
import {
  RETURN_42,
  RO,
  RW,
  RW_FINALIZE,
  RX,
  codeRequest,
  describeX64,
  mappingsIn,
  permsAt,
} from './helpers.js';

const pageOf = (address: number, pageSize: number) => Math.floor(address / pageSize);

describeX64('DualMappedMemoryManager', () => {
  let manager: DualMappedMemoryManager;
  afterEach(async () => {
    await manager.dispose();
  });

  it('runs code written through the alias: the code pages are R-X from the start and never writable', async () => {
    manager = new DualMappedMemoryManager();
    const allocation = await manager.allocate(undefined, codeRequest('ret42', RETURN_42));
    const address = allocation.getTargetMemory(RX);
    expect(permsAt(address)).toBe('r-xs');
    allocation.getWorkingMemory(RX).set(RETURN_42);
    // The bytes are at the target as soon as they are written.
    expect(readMemory(address, RETURN_42.length)).toEqual(RETURN_42);
    await allocation.finalize([]);
    expect(permsAt(address)).toBe('r-xs');
    expect(callInt(address)).toBe(42);
  });

  it('packs small graphs into shared pages, each segment at its own alignment, in the stripe of its protection', async () => {
    manager = new DualMappedMemoryManager();
    const request = (name: string) => ({
      graphName: name,
      segments: [
        { group: RX, alignment: 16, contentSize: 6, zeroFillSize: 0 },
        { group: RO, alignment: 8, contentSize: 100, zeroFillSize: 0 },
        { group: RW, alignment: 64, contentSize: 8, zeroFillSize: 500 },
      ],
    });
    const a = await manager.allocate(undefined, request('a'));
    const b = await manager.allocate(undefined, request('b'));
    for (const group of [RX, RO, RW]) {
      const [x, y] = [a.getTargetMemory(group), b.getTargetMemory(group)];
      expect(x).not.toBe(y);
      expect(pageOf(x, manager.pageSize)).toBe(pageOf(y, manager.pageSize));
    }
    expect(a.getTargetMemory(RX) % 16).toBe(0);
    expect(b.getTargetMemory(RW) % 64).toBe(0);
    expect([
      permsAt(a.getTargetMemory(RX)),
      permsAt(a.getTargetMemory(RO)),
      permsAt(a.getTargetMemory(RW)),
    ]).toEqual(['r-xs', 'r--s', 'rw-p']);
    expect(b.getWorkingMemory(RW).length).toBe(508);
    expect(b.getWorkingMemory(RW).every((x) => x === 0)).toBe(true);
    expect(manager.stats()).toEqual({
      liveAllocations: 2,
      regions: 1,
      // (A low reservation may be smaller than asked for when the low 2 GiB are crowded.)
      reservedBytes: manager.reservations[0]!.end - manager.reservations[0]!.start,
      committedBytes: 2 * (6 + 100 + 508),
    });
    // Every graph of the session stays within reach of a 32-bit displacement.
    expect(Math.abs(a.getTargetMemory(RW) - a.getTargetMemory(RX))).toBeLessThan(TWO_GIB);
    const rwx = allocGroup(MemProt.Read | MemProt.Write | MemProt.Exec, MemLifetime.Standard);
    const refused = manager.allocate(undefined, {
      graphName: 'bad.o',
      segments: [{ group: rwx, alignment: 1, contentSize: 1, zeroFillSize: 0 }],
    });
    await expect(refused).rejects.toThrow(/bad\.o.*writable and executable/);
    await expect(refused).rejects.toBeInstanceOf(JITLinkError);
  });

  it('refuses a graph over 2 GiB (a 64 GiB .bss) before reserving any address space', async () => {
    manager = new DualMappedMemoryManager();
    const huge = manager.allocate(undefined, {
      graphName: 'huge.o',
      segments: [{ group: RW, alignment: 8, contentSize: 0, zeroFillSize: 2 ** 36 }],
    });
    await expect(huge).rejects.toThrow('huge.o: needs 68719476736 bytes, more than 2 GiB');
    expect(manager.stats()).toMatchObject({ regions: 0, reservedBytes: 0, liveAllocations: 0 });
  });

  it('zeroes what a graph frees, leaves its neighbours alone, and hands the bytes out again', async () => {
    manager = new DualMappedMemoryManager();
    const before = await manager.allocate(undefined, codeRequest('before', RETURN_42));
    before.getWorkingMemory(RX).set(RETURN_42);
    await before.finalize([]);
    // A segment spanning whole pages and a small one, in the same stripes as others.
    const freed = await manager.allocate(undefined, {
      graphName: 'freed',
      segments: [
        { group: RX, alignment: 16, contentSize: 3 * manager.pageSize, zeroFillSize: 0 },
        { group: RW, alignment: 8, contentSize: 24, zeroFillSize: 0 },
      ],
    });
    freed.getWorkingMemory(RX).fill(0xcc);
    freed.getWorkingMemory(RW).fill(0xab);
    await freed.finalize([]);
    const after = await manager.allocate(undefined, codeRequest('after', RETURN_42));
    after.getWorkingMemory(RX).set(RETURN_42);
    await after.finalize([]);
    const [code, data] = [freed.getTargetMemory(RX), freed.getTargetMemory(RW)];
    expect(manager.isReadable(code, 16)).toBe(true);
    await freed.deallocate();
    expect(manager.isReadable(code, 16)).toBe(false);
    expect(readMemory(code, 3 * manager.pageSize).every((x) => x === 0)).toBe(true);
    expect(readMemory(data, 24).every((x) => x === 0)).toBe(true);
    expect(callInt(before.getTargetMemory(RX))).toBe(42);
    expect(callInt(after.getTargetMemory(RX))).toBe(42);
    const again = await manager.allocate(undefined, {
      graphName: 'again',
      segments: [{ group: RX, alignment: 16, contentSize: 2 * manager.pageSize, zeroFillSize: 0 }],
    });
    expect(again.getTargetMemory(RX)).toBe(code);
    expect(again.getWorkingMemory(RX).every((x) => x === 0)).toBe(true);
  });

  it('writes and zeroes segments beyond the first 16 MiB of a stripe and across its view windows', async () => {
    for (const workingMemory of ['mapped', 'copied'] as const) {
      const m = new DualMappedMemoryManager({ workingMemory });
      try {
        const MiB = 1024 * 1024;
        // 24 MiB of code: the bytes either side of 16 MiB lie in two windows (of 4 MiB).
        const large = await m.allocate(undefined, {
          graphName: 'large',
          segments: [{ group: RX, alignment: 16, contentSize: 24 * MiB, zeroFillSize: 0 }],
        });
        const bytes = large.getWorkingMemory(RX);
        bytes.fill(0xc3, 16 * MiB - 8, 16 * MiB + 8);
        bytes.set(RETURN_42, 20 * MiB);
        // A small graph placed after it: all of it in the second window.
        const small = await m.allocate(undefined, codeRequest('small', RETURN_42));
        small.getWorkingMemory(RX).set(RETURN_42);
        await large.finalize([]);
        await small.finalize([]);
        const base = large.getTargetMemory(RX);
        expect(small.getTargetMemory(RX) - base).toBeGreaterThanOrEqual(24 * MiB);
        expect(readMemory(base + 16 * MiB - 8, 16)).toEqual(new Uint8Array(16).fill(0xc3));
        expect(callInt(base + 20 * MiB)).toBe(42);
        expect(callInt(small.getTargetMemory(RX))).toBe(42);
        await large.deallocate();
        expect(readMemory(base + 16 * MiB - 8, 16).every((x) => x === 0)).toBe(true);
        expect(callInt(small.getTargetMemory(RX))).toBe(42);
      } finally {
        await m.dispose();
      }
    }
    manager = new DualMappedMemoryManager();
  });

  it('isReadable covers exactly the live segments', async () => {
    manager = new DualMappedMemoryManager();
    const allocations = [];
    for (let i = 0; i < 20; i++) {
      allocations.push(
        await manager.allocate(undefined, {
          graphName: `g${i}`,
          segments: [{ group: RW, alignment: 8, contentSize: 40, zeroFillSize: 0 }],
        }),
      );
    }
    const at = allocations[7]!.getTargetMemory(RW);
    expect(manager.isReadable(at, 40)).toBe(true);
    expect(manager.isReadable(at + 32, 8)).toBe(true);
    expect(manager.isReadable(at + 32, 9)).toBe(false);
    await allocations[7]!.deallocate();
    expect(manager.isReadable(at, 8)).toBe(false);
    expect(manager.isReadable(allocations[8]!.getTargetMemory(RW), 8)).toBe(true);
  });

  it('reads eh-frame terminators through its own views, and only inside live segments', async () => {
    manager = new DualMappedMemoryManager();
    // Segments of odd sizes and alignments, so that each starts after another's padding.
    const allocations = [];
    for (let i = 0; i < 6; i++) {
      const allocation = await manager.allocate(undefined, {
        graphName: `g${i}`,
        segments: [
          { group: RX, alignment: 16, contentSize: 5 + i, zeroFillSize: 0 },
          { group: RO, alignment: 8 << (i % 3), contentSize: 12, zeroFillSize: 0 },
        ],
      });
      allocation.getWorkingMemory(RO).set([i, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0]);
      allocations.push(allocation);
    }
    const frames = allocations[3]!.getTargetMemory(RO);
    expect(frames % 8).toBe(0);
    expect([...manager.viewOf(frames, 12)!]).toEqual([3, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0]);
    expect(manager.viewOf(frames + 8, 8)).toBeUndefined();
    const services = manager.services;
    expect(() => services.run({ fn: 'registerEHFrame', args: [frames, 8] }, manager)).toThrow(/zero terminator/);
    // A terminator alone is an empty frame list, which the unwinder accepts.
    await allocations[3]!.finalize([
      {
        finalize: { fn: 'registerEHFrame', args: [frames + 8, 4] },
        dealloc: { fn: 'deregisterEHFrame', args: [frames + 8, 4] },
      },
    ]);
    expect(services.registeredEHFrames).toEqual([frames + 8]);
    await allocations[3]!.deallocate();
    expect(services.registeredEHFrames).toEqual([]);
    expect(manager.viewOf(frames, 4)).toBeUndefined();
    expect(() => services.run({ fn: 'registerEHFrame', args: [frames + 8, 4] }, manager)).toThrow(
      /not in executor memory/,
    );
  });

  it('releases finalize-only segments after finalize', async () => {
    manager = new DualMappedMemoryManager();
    const allocation = await manager.allocate(undefined, {
      graphName: 'with-finalize-segment',
      segments: [
        { group: RX, alignment: 16, contentSize: 6, zeroFillSize: 0 },
        { group: RW_FINALIZE, alignment: 8, contentSize: 8, zeroFillSize: 0 },
      ],
    });
    const scratch = allocation.getTargetMemory(RW_FINALIZE);
    allocation.getWorkingMemory(RX).set(RETURN_42);
    allocation.getWorkingMemory(RW_FINALIZE).set([5, 0, 0, 0, 0, 0, 0, 0]);
    expect(manager.stats().committedBytes).toBe(14);
    let seen = -1;
    manager.services.register('readScratch', (args) => {
      seen = readMemory(args[0]!, 1)[0]!;
    });
    await allocation.finalize([{ finalize: { fn: 'readScratch', args: [scratch] } }]);
    expect(seen).toBe(5);
    expect(manager.stats().committedBytes).toBe(6);
    expect(readMemory(scratch, 8)).toEqual(new Uint8Array(8));
    expect(allocation.segments.map((s) => s.group)).toEqual([RX]);
    expect(() => allocation.getWorkingMemory(RW_FINALIZE)).toThrow(JITLinkError);
    expect(callInt(allocation.getTargetMemory(RX))).toBe(42);
  });

  it('maps another region when a stripe is full, and a region large enough for a large segment', async () => {
    manager = new DualMappedMemoryManager({ reservationSize: 16 * 4096 });
    const addresses: number[] = [];
    // The read-write stripe is a quarter of a region: four pages.
    for (let i = 0; i < 6; i++) {
      const a = await manager.allocate(undefined, {
        graphName: `g${i}`,
        segments: [{ group: RW, alignment: 8, contentSize: 4096, zeroFillSize: 0 }],
      });
      addresses.push(a.getTargetMemory(RW));
    }
    expect(new Set(addresses).size).toBe(6);
    expect(manager.stats().regions).toBe(2);
    expect(Math.max(...addresses) - Math.min(...addresses)).toBeLessThan(TWO_GIB);
    const big = await manager.allocate(undefined, {
      graphName: 'big',
      segments: [{ group: RX, alignment: 4096, contentSize: 40 * 4096, zeroFillSize: 0 }],
    });
    expect(big.getWorkingMemory(RX).length).toBe(40 * 4096);
    expect(permsAt(big.getTargetMemory(RX) + 39 * 4096)).toBe('r-xs');
    // A large .bss-like segment gets a region whose read-write stripe holds it.
    const bss = await manager.allocate(undefined, {
      graphName: 'bss',
      segments: [{ group: RW, alignment: 64, contentSize: 0, zeroFillSize: 64 << 20 }],
    });
    const bssAt = bss.getTargetMemory(RW);
    expect(permsAt(bssAt + (64 << 20) - 1)).toBe('rw-p');
    expect(manager.isReadable(bssAt + (64 << 20) - 8, 8)).toBe(true);
    await expect(
      manager.allocate(undefined, {
        graphName: 'huge',
        segments: [{ group: RW, alignment: 8, contentSize: 0, zeroFillSize: TWO_GIB + 1 }],
      }),
    ).rejects.toThrow(/huge: needs \d+ bytes, more than 2 GiB/);
  });

  it('places graphs that need low addresses below 2 GiB, and explains when the session is high', async () => {
    manager = new DualMappedMemoryManager();
    const allocation = await manager.allocate(
      undefined,
      codeRequest('nopic.o', RETURN_42, { requiresLow32BitAddresses: true }),
    );
    const address = allocation.getTargetMemory(RX);
    expect(address + RETURN_42.length).toBeLessThanOrEqual(TWO_GIB);
    allocation.getWorkingMemory(RX).set(RETURN_42);
    await allocation.finalize([]);
    expect(callInt(address)).toBe(42);
    await manager.dispose();

    manager = new DualMappedMemoryManager({ placement: 'any', reservationSize: 0x10_0000 });
    await manager.allocate(undefined, codeRequest('pic.o', RETURN_42));
    if (manager.reservations[0]!.start >= TWO_GIB) {
      const nopic = manager.allocate(
        undefined,
        codeRequest('nopic.o', RETURN_42, { requiresLow32BitAddresses: true }),
      );
      await expect(nopic).rejects.toThrow(/nopic\.o.*below 2 GiB.*rebuild with -fPIC\/-fPIE/);
    }
  });

  it('leaves nothing mapped after dispose, and runs the dealloc actions first', async () => {
    manager = new DualMappedMemoryManager({ reservationSize: 16 * 4096 });
    const calls: number[] = [];
    manager.services.register('record', (args) => calls.push(args[0]!));
    for (let i = 0; i < 12; i++) {
      const a = await manager.allocate(undefined, {
        graphName: `g${i}`,
        segments: [{ group: RX, alignment: 16, contentSize: 4000, zeroFillSize: 0 }],
      });
      a.getWorkingMemory(RX).set(RETURN_42);
      await a.finalize(
        i === 0 ? [{ finalize: { fn: 'record', args: [1] }, dealloc: { fn: 'record', args: [2] } }] : [],
      );
    }
    const dso = manager.createDsoHandle();
    expect(readMemory(dso, 8)).toEqual(new Uint8Array(8));
    const reservations = manager.reservations;
    expect(reservations.length).toBeGreaterThan(1);
    for (const r of reservations) expect(mappingsIn(r.start, r.end).length).toBeGreaterThan(0);
    await manager.dispose();
    expect(calls).toEqual([1, 2]);
    for (const r of reservations) expect(mappingsIn(r.start, r.end)).toEqual([]);
    expect(manager.stats()).toEqual({ liveAllocations: 0, regions: 0, reservedBytes: 0, committedBytes: 0 });
    await expect(manager.allocate(undefined, codeRequest('late', RETURN_42))).rejects.toThrow(/disposed/);
    await manager.dispose();
  });

  it('is what this process uses as executor by default, where memfd_create works', async () => {
    manager = new DualMappedMemoryManager();
    expect(DualMappedMemoryManager.isAvailable()).toBe(true);
    const byDefault = new SelfExecutorProcessControl();
    const perGraph = new SelfExecutorProcessControl({ memory: 'page-per-graph' });
    expect(byDefault.memoryManager).toBeInstanceOf(DualMappedMemoryManager);
    expect(perGraph.memoryManager).toBeInstanceOf(InProcessMemoryManager);
    await byDefault.dispose();
    await perGraph.dispose();
  });
});
