/**
 * InProcessMemoryManager: JIT memory in this process, from address space
 * reserved up front so that every graph of a session lies within ±2 GiB of
 * every other (the small code model's PC-relative reach).
 *
 * Placement policy:
 * - The first allocation reserves one region (1 GiB by default) as PROT_NONE,
 *   MAP_NORESERVE: it costs address space, not memory. With placement
 *   'prefer-low' (the default) the region is sought below 2 GiB first
 *   (MAP_32BIT on x86-64, halving the size down to `minLowReservationSize`
 *   when the low area is crowded), so -fno-pic code with absolute 32-bit
 *   relocations can be linked; otherwise it goes anywhere.
 * - Graphs get page-aligned, contiguous sub-ranges, first fit.
 * - When no region has room, another one is reserved next to the existing
 *   ones; if that would spread the session over more than 2 GiB, allocation
 *   fails with AllocationFailed instead of producing out-of-range fixups.
 *
 * Protections: segments are committed PROT_READ|PROT_WRITE while being
 * linked; finalize applies each segment's own protection (R-X, R--, RW-...).
 * A segment asking for write and execute together is refused: memory is never
 * RWX.
 */
import {
  JITLinkError,
  MemLifetime,
  MemProt,
  allocGroupLifetime,
  allocGroupProt,
  alignUp,
  formatAddress,
  formatAllocGroup,
  toError,
  type AllocAction,
  type AllocGroup,
  type AllocatedSegment,
  type SegmentsRequest,
  type TargetAddress,
} from '@jitlink/core';
import { joinErrors, validateSegmentsRequest } from '@jitlink/core/internal';
import { TWO_GIB, notLowError, reserveAddressSpace, type ReservedRange } from './address-space.js';
import { FreeRanges } from './free-ranges.js';
import {
  InProcessAllocationBase,
  InProcessMemoryBase,
  upperBound,
  type InProcessMemoryManagerOptions,
} from './in-process-memory.js';
import {
  MADV_DONTNEED,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  getLibC,
  lastErrorText,
  nativeView,
} from './native.js';

/** The protection of committed memory (see commit), as MemProt. */
const COMMITTED_PROT: MemProt = MemProt.Read | MemProt.Write;

export { TWO_GIB, type PlacementPolicy } from './address-space.js';

export type { InProcessMemoryManagerOptions, InProcessMemoryStats } from './in-process-memory.js';

interface Region extends ReservedRange {
  readonly free: FreeRanges;
}

interface PlacedSegment extends AllocatedSegment {
  readonly prot: MemProt;
  readonly lifetime: MemLifetime;
  /** Page-rounded bytes of the segment's range. */
  readonly pageBytes: number;
  /** Set when working memory is a JS buffer to be copied at finalize. */
  readonly copied: boolean;
}

/** A contiguous piece of a region owned by an allocation. */
interface OwnedRange {
  region: Region;
  start: number;
  size: number;
}

export class InProcessMemoryManager extends InProcessMemoryBase<Region, InProcessAllocation> {
  /** The live allocations that hold memory, by base address. */
  private readonly liveByAddress: InProcessAllocation[] = [];
  /** Ranges of deallocated allocations waiting for the release at the end of this turn. */
  private readonly pendingRelease: OwnedRange[] = [];
  private releaseFlush: Promise<void> | undefined;

  constructor(options: InProcessMemoryManagerOptions = {}) {
    super(options);
  }

  /** True when [address, address + size) lies inside memory held by a live allocation. */
  isReadable(address: TargetAddress, size: number): boolean {
    // Allocations never overlap and each holds the memory from its base up:
    // only the one with the highest base at or below `address` can hold it.
    const list = this.liveByAddress;
    const i = upperBound(list, address, baseOf) - 1;
    return i >= 0 && list[i]!.containsReadable(address, size);
  }

  /** Synchronous allocate (the work is synchronous anyway). */
  allocateNow(request: SegmentsRequest): InProcessAllocation {
    this.checkNotDisposed();
    validateSegmentsRequest(request);
    const ordered: {
      group: AllocGroup;
      alignment: number;
      size: number;
      pageBytes: number;
      offset: number;
    }[] = [];
    for (const seg of request.segments) {
      this.checkSegmentGroup(request.graphName, seg.group);
      const size = seg.contentSize + seg.zeroFillSize;
      ordered.push({
        group: seg.group,
        alignment: seg.alignment,
        size,
        pageBytes: alignUp(size, this.pageSize),
        offset: 0,
      });
    }
    // Finalize-only segments go last so they are released as one tail range.
    ordered.sort((a, b) => allocGroupLifetime(a.group) - allocGroupLifetime(b.group));
    let total = 0;
    let alignment = this.pageSize;
    let standardBytes = 0;
    for (const seg of ordered) {
      const segAlign = Math.max(this.pageSize, seg.alignment);
      alignment = Math.max(alignment, segAlign);
      total = alignUp(total, segAlign);
      seg.offset = total;
      total += seg.pageBytes;
      if (allocGroupLifetime(seg.group) === MemLifetime.Standard) standardBytes = total;
    }
    if (!Number.isSafeInteger(total) || total > TWO_GIB) {
      throw new JITLinkError(
        'AllocationFailed',
        `${request.graphName}: needs ${total} bytes, more than 2 GiB`,
      );
    }
    const low = request.requiresLow32BitAddresses === true;
    const base = total === 0 ? undefined : this.takeRange(request.graphName, total, alignment, low);
    const owned: OwnedRange[] = [];
    if (base) {
      this.commit(base.start, total, request.graphName);
      owned.push({ region: base.region, start: base.start, size: standardBytes });
      if (total > standardBytes)
        owned.push({ region: base.region, start: base.start + standardBytes, size: total - standardBytes });
    }
    const start = base?.start ?? 0;
    const segments: PlacedSegment[] = ordered.map((seg) => {
      const targetAddress = start + seg.offset;
      const copied = this.workingMemoryMode === 'copied';
      return {
        group: seg.group,
        prot: allocGroupProt(seg.group),
        lifetime: allocGroupLifetime(seg.group),
        targetAddress,
        pageBytes: seg.pageBytes,
        copied,
        workingMemory:
          copied || seg.size === 0 ? new Uint8Array(seg.size) : nativeView(targetAddress, seg.size),
      };
    });
    const allocation = new InProcessAllocation(this, request.graphName, segments, owned);
    this.live.add(allocation);
    if (allocation.baseAddress !== undefined) {
      this.liveByAddress.splice(
        upperBound(this.liveByAddress, allocation.baseAddress, baseOf),
        0,
        allocation,
      );
    }
    return allocation;
  }

  protected override async settle(errors: Error[]): Promise<void> {
    if (this.releaseFlush) await this.releaseFlush.catch((e: unknown) => errors.push(toError(e)));
  }

  protected override unmapRegion(region: Region, errors: Error[]): void {
    if (getLibC().munmap(region.start, region.size) !== 0) {
      errors.push(
        new JITLinkError(
          'AllocationFailed',
          `munmap of ${formatAddress(region.start)} failed: ${lastErrorText()}`,
        ),
      );
    }
  }

  /**
   * @internal Queues ranges to be released and resolves once they are. Every
   * range queued in the same turn (a session ending, a tracker removed) is
   * released together, contiguous ranges by one mprotect and one madvise.
   */
  releaseRangesSoon(ranges: readonly OwnedRange[]): Promise<void> {
    for (const range of ranges) if (range.size > 0) this.pendingRelease.push(range);
    this.releaseFlush ??= new Promise<void>((resolve, reject) =>
      queueMicrotask(() => {
        try {
          this.flushReleases();
          resolve();
        } catch (e) {
          reject(toError(e));
        }
      }),
    );
    return this.releaseFlush;
  }

  private flushReleases(): void {
    this.releaseFlush = undefined;
    const ranges = this.pendingRelease.splice(0).sort((a, b) => a.start - b.start);
    const errors: Error[] = [];
    for (let i = 0; i < ranges.length;) {
      const first = ranges[i]!;
      let end = first.start + first.size;
      let j = i + 1;
      while (j < ranges.length && ranges[j]!.region === first.region && ranges[j]!.start === end) {
        end += ranges[j]!.size;
        j++;
      }
      try {
        this.releaseRange({ region: first.region, start: first.start, size: end - first.start });
      } catch (e) {
        errors.push(toError(e));
      }
      i = j;
    }
    if (errors.length > 0) throw joinErrors(errors);
  }

  /** @internal Returns a range to its region; its pages become inaccessible and are discarded. */
  releaseRange(range: OwnedRange): void {
    if (range.size === 0) return;
    const libc = getLibC();
    if (
      libc.mprotect(range.start, range.size, PROT_NONE) !== 0 ||
      libc.madvise(range.start, range.size, MADV_DONTNEED) !== 0
    ) {
      throw new JITLinkError(
        'AllocationFailed',
        `cannot release ${formatAddress(range.start)}..+${range.size}: ${lastErrorText()}`,
      );
    }
    range.region.free.give(range.start, range.size);
    this.committed -= range.size;
  }

  /** @internal */
  forget(allocation: InProcessAllocation): void {
    this.live.delete(allocation);
    const i = this.liveByAddress.indexOf(
      allocation,
      Math.max(0, upperBound(this.liveByAddress, allocation.baseAddress ?? 0, baseOf) - 1),
    );
    if (i >= 0) this.liveByAddress.splice(i, 1);
  }

  private commit(start: number, size: number, graphName: string): void {
    if (getLibC().mprotect(start, size, PROT_READ | PROT_WRITE) !== 0) {
      const error = lastErrorText();
      // The range is still PROT_NONE; hand it back untouched.
      for (const r of this.regions)
        if (start >= r.start && start < r.start + r.size) r.free.give(start, size);
      throw new JITLinkError(
        'AllocationFailed',
        `${graphName}: cannot commit ${size} bytes at ${formatAddress(start)}: ${error}`,
      );
    }
    this.committed += size;
  }

  private takeRange(
    graphName: string,
    size: number,
    alignment: number,
    low: boolean,
  ): { region: Region; start: number } {
    for (const region of this.regions) {
      if (low && !region.low) continue;
      const start = region.free.take(size, alignment);
      if (start !== undefined) return { region, start };
    }
    if (low && this.regions.length > 0 && !this.regions.some((r) => r.low)) throw this.notLowError(graphName);
    const region = this.reserveRegion(graphName, size + (alignment > this.pageSize ? alignment : 0), low);
    const start = region.free.take(size, alignment);
    if (start === undefined)
      throw new JITLinkError('AllocationFailed', `${graphName}: new reservation cannot hold ${size} bytes`);
    return { region, start };
  }

  private notLowError(graphName: string): JITLinkError {
    return notLowError(graphName, this.regions[0]?.start ?? 0);
  }

  /** Reserves a new region of at least `minSize` bytes, keeping the whole session within 2 GiB. */
  private reserveRegion(graphName: string, minSize: number, needLow: boolean): Region {
    const range = reserveAddressSpace(this, this.regions, graphName, minSize, needLow);
    const region: Region = { ...range, free: new FreeRanges(range.start, range.start + range.size) };
    this.regions.push(region);
    return region;
  }
}

export class InProcessAllocation extends InProcessAllocationBase<PlacedSegment> {
  private protectionsApplied = false;
  private readonly allSegments: readonly PlacedSegment[];
  /** @internal Start of the memory this allocation holds (undefined when it holds none). */
  readonly baseAddress: TargetAddress | undefined;

  constructor(
    private readonly manager: InProcessMemoryManager,
    graphName: string,
    segments: PlacedSegment[],
    /** [standard range, finalize-only tail range?] */
    private readonly ranges: OwnedRange[],
  ) {
    super(manager, graphName, segments);
    this.allSegments = segments;
    this.baseAddress = ranges[0]?.start;
  }

  /** @internal */
  containsReadable(address: TargetAddress, size: number): boolean {
    if (this.state === 'deallocated') return false;
    for (const seg of this.segments) {
      if (seg.workingMemory.length === 0) continue;
      if (address >= seg.targetAddress && address + size <= seg.targetAddress + seg.workingMemory.length) {
        return !this.protectionsApplied || (seg.prot & MemProt.Read) !== 0;
      }
    }
    return false;
  }

  /**
   * Copies working memory (in 'copied' mode), applies each segment's
   * protection, runs the finalize half of each action in order, then releases
   * finalize-only segments. If an action fails, the dealloc halves of the
   * actions already run are run in reverse, and the error is thrown.
   */
  finalizeNow(actions: readonly AllocAction[]): void {
    this.checkFinalizable();
    const libc = getLibC();
    for (const seg of this.allSegments) {
      if (seg.pageBytes === 0) continue;
      if (seg.copied) nativeView(seg.targetAddress, seg.workingMemory.length).set(seg.workingMemory);
      // Committed memory is already read-write: no system call for RW- segments.
      if (seg.prot === COMMITTED_PROT) continue;
      if (libc.mprotect(seg.targetAddress, seg.pageBytes, seg.prot) !== 0) {
        throw new JITLinkError(
          'AllocationFailed',
          `${this.graphName}: cannot protect ${formatAllocGroup(seg.group)} segment at ${formatAddress(seg.targetAddress)}: ${lastErrorText()}`,
        );
      }
    }
    this.protectionsApplied = true;
    this.runFinalizeActions(actions);
    const tail = this.ranges[1];
    this.segments = this.allSegments.filter((s) => s.lifetime === MemLifetime.Standard);
    if (tail) {
      this.ranges.pop();
      this.manager.releaseRange(tail);
    }
  }

  /**
   * Runs dealloc halves in reverse order (if finalized), then returns the
   * pages; resolves once they are inaccessible. Deallocations started in the
   * same turn release their pages together. A second call does nothing.
   */
  async deallocate(): Promise<void> {
    if (this.state === 'deallocated') return;
    const errors = this.detach();
    try {
      await this.manager.releaseRangesSoon(this.ranges.splice(0));
    } catch (e) {
      errors.push(toError(e));
    }
    if (errors.length > 0) throw joinErrors(errors);
  }

  /** Runs the dealloc halves (if finalized) and leaves the allocation deallocated but still owning its ranges. */
  private detach(): Error[] {
    const errors = this.runDeallocActions();
    this.segments = [];
    this.manager.forget(this);
    return errors;
  }

  /** Runs dealloc halves in reverse order (if finalized), then returns the pages at once. A second call does nothing. */
  deallocateNow(): void {
    if (this.state === 'deallocated') return;
    const errors = this.detach();
    for (const range of this.ranges.splice(0)) {
      try {
        this.manager.releaseRange(range);
      } catch (e) {
        errors.push(toError(e));
      }
    }
    if (errors.length > 0) throw joinErrors(errors);
  }
}

const baseOf = (item: InProcessAllocation): number => item.baseAddress!;
