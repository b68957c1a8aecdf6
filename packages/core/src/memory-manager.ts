/**
 * JITLinkMemoryManager: gives each graph working memory (here, in the linker)
 * and target memory (in the executor) per segment, then finalizes (copies to
 * the target, applies protections, runs allocation actions) and deallocates.
 */
import { alignUp, formatAddress, isPowerOfTwo, isRepresentableAddress, type TargetAddress } from './address.js';
import { JITLinkError } from './errors.js';
import type { AllocAction } from './graph.js';
import { allocGroupLifetime, formatAllocGroup, MemLifetime, type AllocGroup } from './memory-flags.js';

/** A simulated dylib: the unit within which code-model constraints apply. */
export interface JITLinkDylib {
  readonly name: string;
}

/** One segment: all blocks with the same protections and lifetime. */
export interface SegmentRequest {
  group: AllocGroup;
  /** Minimum alignment of the segment's start (the largest block alignment in it). */
  alignment: number;
  /** Bytes of content, laid out first. */
  contentSize: number;
  /** Bytes of zero-fill that follow the content. */
  zeroFillSize: number;
}

/** What a graph needs from a memory manager: its segments, and any placement constraint. */
export interface SegmentsRequest {
  /** Name of the graph being linked, for messages. */
  graphName: string;
  segments: readonly SegmentRequest[];
  /**
   * Set when the graph holds absolute 32-bit references to itself, so the
   * memory must lie below 2 GiB (e.g. x86-64 code built with -fno-pic).
   */
  requiresLow32BitAddresses?: boolean;
}

/**
 * One allocated segment: its group, its address in the executor, and the working memory the linker
 * writes its content into.
 */
export interface AllocatedSegment {
  readonly group: AllocGroup;
  readonly targetAddress: TargetAddress;
  /** contentSize + zeroFillSize bytes, zeroed; the linker writes content here. */
  readonly workingMemory: Uint8Array;
}

/** Memory for one graph. */
export interface JITLinkAllocation {
  readonly segments: readonly AllocatedSegment[];
  getWorkingMemory(group: AllocGroup): Uint8Array;
  getTargetMemory(group: AllocGroup): TargetAddress;
  /**
   * Copies working memory to the target, applies protections, runs the
   * finalize half of each action, and releases finalize-only segments.
   */
  finalize(actions: readonly AllocAction[]): Promise<void>;
  /**
   * Releases the memory (runs the dealloc half of finalized actions, in reverse
   * order). Valid before or after finalize; a second call is a no-op.
   */
  deallocate(): Promise<void>;
}

/** Allocates executor memory for graphs (in process, in another process, or simulated). */
export interface JITLinkMemoryManager {
  allocate(dylib: JITLinkDylib | undefined, request: SegmentsRequest): Promise<JITLinkAllocation>;
}

/** The segment of `group` among an allocation's `segments`; an AllocationFailed error naming `owner` when there is none. */
export function segmentOfGroup<Segment extends AllocatedSegment>(
  segments: readonly Segment[],
  group: AllocGroup,
  owner: string,
): Segment {
  // An index loop: this runs for every segment of every link, mostly before V8 optimizes it.
  for (let i = 0; i < segments.length; i++) if (segments[i]!.group === group) return segments[i]!;
  throw new JITLinkError('AllocationFailed', `no segment ${formatAllocGroup(group)} in ${owner}`);
}

/** Checks a request's numbers before a manager acts on them. */
export function validateSegmentsRequest(request: SegmentsRequest): void {
  const segments = request.segments;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (!isPowerOfTwo(seg.alignment)) {
      throw new JITLinkError('AllocationFailed', `segment ${formatAllocGroup(seg.group)} of ${request.graphName}: alignment ${seg.alignment} is not a power of two`);
    }
    if (!Number.isSafeInteger(seg.contentSize) || seg.contentSize < 0 || !Number.isSafeInteger(seg.zeroFillSize) || seg.zeroFillSize < 0) {
      throw new JITLinkError('AllocationFailed', `segment ${formatAllocGroup(seg.group)} of ${request.graphName}: invalid size`);
    }
  }
}

/** Default cap on the working memory a simulated manager holds at once: 1 GiB. */
export const DEFAULT_MAX_RESERVED_BYTES = 1024 * 1024 * 1024;

/** Where a simulated memory manager places memory, and how much it has. */
export interface SimulatedMemoryOptions {
  /** Address of the first byte handed out. */
  baseAddress?: TargetAddress;
  /** Page size: every segment starts on a page boundary. */
  pageSize?: number;
  /** Total bytes available; allocation fails beyond it. */
  size?: number;
  /**
   * Most bytes of working memory held at once across live allocations
   * (default DEFAULT_MAX_RESERVED_BYTES). Checked before any memory is
   * reserved, so a huge zero-fill section fails cleanly instead of reserving it.
   */
  maxReservedBytes?: number;
  /**
   * Runs allocation actions. Without it actions are recorded (see
   * `finalizedActions`) but nothing is executed, as under -noexec.
   */
  runAction?: (call: AllocAction['finalize']) => Promise<void> | void;
}

/**
 * A memory manager with no executor behind it: target addresses are laid out
 * deterministically from a base address, and working memory is ordinary JS
 * memory. Used for -noexec links, cross-target checks and tests.
 */
export class SimulatedMemoryManager implements JITLinkMemoryManager {
  readonly baseAddress: TargetAddress;
  readonly pageSize: number;
  readonly size: number;
  readonly maxReservedBytes: number;
  /** Bytes of working memory held by live allocations. */
  reservedBytes = 0;
  private nextAddress: TargetAddress;
  private readonly runAction: SimulatedMemoryOptions['runAction'];
  /** Allocations not yet deallocated. */
  liveAllocations = 0;
  /** Every action run or recorded at finalize, in order. */
  readonly finalizedActions: AllocAction[] = [];

  constructor(options: SimulatedMemoryOptions = {}) {
    this.baseAddress = options.baseAddress ?? 0x1_0000_0000;
    this.pageSize = options.pageSize ?? 0x1000;
    this.size = options.size ?? Number.MAX_SAFE_INTEGER;
    this.maxReservedBytes = options.maxReservedBytes ?? DEFAULT_MAX_RESERVED_BYTES;
    this.runAction = options.runAction;
    if (!isPowerOfTwo(this.pageSize)) {
      throw new JITLinkError('InvalidArgument', `page size ${this.pageSize} is not a power of two`);
    }
    if (!isRepresentableAddress(this.baseAddress) || this.baseAddress % this.pageSize !== 0) {
      throw new JITLinkError('InvalidArgument', `base address ${formatAddress(this.baseAddress)} is not page aligned`);
    }
    this.nextAddress = this.baseAddress;
  }

  /** Bytes handed out so far. */
  get used(): number {
    return this.nextAddress - this.baseAddress;
  }

  async allocate(_dylib: JITLinkDylib | undefined, request: SegmentsRequest): Promise<JITLinkAllocation> {
    validateSegmentsRequest(request);
    // Lay out and check every limit first: nothing is reserved for a request that fails.
    let cursor = this.nextAddress;
    let total = 0;
    const starts: TargetAddress[] = [];
    for (const seg of request.segments) {
      const start = alignUp(cursor, Math.max(this.pageSize, seg.alignment));
      const size = seg.contentSize + seg.zeroFillSize;
      starts.push(start);
      total += size;
      cursor = alignUp(start + size, this.pageSize);
    }
    if (!Number.isSafeInteger(cursor) || cursor - this.baseAddress > this.size) {
      throw new JITLinkError(
        'AllocationFailed',
        `${request.graphName}: needs ${cursor - this.nextAddress} bytes but only ` +
          `${this.size - (this.nextAddress - this.baseAddress)} remain in the slab at ${formatAddress(this.baseAddress)}`,
      );
    }
    if (this.reservedBytes + total > this.maxReservedBytes) {
      throw new JITLinkError(
        'AllocationFailed',
        `${request.graphName}: needs ${total} bytes of working memory, over the limit of ${this.maxReservedBytes} ` +
          `(${this.reservedBytes} already reserved)`,
      );
    }
    if (request.requiresLow32BitAddresses && cursor > 0x8000_0000) {
      throw new JITLinkError(
        'AllocationFailed',
        `${request.graphName}: needs memory below 2 GiB (absolute 32-bit relocations), but the slab is at ${formatAddress(this.baseAddress)}`,
      );
    }
    const segments: AllocatedSegment[] = request.segments.map((seg, i) => ({
      group: seg.group,
      targetAddress: starts[i]!,
      workingMemory: new Uint8Array(seg.contentSize + seg.zeroFillSize),
    }));
    this.reservedBytes += total;
    this.nextAddress = cursor;
    this.liveAllocations++;
    return new SimulatedAllocation(this, segments, total);
  }

  /** @internal */
  async run(actions: readonly AllocAction[], half: 'finalize' | 'dealloc'): Promise<void> {
    for (const action of actions) {
      const call = half === 'finalize' ? action.finalize : action.dealloc;
      if (call && this.runAction) await this.runAction(call);
    }
  }
}

class SimulatedAllocation implements JITLinkAllocation {
  private state: 'allocated' | 'finalized' | 'deallocated' = 'allocated';
  private actions: readonly AllocAction[] = [];
  segments: AllocatedSegment[];

  constructor(
    private readonly manager: SimulatedMemoryManager,
    segments: AllocatedSegment[],
    private readonly reserved: number,
  ) {
    this.segments = segments;
  }

  private segment(group: AllocGroup): AllocatedSegment {
    return segmentOfGroup(this.segments, group, 'this allocation');
  }
  getWorkingMemory(group: AllocGroup): Uint8Array {
    return this.segment(group).workingMemory;
  }
  getTargetMemory(group: AllocGroup): TargetAddress {
    return this.segment(group).targetAddress;
  }

  async finalize(actions: readonly AllocAction[]): Promise<void> {
    if (this.state !== 'allocated') throw new JITLinkError('AllocationFailed', `cannot finalize an allocation that is ${this.state}`);
    this.manager.finalizedActions.push(...actions);
    await this.manager.run(actions, 'finalize');
    this.actions = actions;
    this.state = 'finalized';
    // Finalize-only segments are released now; keep only standard ones.
    this.segments = this.segments.filter((s) => allocGroupLifetime(s.group) === MemLifetime.Standard);
  }

  async deallocate(): Promise<void> {
    if (this.state === 'deallocated') return;
    const wasFinalized = this.state === 'finalized';
    this.state = 'deallocated';
    this.manager.liveAllocations--;
    this.manager.reservedBytes -= this.reserved;
    if (wasFinalized) await this.manager.run([...this.actions].reverse(), 'dealloc');
  }
}

/**
 * The deterministic layout behind llvm-jitlink's -slab-allocate,
 * -slab-address and -slab-page-size: one slab of `size` bytes at `baseAddress`.
 */
export class SlabMemoryManager extends SimulatedMemoryManager {
  constructor(options: SimulatedMemoryOptions & { size: number }) {
    super(options);
  }
}

/** A plain in-memory manager for unit tests: unbounded, addresses from 0x10000 upward by default. */
export class InMemoryMemoryManager extends SimulatedMemoryManager {
  constructor(options: SimulatedMemoryOptions = {}) {
    super({ baseAddress: 0x10000, ...options });
  }
}
