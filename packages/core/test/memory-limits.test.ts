import {
  allocGroup,
  DEFAULT_MAX_RESERVED_BYTES,
  JITLinkError,
  MemLifetime,
  MemProt,
  SimulatedMemoryManager,
  SlabMemoryManager,
} from '../src/index.js';

const RW = allocGroup(MemProt.Read | MemProt.Write, MemLifetime.Standard);

async function failure(run: () => Promise<unknown>): Promise<JITLinkError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('expected a JITLinkError');
}

describe('simulated memory never reserves what it cannot hand out', () => {
  test('a 2^36-byte zero-fill segment fails before any working memory is made', async () => {
    const mm = new SimulatedMemoryManager();
    const err = await failure(() =>
      mm.allocate(undefined, { graphName: 'big.o', segments: [{ group: RW, alignment: 8, contentSize: 16, zeroFillSize: 2 ** 36 }] }),
    );
    expect(err.code).toBe('AllocationFailed');
    expect(err.message).toBe(
      `big.o: needs ${2 ** 36 + 16} bytes of working memory, over the limit of ${DEFAULT_MAX_RESERVED_BYTES} (0 already reserved)`,
    );
    expect(mm.reservedBytes).toBe(0);
    expect(mm.used).toBe(0);
    expect(mm.liveAllocations).toBe(0);
  });

  test('the cap counts live allocations and is given back on deallocate', async () => {
    const mm = new SimulatedMemoryManager({ maxReservedBytes: 10_000 });
    const request = { graphName: 'a.o', segments: [{ group: RW, alignment: 8, contentSize: 6000, zeroFillSize: 0 }] };
    const first = await mm.allocate(undefined, request);
    expect(mm.reservedBytes).toBe(6000);
    const err = await failure(() => mm.allocate(undefined, request));
    expect(err.message).toBe('a.o: needs 6000 bytes of working memory, over the limit of 10000 (6000 already reserved)');
    await first.deallocate();
    expect(mm.reservedBytes).toBe(0);
    await mm.allocate(undefined, request);
    expect(mm.reservedBytes).toBe(6000);
  });

  test('a slab too small fails before reserving, and leaves the slab unchanged', async () => {
    const mm = new SlabMemoryManager({ size: 0x4000, baseAddress: 0x10000, pageSize: 0x1000 });
    const err = await failure(() =>
      mm.allocate(undefined, { graphName: 'b.o', segments: [{ group: RW, alignment: 8, contentSize: 0, zeroFillSize: 2 ** 40 }] }),
    );
    expect(err.message).toBe(`b.o: needs ${2 ** 40} bytes but only ${0x4000} remain in the slab at 0x0000000000010000`);
    expect(mm.used).toBe(0);
    expect(mm.reservedBytes).toBe(0);
  });
});
