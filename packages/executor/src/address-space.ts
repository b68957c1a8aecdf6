/**
 * Reserving JIT address space: regions of PROT_NONE, MAP_NORESERVE memory
 * (address space, not memory) placed so that every region of a session lies
 * within ±2 GiB of every other (the small code model's PC-relative reach),
 * below 2 GiB when asked (for -fno-pic code). Shared by the in-process memory
 * managers.
 */
import { JITLinkError, alignUp, formatAddress } from '@jitlink/core';
import {
  MAP_32BIT,
  MAP_ANONYMOUS,
  MAP_FIXED_NOREPLACE,
  MAP_NORESERVE,
  MAP_PRIVATE,
  PROT_NONE,
  getLibC,
  lastErrorText,
} from './native.js';

/** 2 GiB: the reach of a signed 32-bit displacement, and the "low" address limit. */
export const TWO_GIB = 0x8000_0000;

export type PlacementPolicy = 'prefer-low' | 'low' | 'any';

/** A reserved range of address space. */
export interface ReservedRange {
  readonly start: number;
  readonly size: number;
  /** Entirely below 2 GiB. */
  readonly low: boolean;
}

export interface ReservationPolicy {
  /** Bytes of address space per reservation (page-aligned). */
  readonly reservationSize: number;
  readonly placement: PlacementPolicy;
  /** Smallest low reservation tried before giving up on low memory. */
  readonly minLowReservationSize: number;
  readonly pageSize: number;
}

/** Validates a reservation size option (bytes, at most 2 GiB) and rounds it up to pages. */
export function reservationSizeOption(size: number | undefined, pageSize: number): number {
  const rounded = alignUp(size ?? 0x4000_0000, pageSize);
  if (!Number.isSafeInteger(rounded) || rounded <= 0 || rounded > TWO_GIB) {
    throw new JITLinkError('InvalidArgument', `reservation size ${size} must be between 1 byte and 2 GiB`);
  }
  return rounded;
}

/** The error for a graph that needs low memory in a session whose memory is high. */
export function notLowError(graphName: string, sessionStart: number): JITLinkError {
  return new JITLinkError(
    'AllocationFailed',
    `${graphName} has absolute 32-bit relocations and needs memory below 2 GiB, but the JIT memory of this session ` +
      `is at ${formatAddress(sessionStart)}; rebuild with -fPIC/-fPIE`,
  );
}

/**
 * Reserves a new range of at least `minSize` bytes (PROT_NONE), next to the
 * `existing` ones when there are any, keeping them all within 2 GiB.
 */
export function reserveAddressSpace(
  policy: ReservationPolicy,
  existing: readonly ReservedRange[],
  graphName: string,
  minSize: number,
  needLow: boolean,
): ReservedRange {
  const libc = getLibC();
  const size = Math.max(policy.reservationSize, alignUp(minSize, policy.pageSize));
  const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
  const attempts: { hint: number; flags: number; size: number }[] = [];
  const first = existing.length === 0;
  const mustBeLow = needLow || policy.placement === 'low';
  const wantLow =
    mustBeLow || (first && policy.placement === 'prefer-low') || (!first && existing.every((r) => r.low));
  if (!first) {
    // Next to the existing ranges, so the span grows as little as possible.
    const lo = Math.min(...existing.map((r) => r.start));
    const hi = Math.max(...existing.map((r) => r.start + r.size));
    attempts.push({ hint: hi, flags: flags | MAP_FIXED_NOREPLACE, size });
    if (lo - size > 0) attempts.push({ hint: lo - size, flags: flags | MAP_FIXED_NOREPLACE, size });
  }
  if (wantLow && process.arch === 'x64') {
    for (
      let s = size;
      s >= Math.max(policy.minLowReservationSize, alignUp(minSize, policy.pageSize));
      s = alignUp(Math.floor(s / 2), policy.pageSize)
    ) {
      attempts.push({ hint: 0, flags: flags | MAP_32BIT, size: s });
      if (s === policy.pageSize) break;
    }
  }
  if (!mustBeLow) attempts.push({ hint: 0, flags, size });

  const failures: string[] = [];
  for (const attempt of attempts) {
    const start = libc.mmap(attempt.hint, attempt.size, PROT_NONE, attempt.flags, -1, 0);
    if (start === -1 || start === 0) {
      failures.push(lastErrorText());
      continue;
    }
    const end = start + attempt.size;
    const isLow = end <= TWO_GIB;
    const spanStart = Math.min(start, ...existing.map((r) => r.start));
    const spanEnd = Math.max(end, ...existing.map((r) => r.start + r.size));
    const acceptable = spanEnd - spanStart <= TWO_GIB && (isLow || !mustBeLow);
    if (!acceptable) {
      libc.munmap(start, attempt.size);
      failures.push(`got ${formatAddress(start)}`);
      continue;
    }
    return { start, size: attempt.size, low: isLow };
  }
  if (needLow) throw notLowError(graphName, existing[0]?.start ?? 0);
  if (mustBeLow) {
    throw new JITLinkError(
      'AllocationFailed',
      `${graphName}: cannot reserve ${size} bytes of JIT address space below 2 GiB (${failures.join('; ')})`,
    );
  }
  throw new JITLinkError(
    'AllocationFailed',
    `${graphName}: cannot reserve ${size} more bytes of JIT address space within 2 GiB of the session's other memory ` +
      `(${failures.join('; ')}); use a larger reservation size`,
  );
}
