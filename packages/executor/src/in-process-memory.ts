/**
 * What the in-process memory managers share: their options, the regions of
 * address space they reserve, live allocations and dso handles, statistics,
 * the segments they refuse, and disposal.
 */
import {
  JITLinkError,
  MemLifetime,
  MemProt,
  allocGroup,
  allocGroupLifetime,
  allocGroupProt,
  alignUp,
  formatAllocGroup,
  segmentOfGroup,
  toError,
  type AllocAction,
  type AllocGroup,
  type AllocatedSegment,
  type JITLinkAllocation,
  type JITLinkDylib,
  type JITLinkMemoryManager,
  type SegmentsRequest,
  type TargetAddress,
} from '@jitlink/core';
import { joinErrors } from '@jitlink/core/internal';
import { reservationSizeOption, type PlacementPolicy, type ReservedRange } from './address-space.js';
import { systemPageSize } from './native.js';
import { runAtExitHandlers } from './run.js';
import { ExecutorServices, type ServiceMemory } from './services.js';

export interface InProcessMemoryManagerOptions {
  /** Bytes of address space per reservation (rounded up to pages). Default 1 GiB. */
  reservationSize?: number;
  /**
   * 'prefer-low' (default): reserve below 2 GiB when possible, else anywhere.
   * 'low': only below 2 GiB; fail otherwise. 'any': let the kernel choose.
   */
  placement?: PlacementPolicy;
  /** Smallest low reservation tried before giving up on low memory. Default 64 MiB. */
  minLowReservationSize?: number;
  /**
   * 'mapped' (default): working memory is a view on the target's pages (or on
   * a writable mapping of them). 'copied': a JS buffer, copied to the pages at finalize.
   */
  workingMemory?: 'mapped' | 'copied';
  /** Runs string-named allocation actions; defaults to a new ExecutorServices. */
  services?: ExecutorServices;
}

export interface InProcessMemoryStats {
  /** Allocations not yet deallocated (including dso handles). */
  liveAllocations: number;
  /** Address-space reservations currently mapped. */
  regions: number;
  /** Bytes of address space reserved (mapped, any protection). */
  reservedBytes: number;
  /** Bytes of reserved space currently handed out to allocations. */
  committedBytes: number;
}

/** What the base needs of an allocation. */
export interface InProcessAllocationLike extends JITLinkAllocation {
  finalizeNow(actions: readonly AllocAction[]): void;
  deallocateNow(): void;
}

export abstract class InProcessMemoryBase<
  Region extends ReservedRange,
  Allocation extends InProcessAllocationLike,
>
  implements JITLinkMemoryManager, ServiceMemory
{
  readonly pageSize: number;
  readonly reservationSize: number;
  readonly placement: PlacementPolicy;
  readonly minLowReservationSize: number;
  readonly workingMemoryMode: 'mapped' | 'copied';
  readonly services: ExecutorServices;
  protected readonly regions: Region[] = [];
  protected readonly live = new Set<Allocation>();
  /** Bytes handed out to allocations. */
  protected committed = 0;
  protected disposed = false;
  private readonly dsoHandles: TargetAddress[] = [];

  constructor(options: InProcessMemoryManagerOptions) {
    this.pageSize = systemPageSize();
    this.reservationSize = reservationSizeOption(options.reservationSize, this.pageSize);
    this.placement = options.placement ?? 'prefer-low';
    this.minLowReservationSize = alignUp(options.minLowReservationSize ?? 0x400_0000, this.pageSize);
    this.workingMemoryMode = options.workingMemory ?? 'mapped';
    this.services = options.services ?? new ExecutorServices();
  }

  /** Synchronous allocate (the work is synchronous anyway). */
  abstract allocateNow(request: SegmentsRequest): Allocation;

  /** True when [address, address + size) lies in memory a live allocation holds and may read. */
  abstract isReadable(address: TargetAddress, size: number): boolean;

  async allocate(dylib: JITLinkDylib | undefined, request: SegmentsRequest): Promise<JITLinkAllocation> {
    return this.allocateNow(request);
  }

  stats(): InProcessMemoryStats {
    let reservedBytes = 0;
    for (const r of this.regions) reservedBytes += r.size;
    return {
      liveAllocations: this.live.size,
      regions: this.regions.length,
      reservedBytes,
      committedBytes: this.committed,
    };
  }

  /** The reserved regions as [start, end) pairs, lowest first. */
  get reservations(): readonly { start: TargetAddress; end: TargetAddress }[] {
    return this.regions
      .map((r) => ({ start: r.start, end: r.start + r.size }))
      .sort((a, b) => a.start - b.start);
  }

  /**
   * Eight zeroed, writable bytes in JIT memory (within reach of the code) for
   * the linker to bind to `__dso_handle`. dispose() runs the C++ destructors
   * registered against it (`__cxa_finalize`) before unmapping anything.
   */
  createDsoHandle(): TargetAddress {
    const rw = allocGroup(MemProt.Read | MemProt.Write, MemLifetime.Standard);
    const allocation = this.allocateNow({
      graphName: '<__dso_handle>',
      segments: [{ group: rw, alignment: 8, contentSize: 8, zeroFillSize: 0 }],
    });
    allocation.finalizeNow([]);
    const address = allocation.getTargetMemory(rw);
    this.dsoHandles.push(address);
    return address;
  }

  /**
   * Runs the at-exit handlers of every dso handle, deallocates every live
   * allocation (running dealloc actions), and unmaps all reservations.
   * The manager cannot be used afterwards; a second call does nothing.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    const errors: Error[] = [];
    await this.settle(errors);
    for (const handle of this.dsoHandles.splice(0).reverse()) {
      try {
        runAtExitHandlers(handle);
      } catch (e) {
        errors.push(toError(e));
      }
    }
    for (const allocation of [...this.live].reverse()) {
      try {
        allocation.deallocateNow();
      } catch (e) {
        errors.push(toError(e));
      }
    }
    this.disposed = true;
    for (const region of this.regions.splice(0)) this.unmapRegion(region, errors);
    this.committed = 0;
    if (errors.length > 0) throw joinErrors(errors);
  }

  /** @internal */
  serviceMemory(): ServiceMemory {
    return this;
  }

  /** Waits for work in flight before dispose tears down (errors go to `errors`). */
  protected async settle(_errors: Error[]): Promise<void> {}

  /** Unmaps everything of `region` (failures go to `errors`). */
  protected abstract unmapRegion(region: Region, errors: Error[]): void;

  protected checkNotDisposed(): void {
    if (this.disposed) throw new JITLinkError('AllocationFailed', 'the memory manager has been disposed');
  }

  /** Refuses what this executor never maps: writable and executable segments, and segments not to be allocated. */
  protected checkSegmentGroup(graphName: string, group: AllocGroup): void {
    const prot = allocGroupProt(group);
    if (prot & MemProt.Write && prot & MemProt.Exec) {
      throw new JITLinkError(
        'AllocationFailed',
        `${graphName}: segment ${formatAllocGroup(group)} asks for writable and executable memory, which this executor never maps`,
      );
    }
    if (allocGroupLifetime(group) === MemLifetime.NoAlloc) {
      throw new JITLinkError(
        'AllocationFailed',
        `${graphName}: segment ${formatAllocGroup(group)} is not allocatable`,
      );
    }
  }
}

/** What an allocation needs of its manager to run its actions. */
interface ActionRunner {
  readonly services: ExecutorServices;
  serviceMemory(): ServiceMemory;
}

/** The state, segment lookup and action bookkeeping both in-process allocations share. */
export abstract class InProcessAllocationBase<
  Segment extends AllocatedSegment,
> implements InProcessAllocationLike {
  protected state: 'allocated' | 'finalized' | 'deallocated' = 'allocated';
  /** The actions whose dealloc halves run when a finalized allocation is deallocated. */
  protected actions: readonly AllocAction[] = [];
  /** The segments held: all of them until finalize, the standard ones after, none once deallocated. */
  segments: readonly Segment[];

  constructor(
    private readonly runner: ActionRunner,
    readonly graphName: string,
    segments: readonly Segment[],
  ) {
    this.segments = segments;
  }

  get isFinalized(): boolean {
    return this.state === 'finalized';
  }

  getWorkingMemory(group: AllocGroup): Uint8Array {
    return this.segment(group).workingMemory;
  }

  getTargetMemory(group: AllocGroup): TargetAddress {
    return this.segment(group).targetAddress;
  }

  async finalize(actions: readonly AllocAction[]): Promise<void> {
    this.finalizeNow(actions);
  }

  abstract finalizeNow(actions: readonly AllocAction[]): void;
  abstract deallocate(): Promise<void>;
  abstract deallocateNow(): void;

  protected segment(group: AllocGroup): Segment {
    const segments = this.segments;
    for (let i = 0; i < segments.length; i++) if (segments[i]!.group === group) return segments[i]!;
    // The message is made only when it is needed.
    return segmentOfGroup(segments, group, `the allocation for ${this.graphName}`);
  }

  /** Throws unless the allocation is still waiting to be finalized. */
  protected checkFinalizable(): void {
    if (this.state !== 'allocated') {
      throw new JITLinkError(
        'AllocationFailed',
        `cannot finalize the allocation for ${this.graphName}: it is ${this.state}`,
      );
    }
  }

  /** Runs the finalize halves of `actions` (undoing them if one fails) and marks the allocation finalized. */
  protected runFinalizeActions(actions: readonly AllocAction[]): void {
    this.runner.services.runFinalizeHalves(actions, this.runner.serviceMemory());
    this.actions = actions;
    this.state = 'finalized';
  }

  /** Runs the dealloc halves (if finalized) and marks the allocation deallocated; returns what failed. */
  protected runDeallocActions(): Error[] {
    const errors =
      this.state === 'finalized'
        ? this.runner.services.runDeallocHalves(this.actions, this.runner.serviceMemory())
        : [];
    this.state = 'deallocated';
    return errors;
  }
}

/** Index of the first item whose address is above `address` in a list sorted by address. */
export function upperBound<T>(list: readonly T[], address: number, addressOf: (item: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (addressOf(list[mid]!) <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
