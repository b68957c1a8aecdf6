import { JITLinkError, MemLifetime, MemProt, allocGroup } from '@jitlink/core';
import { InProcessMemoryManager, TWO_GIB, callInt, readMemory } from '../src/index.js';
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

describeX64('InProcessMemoryManager', () => {
  let manager: InProcessMemoryManager;
  afterEach(async () => {
    await manager.dispose();
  });

  it('runs code written into an R-X segment, which is not writable after finalize', async () => {
    manager = new InProcessMemoryManager();
    const allocation = await manager.allocate(undefined, codeRequest('ret42', RETURN_42));
    const address = allocation.getTargetMemory(RX);
    expect(permsAt(address)).toBe('rw-p');
    allocation.getWorkingMemory(RX).set(RETURN_42);
    await allocation.finalize([]);
    expect(permsAt(address)).toBe('r-xp');
    expect(callInt(address)).toBe(42);
    expect(readMemory(address, RETURN_42.length)).toEqual(RETURN_42);
  });

  it('applies each segment protection and never maps RWX', async () => {
    manager = new InProcessMemoryManager();
    const request = {
      graphName: 'three',
      segments: [
        { group: RX, alignment: 16, contentSize: 6, zeroFillSize: 0 },
        { group: RO, alignment: 8, contentSize: 100, zeroFillSize: 0 },
        { group: RW, alignment: 64, contentSize: 8, zeroFillSize: 5000 },
      ],
    };
    const allocation = await manager.allocate(undefined, request);
    const [rx, ro, rw] = [RX, RO, RW].map((g) => allocation.getTargetMemory(g)) as [number, number, number];
    for (const a of [rx, ro, rw]) expect(a % manager.pageSize).toBe(0);
    expect(allocation.getWorkingMemory(RW).length).toBe(5008);
    expect(allocation.getWorkingMemory(RW).every((b) => b === 0)).toBe(true);
    await allocation.finalize([]);
    expect([permsAt(rx), permsAt(ro), permsAt(rw), permsAt(rw + 5000)]).toEqual([
      'r-xp',
      'r--p',
      'rw-p',
      'rw-p',
    ]);
    // Every graph of the session stays within reach of a 32-bit displacement.
    const other = await manager.allocate(undefined, codeRequest('other', RETURN_42));
    expect(Math.abs(other.getTargetMemory(RX) - rx)).toBeLessThan(TWO_GIB);

    const rwx = allocGroup(MemProt.Read | MemProt.Write | MemProt.Exec, MemLifetime.Standard);
    const refused = manager.allocate(undefined, {
      graphName: 'bad.o',
      segments: [{ group: rwx, alignment: 1, contentSize: 1, zeroFillSize: 0 }],
    });
    await expect(refused).rejects.toThrow(/bad\.o.*writable and executable/);
    await expect(refused).rejects.toBeInstanceOf(JITLinkError);
  });

  it('places graphs that need low addresses below 2 GiB', async () => {
    manager = new InProcessMemoryManager();
    const allocation = await manager.allocate(
      undefined,
      codeRequest('nopic.o', RETURN_42, { requiresLow32BitAddresses: true }),
    );
    const address = allocation.getTargetMemory(RX);
    expect(address).toBeGreaterThan(0);
    expect(address + RETURN_42.length).toBeLessThanOrEqual(TWO_GIB);
    allocation.getWorkingMemory(RX).set(RETURN_42);
    await allocation.finalize([]);
    expect(callInt(address)).toBe(42);
  });

  it('explains how to fix a low-address graph when the session memory is high', async () => {
    manager = new InProcessMemoryManager({ placement: 'any', reservationSize: 0x10_0000 });
    const pic = await manager.allocate(undefined, codeRequest('pic.o', RETURN_42));
    expect(pic.getTargetMemory(RX)).toBeGreaterThan(TWO_GIB); // the kernel places 'any' mappings high
    const nopic = manager.allocate(
      undefined,
      codeRequest('nopic.o', RETURN_42, { requiresLow32BitAddresses: true }),
    );
    await expect(nopic).rejects.toMatchObject({ code: 'AllocationFailed' });
    await expect(nopic).rejects.toThrow(/nopic\.o.*below 2 GiB.*rebuild with -fPIC\/-fPIE/);
  });

  it('reserves another region next to the first when one is full', async () => {
    manager = new InProcessMemoryManager({ reservationSize: 4 * 4096 });
    const addresses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await manager.allocate(undefined, {
        graphName: `g${i}`,
        segments: [{ group: RW, alignment: 8, contentSize: 4096, zeroFillSize: 0 }],
      });
      addresses.push(a.getTargetMemory(RW));
    }
    expect(new Set(addresses).size).toBe(6);
    const stats = manager.stats();
    expect(stats.regions).toBe(2);
    expect(stats.committedBytes).toBe(6 * 4096);
    expect(stats.liveAllocations).toBe(6);
    const span = Math.max(...addresses) - Math.min(...addresses);
    expect(span).toBeLessThan(TWO_GIB);
    // A single graph larger than the reservation size gets a region of its own size.
    const big = await manager.allocate(undefined, {
      graphName: 'big',
      segments: [{ group: RW, alignment: 8, contentSize: 40 * 4096, zeroFillSize: 0 }],
    });
    expect(big.getWorkingMemory(RW).length).toBe(40 * 4096);
    await expect(
      manager.allocate(undefined, {
        graphName: 'huge',
        segments: [{ group: RW, alignment: 8, contentSize: TWO_GIB + 1, zeroFillSize: 0 }],
      }),
    ).rejects.toThrow(/huge: needs .* more than 2 GiB/);
  });

  it('deallocations started together release their pages together, and only then resolve', async () => {
    manager = new InProcessMemoryManager({ reservationSize: 1 << 20 });
    const allocations = [];
    for (let i = 0; i < 8; i++) {
      const a = await manager.allocate(undefined, {
        graphName: `g${i}`,
        segments: [{ group: RW, alignment: 8, contentSize: 5000, zeroFillSize: 0 }],
      });
      await a.finalize([]);
      allocations.push(a);
    }
    const addresses = allocations.map((a) => a.getTargetMemory(RW));
    expect(addresses.map((a) => permsAt(a))).toEqual(addresses.map(() => 'rw-p'));
    await Promise.all(allocations.map((a) => a.deallocate()));
    expect(addresses.map((a) => permsAt(a))).toEqual(addresses.map(() => '---p'));
    expect(manager.stats().committedBytes).toBe(0);
    expect(manager.stats().liveAllocations).toBe(0);
    // The whole reservation is one free range again: a single allocation fills it.
    const whole = await manager.allocate(undefined, {
      graphName: 'whole',
      segments: [{ group: RW, alignment: 4096, contentSize: 1 << 20, zeroFillSize: 0 }],
    });
    expect(whole.getTargetMemory(RW)).toBe(Math.min(...addresses));
    expect(manager.stats().regions).toBe(1);
  });

  it('isReadable finds the allocation holding an address among many, and nothing once it is gone', async () => {
    manager = new InProcessMemoryManager({ reservationSize: 1 << 20 });
    const allocations = [];
    for (let i = 0; i < 20; i++) {
      const a = await manager.allocate(undefined, {
        graphName: `g${i}`,
        segments: [{ group: RW, alignment: 8, contentSize: 100 + i, zeroFillSize: 0 }],
      });
      await a.finalize([]);
      allocations.push(a);
    }
    for (const [i, a] of allocations.entries()) {
      const at = a.getTargetMemory(RW);
      expect(manager.isReadable(at, 100 + i)).toBe(true);
      // Past the segment's bytes (still inside its page) belongs to no segment.
      expect(manager.isReadable(at + 100 + i, 1)).toBe(false);
    }
    const gone = allocations[7]!;
    const at = gone.getTargetMemory(RW);
    await gone.deallocate();
    expect(manager.isReadable(at, 8)).toBe(false);
    expect(manager.isReadable(allocations[8]!.getTargetMemory(RW), 8)).toBe(true);
  });

  it('reuses released pages, zeroed', async () => {
    manager = new InProcessMemoryManager({ reservationSize: 4096 });
    const first = await manager.allocate(undefined, {
      graphName: 'a',
      segments: [{ group: RW, alignment: 8, contentSize: 16, zeroFillSize: 0 }],
    });
    const address = first.getTargetMemory(RW);
    first.getWorkingMemory(RW).fill(0xab);
    await first.finalize([]);
    await first.deallocate();
    expect(permsAt(address)).toBe('---p');
    const second = await manager.allocate(undefined, {
      graphName: 'b',
      segments: [{ group: RW, alignment: 8, contentSize: 16, zeroFillSize: 0 }],
    });
    expect(second.getTargetMemory(RW)).toBe(address);
    expect(second.getWorkingMemory(RW)).toEqual(new Uint8Array(16));
    expect(manager.stats().regions).toBe(1);
  });

  it('releases finalize-only segments after finalize', async () => {
    manager = new InProcessMemoryManager();
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
    expect(manager.stats().committedBytes).toBe(2 * manager.pageSize);
    let seen = -1;
    manager.services.register('readScratch', (args) => {
      seen = readMemory(args[0]!, 1)[0]!;
    });
    await allocation.finalize([{ finalize: { fn: 'readScratch', args: [scratch] } }]);
    expect(seen).toBe(5);
    expect(manager.stats().committedBytes).toBe(manager.pageSize);
    expect(permsAt(scratch)).toBe('---p');
    expect(allocation.segments.map((s) => s.group)).toEqual([RX]);
    expect(() => allocation.getWorkingMemory(RW_FINALIZE)).toThrow(JITLinkError);
    expect(callInt(allocation.getTargetMemory(RX))).toBe(42);
  });

  it('leaves nothing mapped after dispose', async () => {
    manager = new InProcessMemoryManager({ reservationSize: 8 * 4096 });
    const allocations = [];
    for (let i = 0; i < 12; i++) {
      const a = await manager.allocate(undefined, codeRequest(`g${i}`, RETURN_42));
      a.getWorkingMemory(RX).set(RETURN_42);
      await a.finalize([]);
      allocations.push(a);
    }
    const calls: number[] = [];
    manager.services.register('record', (args) => calls.push(args[0]!));
    const last = await manager.allocate(undefined, codeRequest('last', RETURN_42));
    await last.finalize([{ finalize: { fn: 'record', args: [1] }, dealloc: { fn: 'record', args: [2] } }]);
    const dso = manager.createDsoHandle();
    expect(readMemory(dso, 8)).toEqual(new Uint8Array(8));
    const reservations = manager.reservations;
    expect(reservations.length).toBeGreaterThan(1);
    // Code pages inside the reservations are separate mappings while allocated.
    for (const r of reservations) expect(mappingsIn(r.start, r.end).length).toBeGreaterThan(0);
    await manager.dispose();
    expect(calls).toEqual([1, 2]);
    // Nothing of the reservations is left. (The process's total mapping count is
    // no measure: V8 maps and unmaps heap pages at will.)
    for (const r of reservations) expect(mappingsIn(r.start, r.end)).toEqual([]);
    expect(manager.stats()).toEqual({ liveAllocations: 0, regions: 0, reservedBytes: 0, committedBytes: 0 });
    await expect(manager.allocate(undefined, codeRequest('late', RETURN_42))).rejects.toThrow(/disposed/);
    await manager.dispose();
  });
});
