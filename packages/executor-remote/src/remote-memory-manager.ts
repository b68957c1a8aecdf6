/**
 * The copying memory manager for an executor in another process: target
 * memory is reserved with the executor's SimpleExecutorMemoryManager, the
 * linker works in ordinary buffers, and finalize sends the content, the
 * protections and the allocation actions in one message; the executor
 * copies, zero-fills, protects (never writable and executable at once) and
 * runs the actions.
 */
import {
  JITLinkError,
  MemLifetime,
  MemProt,
  alignUp,
  allocGroupLifetime,
  allocGroupProt,
  formatAllocGroup,
  segmentOfGroup,
  validateSegmentsRequest,
  type AllocAction,
  type AllocatedSegment,
  type JITLinkAllocation,
  type JITLinkDylib,
  type JITLinkMemoryManager,
  type SegmentsRequest,
  type TargetAddress,
} from '@jitlink/core';
import type { RemoteExecutorProcessControl } from './remote-control.js';
import { SPSWriter } from './sps.js';

/** The wire encoding of a segment's protections and lifetime (one byte: R=1, W=2, X=4, finalize-only=8). */
export function remoteAllocGroup(group: number): number {
  const prot = allocGroupProt(group);
  let v = 0;
  if (prot & MemProt.Read) v |= 1;
  if (prot & MemProt.Write) v |= 2;
  if (prot & MemProt.Exec) v |= 4;
  if (allocGroupLifetime(group) === MemLifetime.Finalize) v |= 8;
  return v;
}

/**
 * Lays segments out from `base`, each on a page boundary; returns the segments' addresses and the total size.
 * A graph that needs memory below 2 GiB is refused unless `lowMemory` says the reservation will be there.
 */
export function layOutSegments(
  request: SegmentsRequest,
  pageSize: number,
  owner: string,
  options: { lowMemory?: boolean } = {},
): { offsets: number[]; size: number } {
  validateSegmentsRequest(request);
  if (request.requiresLow32BitAddresses && !options.lowMemory) {
    throw new JITLinkError(
      'AllocationFailed',
      `${request.graphName}: needs memory below 2 GiB (absolute 32-bit relocations), which ${owner} cannot promise; build with -fPIC or -fPIE`,
    );
  }
  const offsets: number[] = [];
  let cursor = 0;
  for (const seg of request.segments) {
    if (seg.alignment > pageSize) {
      throw new JITLinkError(
        'AllocationFailed',
        `${request.graphName}: segment ${formatAllocGroup(seg.group)} needs alignment ${seg.alignment}, above the executor's page size ${pageSize}`,
      );
    }
    offsets.push(cursor);
    cursor = alignUp(cursor + seg.contentSize + seg.zeroFillSize, pageSize);
  }
  return { offsets, size: Math.max(cursor, pageSize) };
}

export class RemoteMemoryManager implements JITLinkMemoryManager {
  /** Reservations not yet released, by base address. */
  readonly live = new Set<TargetAddress>();

  constructor(private readonly epc: RemoteExecutorProcessControl) {}

  async allocate(_dylib: JITLinkDylib | undefined, request: SegmentsRequest): Promise<JITLinkAllocation> {
    // -fno-pic code (absolute 32-bit addresses) gets a reservation below 2 GiB where the executor offers one.
    const low = request.requiresLow32BitAddresses === true && this.epc.canReserveLow;
    const { offsets, size } = layOutSegments(request, this.epc.pageSize, this.epc.peer, { lowMemory: low });
    const base = low ? await this.epc.reserveLow(size) : await this.epc.reserve(size);
    this.live.add(base);
    const segments: AllocatedSegment[] = request.segments.map((seg, i) => ({
      group: seg.group,
      targetAddress: base + offsets[i]!,
      workingMemory: new Uint8Array(seg.contentSize + seg.zeroFillSize),
    }));
    return new RemoteAllocation(this, base, size, segments, request);
  }

  /** Releases every reservation still held (the session is ending). */
  async releaseAll(): Promise<void> {
    const bases = [...this.live];
    this.live.clear();
    if (bases.length > 0) await this.epc.deallocate(bases);
  }

  /** @internal */
  async release(base: TargetAddress): Promise<void> {
    if (!this.live.delete(base)) return;
    await this.epc.deallocate([base]);
  }

  /** @internal */
  get control(): RemoteExecutorProcessControl {
    return this.epc;
  }
}

class RemoteAllocation implements JITLinkAllocation {
  private state: 'allocated' | 'finalized' | 'deallocated' = 'allocated';
  segments: AllocatedSegment[];

  constructor(
    private readonly manager: RemoteMemoryManager,
    private readonly base: TargetAddress,
    private readonly size: number,
    segments: AllocatedSegment[],
    private readonly request: SegmentsRequest,
  ) {
    this.segments = segments;
  }

  getWorkingMemory(group: number): Uint8Array {
    return segmentOfGroup(this.segments, group, this.request.graphName).workingMemory;
  }
  getTargetMemory(group: number): TargetAddress {
    return segmentOfGroup(this.segments, group, this.request.graphName).targetAddress;
  }

  async finalize(actions: readonly AllocAction[]): Promise<void> {
    if (this.state !== 'allocated') throw new JITLinkError('AllocationFailed', `cannot finalize an allocation that is ${this.state}`);
    const epc = this.manager.control;
    const w = new SPSWriter();
    // The executor identifies the allocation by its lowest segment address: the reservation's base.
    const segments = this.segments.length > 0 ? this.segments : [];
    w.u64(segments.length);
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const req = this.request.segments[i]!;
      w.u8(remoteAllocGroup(seg.group)).addr(seg.targetAddress).u64(req.contentSize + req.zeroFillSize);
      w.bytes(seg.workingMemory.subarray(0, req.contentSize));
    }
    epc.writeAllocActions(w, actions, this.request.graphName);
    if (segments.length === 0 || segments[0]!.targetAddress !== this.base) {
      throw new JITLinkError('AllocationFailed', `${this.request.graphName}: an allocation without segments cannot be finalized in ${epc.peer}`);
    }
    await epc.finalizeMemory(w.finish(), this.request.graphName, this.size);
    this.state = 'finalized';
    this.segments = this.segments.filter((s) => allocGroupLifetime(s.group) === MemLifetime.Standard);
  }

  async deallocate(): Promise<void> {
    if (this.state === 'deallocated') return;
    this.state = 'deallocated';
    await this.manager.release(this.base);
  }
}
