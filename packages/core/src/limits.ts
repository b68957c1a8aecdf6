/**
 * Caps on what one input may ask of the linker, checked by the format readers
 * before they build anything: a damaged or hostile object fails with a
 * LimitExceeded error instead of consuming time and memory.
 */
import { JITLinkError } from './errors.js';

/** Caps on an input object, checked before reading it; beyond one, a `LimitExceeded` JITLinkError. */
export interface InputLimits {
  /** Largest input file, in bytes. */
  maxInputBytes?: number;
  /** Most sections in one object. */
  maxSections?: number;
  /** Most relocation entries in one object, all sections together. */
  maxRelocations?: number;
  /** Most members in one static archive (its symbol index and long-name table not counted). */
  maxArchiveMembers?: number;
}

/**
 * Throws a LimitExceeded error naming `file` (and the offset of what is
 * counted, when given) when `count` of `what` is over `limit` (no limit when undefined).
 */
export function checkLimit(
  file: string,
  what: 'input bytes' | 'sections' | 'relocations' | 'archive members',
  count: number,
  limit: number | undefined,
  offset?: number,
): void {
  if (limit !== undefined && count > limit) {
    throw new JITLinkError('LimitExceeded', `${count} ${what} exceed the limit of ${limit}`, offset === undefined ? { file } : { file, offset });
  }
}
