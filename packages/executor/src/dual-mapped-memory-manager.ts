/**
 * DualMappedMemoryManager: JIT memory in this process whose pages graphs
 * share, written through a second mapping of the same pages.
 *
 * Each region of address space (reserved as InProcessMemoryManager reserves
 * it: within ±2 GiB of the session's other regions, below 2 GiB when asked)
 * is cut into three stripes, mapped once with their final protection:
 *
 * - code, R-X (half the region) and read-only data, R-- (a quarter): pages
 *   of a memfd, MAP_SHARED. The linker writes them through one read-write
 *   alias of that memfd elsewhere in the address space; no mapping is ever
 *   writable and executable.
 * - read-write data, RW- (a quarter): private anonymous memory, written in
 *   place (and copied on fork like any other data of the process).
 *
 * A segment takes just the bytes it needs (at its alignment) from its
 * stripe, so small graphs share pages, and nothing is reprotected when a
 * graph is allocated, finalized or freed: no system call per graph, and no
 * page touched for the first time per graph and segment. The cost is that
 * code becomes executable as it is written (it is not called before its
 * graph is Ready) and that freed memory stays mapped: freed bytes are zeroed
 * (whole pages given back to the system), so free memory always reads as
 * zeros, and memory handed out is zero-filled.
 */
import {
  JITLinkError,
  MemLifetime,
  MemProt,
  allocGroupLifetime,
  allocGroupProt,
  alignUp,
  formatAddress,
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
  MADV_REMOVE,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  MFD_CLOEXEC,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  getLibC,
  lastErrorText,
  nativeView,
} from './native.js';

/** The options of InProcessMemoryManager; `reservationSize` is per region, cut into the three stripes. */
export type DualMappedMemoryManagerOptions = InProcessMemoryManagerOptions;

/** The stripes of a region, by index: code (R-X), read-only data (R--), read-write data (RW-). */
const StripeKind = { Code: 0, ReadOnly: 1, ReadWrite: 2 } as const;
type StripeKind = (typeof StripeKind)[keyof typeof StripeKind];

/** Which stripe holds a segment of protection `prot` (write and execute together are refused earlier). */
function stripeKindOf(prot: MemProt): StripeKind {
  if (prot & MemProt.Exec) return StripeKind.Code;
  if (prot & MemProt.Write) return StripeKind.ReadWrite;
  return StripeKind.ReadOnly;
}

interface Stripe {
  readonly kind: StripeKind;
  /** Target address of the stripe's first byte. */
  readonly start: number;
  readonly size: number;
  readonly free: FreeRanges;
  /**
   * Read-write views of the stripe (through the alias for code and read-only
   * data), one per VIEW_WINDOW bytes, made when first used: see stripeBytes.
   */
  readonly windows: (Uint8Array | undefined)[];
  /** Native address of the stripe's read-write bytes (where pages are given back). */
  readonly viewAddress: number;
  /** Pages of the memfd (given back with MADV_REMOVE) rather than anonymous (MADV_DONTNEED). */
  readonly shared: boolean;
  /** Pieces of live allocations in this stripe, by target address (for isReadable). */
  readonly live: Piece[];
}

/**
 * Stripes are viewed a window at a time. V8 counts a view of native memory
 * as external memory of its size: one view of a whole 1 GiB reservation made
 * every session start with a collection for "external memory pressure"
 * (~20 ms, most of a small link's collector time), and 16 MiB windows still
 * made two such scavenges in a link of `hello.o` (a window in each of the
 * three stripes, besides the process's other external memory). Windows of
 * 4 MiB make none; a segment across two windows gets a view of its own.
 */
const VIEW_WINDOW = 4 * 1024 * 1024;

/** `length` read-write bytes of `stripe` at `offset`: a window's subarray, or a view of their own across windows. */
function stripeBytes(stripe: Stripe, offset: number, length: number): Uint8Array {
  const w = Math.floor(offset / VIEW_WINDOW);
  if (length === 0 || Math.floor((offset + length - 1) / VIEW_WINDOW) !== w) {
    return nativeView(stripe.viewAddress + offset, length);
  }
  let window = stripe.windows[w];
  if (window === undefined) {
    const windowStart = w * VIEW_WINDOW;
    window = nativeView(stripe.viewAddress + windowStart, Math.min(VIEW_WINDOW, stripe.size - windowStart));
    stripe.windows[w] = window;
  }
  const start = offset - w * VIEW_WINDOW;
  return window.subarray(start, start + length);
}

interface DualRegion extends ReservedRange {
  readonly fd: number;
  /** The read-write alias of the code and read-only stripes. */
  readonly alias: number;
  readonly aliasSize: number;
  readonly stripes: readonly [Stripe, Stripe, Stripe];
}

/** A segment's bytes in a stripe. */
interface Piece extends AllocatedSegment {
  readonly prot: MemProt;
  readonly lifetime: MemLifetime;
  readonly stripe: Stripe;
  /** Bytes the segment needs. */
  readonly size: number;
  /** Where the bytes taken from the stripe begin: the alignment padding before the segment is taken with it. */
  readonly takenStart: number;
  /** Bytes taken from the stripe from takenStart (at least one past targetAddress, so every segment has an address of its own). */
  readonly taken: number;
  /** Set when working memory is a JS buffer to be copied at finalize. */
  readonly copied: boolean;
}

let memfdWorks: boolean | undefined;

export class DualMappedMemoryManager extends InProcessMemoryBase<DualRegion, DualMappedAllocation> {
  constructor(options: DualMappedMemoryManagerOptions = {}) {
    super(options);
  }

  /** Whether this process can map memory this way (Linux with memfd_create, not refused by a sandbox). */
  static isAvailable(): boolean {
    if (memfdWorks === undefined) {
      try {
        const libc = getLibC();
        const fd = libc.memfd_create('jitlink-probe', MFD_CLOEXEC);
        memfdWorks = fd >= 0;
        if (fd >= 0) libc.close(fd);
      } catch {
        memfdWorks = false;
      }
    }
    return memfdWorks;
  }

  /** True when [address, address + size) lies inside one segment of a live allocation. */
  isReadable(address: TargetAddress, size: number): boolean {
    return this.liveStripeAt(address, size) !== undefined;
  }

  /** The bytes at [address, address + size) of one live segment, through the stripe's views (no native call). */
  viewOf(address: TargetAddress, size: number): Uint8Array | undefined {
    const stripe = this.liveStripeAt(address, size);
    return stripe === undefined ? undefined : stripeBytes(stripe, address - stripe.start, size);
  }

  /** The stripe of the live segment that holds [address, address + size), if one does. */
  private liveStripeAt(address: TargetAddress, size: number): Stripe | undefined {
    // Index loops: this runs per graph (eh-frame registration), mostly before V8 optimizes it.
    const regions = this.regions;
    for (let r = 0; r < regions.length; r++) {
      const region = regions[r]!;
      if (address < region.start || address >= region.start + region.size) continue;
      for (let k = 0; k < 3; k++) {
        const stripe = region.stripes[k]!;
        if (address < stripe.start || address >= stripe.start + stripe.size) continue;
        const i = upperBound(stripe.live, address, pieceAddress) - 1;
        if (i < 0) return undefined;
        const piece = stripe.live[i]!;
        return address + size <= piece.targetAddress + piece.size ? stripe : undefined;
      }
    }
    return undefined;
  }

  /** Synchronous allocate. */
  allocateNow(request: SegmentsRequest): DualMappedAllocation {
    this.checkNotDisposed();
    validateSegmentsRequest(request);
    const segments = request.segments;
    const wanted: { group: AllocGroup; kind: StripeKind; size: number; taken: number; alignment: number }[] =
      new Array(segments.length);
    // `taken` here excludes alignment padding, which takeAll adds. Index loops, as this runs per graph.
    let total = 0;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      this.checkSegmentGroup(request.graphName, seg.group);
      const prot = allocGroupProt(seg.group);
      const size = seg.contentSize + seg.zeroFillSize;
      const taken = Math.max(size, 1);
      wanted[i] = { group: seg.group, kind: stripeKindOf(prot), size, taken, alignment: seg.alignment };
      total += alignUp(taken, this.pageSize);
    }
    // As InProcessMemoryManager: a graph over the 2 GiB a session may span is refused before any
    // address space is reserved for it (a huge zero-fill section would otherwise be tried for real).
    if (!Number.isSafeInteger(total) || total > TWO_GIB) {
      throw new JITLinkError('AllocationFailed', `${request.graphName}: needs ${total} bytes, more than 2 GiB`);
    }
    const low = request.requiresLow32BitAddresses === true;
    // A graph's segments go to one region, the first with room for all of them.
    let starts: number[] | undefined; // where each segment's taken bytes begin
    let region: DualRegion | undefined;
    const regions = this.regions;
    for (let k = 0; k < regions.length; k++) {
      const r = regions[k]!;
      if (low && !r.low) continue;
      starts = this.takeAll(r, wanted);
      if (starts !== undefined) {
        region = r;
        break;
      }
    }
    if (region === undefined) {
      if (low && this.regions.length > 0 && !this.regions.some((r) => r.low)) {
        throw notLowError(request.graphName, this.regions[0]!.start);
      }
      // A region whose stripes hold at least what this graph needs of each.
      const need: [number, number, number] = [0, 0, 0];
      for (const w of wanted)
        need[w.kind] += alignUp(w.taken, this.pageSize) + Math.max(w.alignment, this.pageSize);
      region = this.mapRegion(request.graphName, need, low);
      starts = this.takeAll(region, wanted);
      if (starts === undefined) {
        throw new JITLinkError(
          'AllocationFailed',
          `${request.graphName}: a new region cannot hold its segments`,
        );
      }
    }
    const copied = this.workingMemoryMode === 'copied';
    const pieces: Piece[] = new Array(wanted.length);
    for (let i = 0; i < wanted.length; i++) {
      const w = wanted[i]!;
      const stripe = region.stripes[w.kind];
      const takenStart = starts![i]!;
      const targetAddress = alignUp(takenStart, w.alignment);
      const taken = targetAddress - takenStart + w.taken;
      this.committed += w.taken;
      const piece: Piece = {
        group: w.group,
        prot: allocGroupProt(w.group),
        lifetime: allocGroupLifetime(w.group),
        stripe,
        targetAddress,
        size: w.size,
        takenStart,
        taken,
        copied,
        workingMemory: copied
          ? new Uint8Array(w.size)
          : stripeBytes(stripe, targetAddress - stripe.start, w.size),
      };
      pieces[i] = piece;
      // Pieces are mostly taken in address order: append, else insert in place.
      const live = stripe.live;
      if (live.length === 0 || live[live.length - 1]!.targetAddress < targetAddress) live.push(piece);
      else live.splice(upperBound(live, targetAddress, pieceAddress), 0, piece);
    }
    const allocation = new DualMappedAllocation(this, request.graphName, pieces);
    this.live.add(allocation);
    return allocation;
  }

  protected override unmapRegion(region: DualRegion, errors: Error[]): void {
    const libc = getLibC();
    if (libc.munmap(region.start, region.size) !== 0 || libc.munmap(region.alias, region.aliasSize) !== 0) {
      errors.push(
        new JITLinkError(
          'AllocationFailed',
          `munmap of ${formatAddress(region.start)} failed: ${lastErrorText()}`,
        ),
      );
    }
    libc.close(region.fd);
  }

  /**
   * @internal Zeroes a piece's bytes and returns them to its stripe. Pages
   * wholly inside the piece are given back to the system (they read as zeros
   * after); the partial pages at either end may hold other graphs' bytes.
   */
  release(piece: Piece): void {
    const stripe = piece.stripe;
    const offset = piece.takenStart - stripe.start;
    const end = offset + piece.taken;
    const firstPage = alignUp(offset, this.pageSize);
    const lastPage = Math.floor(end / this.pageSize) * this.pageSize;
    if (lastPage > firstPage) {
      stripeBytes(stripe, offset, firstPage - offset).fill(0);
      stripeBytes(stripe, lastPage, end - lastPage).fill(0);
      const advice = stripe.shared ? MADV_REMOVE : MADV_DONTNEED;
      if (getLibC().madvise(stripe.viewAddress + firstPage, lastPage - firstPage, advice) !== 0) {
        // The pages stay; zero them by hand.
        stripeBytes(stripe, firstPage, lastPage - firstPage).fill(0);
      }
    } else {
      stripeBytes(stripe, offset, end - offset).fill(0);
    }
    stripe.free.give(piece.takenStart, piece.taken);
    // Committed bytes count what segments need, not their padding.
    this.committed -= piece.taken - (piece.targetAddress - piece.takenStart);
    const live = stripe.live;
    const i = live.indexOf(piece, Math.max(0, upperBound(live, piece.targetAddress, pieceAddress) - 1));
    if (i >= 0) live.splice(i, 1);
  }

  /** @internal */
  forget(allocation: DualMappedAllocation): void {
    this.live.delete(allocation);
  }

  /**
   * Takes room for every wanted segment, with its alignment padding, from
   * `region`'s stripes: where each one's bytes begin, or nothing (undefined).
   */
  private takeAll(
    region: DualRegion,
    wanted: readonly { kind: StripeKind; taken: number; alignment: number }[],
  ): number[] | undefined {
    const starts: number[] = [];
    for (let k = 0; k < wanted.length; k++) {
      const w = wanted[k]!;
      const start = region.stripes[w.kind].free.takePadded(w.taken, w.alignment);
      if (start === undefined) {
        for (let i = 0; i < starts.length; i++) {
          const taken = alignUp(starts[i]!, wanted[i]!.alignment) - starts[i]! + wanted[i]!.taken;
          region.stripes[wanted[i]!.kind].free.give(starts[i]!, taken);
        }
        return undefined;
      }
      starts.push(start);
    }
    return starts;
  }

  /**
   * Reserves a region with at least `need` bytes (page multiples) in each
   * stripe and maps its stripes and alias. What the region has beyond the
   * needs goes half to code, a quarter to each kind of data.
   */
  private mapRegion(
    graphName: string,
    need: readonly [number, number, number],
    needLow: boolean,
  ): DualRegion {
    const libc = getLibC();
    const page = this.pageSize;
    // Every stripe gets at least a page (a mapping cannot be empty).
    need = [Math.max(need[0], page), Math.max(need[1], page), Math.max(need[2], page)];
    const range = reserveAddressSpace(this, this.regions, graphName, need[0] + need[1] + need[2], needLow);
    const extra = range.size - need[0] - need[1] - need[2];
    const readOnlySize = need[StripeKind.ReadOnly] + Math.floor(extra / 4 / page) * page;
    const readWriteSize = need[StripeKind.ReadWrite] + Math.floor(extra / 4 / page) * page;
    const codeSize = range.size - readOnlySize - readWriteSize;
    const sharedSize = codeSize + readOnlySize;
    let fd = -1;
    let alias = -1;
    const fail = (what: string): never => {
      const error = lastErrorText();
      libc.munmap(range.start, range.size);
      if (alias !== -1) libc.munmap(alias, sharedSize);
      if (fd >= 0) libc.close(fd);
      throw new JITLinkError('AllocationFailed', `${graphName}: cannot ${what} for JIT memory: ${error}`);
    };
    fd = libc.memfd_create('jitlink', MFD_CLOEXEC);
    if (fd < 0) fail('create a memfd');
    if (libc.ftruncate(fd, sharedSize) !== 0) fail(`size a memfd to ${sharedSize} bytes`);
    const place = (
      at: number,
      size: number,
      prot: number,
      flags: number,
      fileFd: number,
      offset: number,
    ): void => {
      if (libc.mmap(at, size, prot, flags | MAP_FIXED, fileFd, offset) !== at)
        fail(`map ${size} bytes at ${formatAddress(at)}`);
    };
    const codeStart = range.start;
    const readOnlyStart = codeStart + codeSize;
    const readWriteStart = readOnlyStart + readOnlySize;
    place(codeStart, codeSize, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    place(readOnlyStart, readOnlySize, PROT_READ, MAP_SHARED, fd, codeSize);
    place(
      readWriteStart,
      readWriteSize,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
      -1,
      0,
    );
    alias = libc.mmap(0, sharedSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (alias === -1 || alias === 0) {
      alias = -1;
      fail('map the writable alias');
    }
    const stripe = (
      kind: StripeKind,
      start: number,
      size: number,
      viewAddress: number,
      shared: boolean,
    ): Stripe => ({
      kind,
      start,
      size,
      free: new FreeRanges(start, start + size),
      windows: [],
      viewAddress,
      shared,
      live: [],
    });
    const region: DualRegion = {
      ...range,
      fd,
      alias,
      aliasSize: sharedSize,
      stripes: [
        stripe(StripeKind.Code, codeStart, codeSize, alias, true),
        stripe(StripeKind.ReadOnly, readOnlyStart, readOnlySize, alias + codeSize, true),
        stripe(StripeKind.ReadWrite, readWriteStart, readWriteSize, readWriteStart, false),
      ],
    };
    this.regions.push(region);
    return region;
  }
}

export class DualMappedAllocation extends InProcessAllocationBase<Piece> {
  constructor(
    private readonly manager: DualMappedMemoryManager,
    graphName: string,
    pieces: Piece[],
  ) {
    super(manager, graphName, pieces);
  }

  /**
   * Copies working memory (in 'copied' mode), runs the finalize half of each
   * action in order, then releases finalize-only segments. The pages already
   * have their protections. If an action fails, the dealloc halves of those
   * already run are run in reverse, and the error is thrown.
   */
  finalizeNow(actions: readonly AllocAction[]): void {
    this.checkFinalizable();
    // Index loops: unoptimized for-of allocates an iteration result per element, and this runs per graph.
    const segments = this.segments;
    for (let i = 0; i < segments.length; i++) {
      const piece = segments[i]!;
      if (!piece.copied || piece.size === 0) continue;
      stripeBytes(piece.stripe, piece.targetAddress - piece.stripe.start, piece.size).set(piece.workingMemory);
    }
    this.runFinalizeActions(actions);
    let finalizeOnly = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i]!.lifetime !== MemLifetime.Standard) finalizeOnly++;
    if (finalizeOnly === 0) return;
    const kept: Piece[] = [];
    for (let i = 0; i < segments.length; i++) {
      const piece = segments[i]!;
      if (piece.lifetime === MemLifetime.Standard) kept.push(piece);
      else this.manager.release(piece);
    }
    this.segments = kept;
  }

  /** Runs dealloc halves in reverse order (if finalized), then frees the memory. A second call does nothing. */
  async deallocate(): Promise<void> {
    this.deallocateNow();
  }

  /** Synchronous deallocate. */
  deallocateNow(): void {
    if (this.state === 'deallocated') return;
    const errors = this.runDeallocActions();
    const pieces = this.segments;
    this.segments = [];
    for (const piece of pieces) this.manager.release(piece);
    this.manager.forget(this);
    if (errors.length > 0) throw joinErrors(errors);
  }
}

const pieceAddress = (item: Piece): number => item.targetAddress;
