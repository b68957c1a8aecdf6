/**
 * The shared-memory manager, for an executor on this machine: the executor
 * reserves a shared memory object (ExecutorSharedMemoryMapperService), this
 * process maps the same pages read-write and the linker writes its content
 * straight into them; finalize sends only addresses, sizes and protections,
 * and the executor applies the final protections to its own mapping. No
 * content is copied or sent, and the executor's mapping is never writable
 * and executable at once.
 */
import { closeSync, openSync, unlinkSync } from 'node:fs';
import {
  JITLinkError,
  MemLifetime,
  allocGroupLifetime,
  formatAddress,
  segmentOfGroup,
  type AllocAction,
  type AllocatedSegment,
  type JITLinkAllocation,
  type JITLinkDylib,
  type JITLinkMemoryManager,
  type SegmentsRequest,
  type TargetAddress,
} from '@jitlink/core';
import { MAP_SHARED, PROT_READ, PROT_WRITE, getLibC, lastErrorText, nativeView } from '@jitlink/executor';
import { BootstrapNames } from './protocol.js';
import type { RemoteExecutorProcessControl } from './remote-control.js';
import { layOutSegments, remoteAllocGroup } from './remote-memory-manager.js';
import { SPSWriter, readSPSError, readSPSExpected } from './sps.js';

/** Where this process finds the shared memory object the executor names. */
export function sharedMemoryPath(name: string): string {
  // An shm_open name (both executors), which Linux keeps under /dev/shm.
  if (!/^\/[^/]+$/.test(name)) throw new JITLinkError('MalformedObject', `"${name}" is not a shared memory name`);
  return `/dev/shm${name}`;
}

export class SharedMemoryManager implements JITLinkMemoryManager {
  private readonly live = new Set<SharedAllocation>();

  constructor(readonly epc: RemoteExecutorProcessControl) {
    if (process.platform !== 'linux') throw new JITLinkError('UnsupportedFeature', 'shared memory with the executor needs Linux');
  }

  async allocate(_dylib: JITLinkDylib | undefined, request: SegmentsRequest): Promise<JITLinkAllocation> {
    const { offsets, size } = layOutSegments(request, this.epc.pageSize, this.epc.peer);
    const instance = this.epc.bootstrapSymbol(BootstrapNames.sharedMemoryInstance);
    const what = `shared reserve of 0x${size.toString(16)} bytes`;
    const { base, name } = await this.epc.call(BootstrapNames.sharedMemoryReserve, new SPSWriter().addr(instance).u64(size).finish(), what, (r) =>
      readSPSExpected(r, (rr) => ({ base: rr.addr('reserved address'), name: rr.string('shared memory name') })),
    );
    let local: TargetAddress;
    try {
      local = mapShared(sharedMemoryPath(name), size);
    } catch (e) {
      await this.release([base]).catch(() => undefined);
      throw e;
    }
    const segments: AllocatedSegment[] = request.segments.map((seg, i) => ({
      group: seg.group,
      targetAddress: base + offsets[i]!,
      // The executor's pages, seen through this process's mapping.
      workingMemory: nativeView(local + offsets[i]!, seg.contentSize + seg.zeroFillSize),
    }));
    const allocation = new SharedAllocation(this, base, local, size, segments, request);
    this.live.add(allocation);
    return allocation;
  }

  async releaseAll(): Promise<void> {
    for (const a of [...this.live]) await a.deallocate();
  }

  /** @internal */
  forget(a: SharedAllocation): void {
    this.live.delete(a);
  }

  /** @internal */
  async release(bases: readonly TargetAddress[]): Promise<void> {
    await this.callError(BootstrapNames.sharedMemoryRelease, bases, `shared release of ${bases.map(formatAddress).join(', ')}`);
  }

  /** @internal */
  async deinitialize(bases: readonly TargetAddress[]): Promise<void> {
    await this.callError(BootstrapNames.sharedMemoryDeinitialize, bases, `deinitialize of ${bases.map(formatAddress).join(', ')}`);
  }

  private async callError(name: string, bases: readonly TargetAddress[], what: string): Promise<void> {
    const w = new SPSWriter().addr(this.epc.bootstrapSymbol(BootstrapNames.sharedMemoryInstance)).u64(bases.length);
    for (const b of bases) w.addr(b);
    const error = await this.epc.call(name, w.finish(), what, readSPSError);
    if (error !== undefined) throw new JITLinkError('LinkFailed', `${this.epc.peer}: ${what} failed: ${error}`);
  }
}

/**
 * Maps the executor's shared memory object here, then removes its name: both
 * mappings keep the pages, and nothing is left in /dev/shm if either process
 * dies (LLVM 19's executor does not remove the names it creates).
 */
function mapShared(file: string, size: number): TargetAddress {
  const fd = openSync(file, 'r+');
  try {
    const address = getLibC().mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (address === -1 || address === 0) throw new JITLinkError('AllocationFailed', `cannot map ${file}: ${lastErrorText()}`);
    return address;
  } finally {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      // Already gone: nothing to clean.
    }
  }
}

class SharedAllocation implements JITLinkAllocation {
  private state: 'allocated' | 'finalized' | 'deallocated' = 'allocated';
  segments: AllocatedSegment[];

  constructor(
    private readonly manager: SharedMemoryManager,
    private readonly base: TargetAddress,
    private readonly local: TargetAddress,
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
    const epc = this.manager.epc;
    if (this.segments.length === 0 || this.segments[0]!.targetAddress !== this.base) {
      throw new JITLinkError('AllocationFailed', `${this.request.graphName}: an allocation without segments cannot be finalized in ${epc.peer}`);
    }
    const w = new SPSWriter().addr(epc.bootstrapSymbol(BootstrapNames.sharedMemoryInstance)).addr(this.base).u64(this.segments.length);
    this.segments.forEach((seg, i) => {
      const req = this.request.segments[i]!;
      w.u8(remoteAllocGroup(seg.group)).addr(seg.targetAddress).u64(req.contentSize + req.zeroFillSize);
    });
    epc.writeAllocActions(w, actions, this.request.graphName);
    await epc.call(BootstrapNames.sharedMemoryInitialize, w.finish(), `initialize of ${this.request.graphName}`, (r) =>
      readSPSExpected(r, (rr) => rr.addr('initialized address')),
    );
    this.state = 'finalized';
    this.segments = this.segments.filter((s) => allocGroupLifetime(s.group) === MemLifetime.Standard);
  }

  async deallocate(): Promise<void> {
    if (this.state === 'deallocated') return;
    const wasFinalized = this.state === 'finalized';
    this.state = 'deallocated';
    this.manager.forget(this);
    try {
      if (!this.manager.epc.connection.error) {
        if (wasFinalized) await this.manager.deinitialize([this.base]);
        await this.manager.release([this.base]);
      }
    } finally {
      // This process's view goes last, once nothing will write through it.
      getLibC().munmap(this.local, this.size);
    }
  }
}
