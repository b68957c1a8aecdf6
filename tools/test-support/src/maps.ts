/**
 * A process's memory mappings (/proc/<pid>/maps) and the regions in them
 * that belong to V8 and to malloc rather than to the linker, so tests can
 * check the linker's own mappings exactly: nothing writable and executable,
 * nothing left behind.
 */
import { readFileSync } from 'node:fs';

export interface Mapping {
  start: number;
  end: number;
  /** "rwxp", "r-xp", "---p", ... */
  perms: string;
  /** No file, no pseudo-file name ([heap], [stack]...). */
  anonymous: boolean;
  name: string;
  line: string;
}

/** The mappings of `pid` (this process by default), in address order. */
export function readMaps(pid: number | 'self' = 'self'): Mapping[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [range, perms, , , inode, ...rest] = line.split(/\s+/);
      const [start, end] = range!.split('-').map((h) => parseInt(h, 16)) as [number, number];
      const name = rest.join(' ');
      return { start, end, perms: perms!, anonymous: inode === '0' && name === '', name, line };
    });
}

export const isWritableExecutable = (m: Mapping): boolean => m.perms[1] === 'w' && m.perms[2] === 'x';

/** Mappings that overlap any of `ranges`. */
export function mappingsOverlapping(maps: readonly Mapping[], ranges: readonly { start: number; end: number }[]): Mapping[] {
  return maps.filter((m) => ranges.some((r) => m.start < r.end && m.end > r.start));
}

/**
 * V8's code range: the run of adjacent anonymous mappings (its reservation,
 * inaccessible where unused) around the writable and executable pages V8
 * has when this is called — call it before anything else maps rwx memory.
 * Empty when V8 keeps no rwx code (e.g. --jitless, or write-protected code).
 */
export function v8CodeRanges(maps: readonly Mapping[] = readMaps()): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (let i = 0; i < maps.length; i++) {
    if (!maps[i]!.anonymous || !isWritableExecutable(maps[i]!)) continue;
    let lo = i;
    let hi = i;
    while (lo > 0 && maps[lo - 1]!.anonymous && maps[lo - 1]!.end === maps[lo]!.start) lo--;
    while (hi + 1 < maps.length && maps[hi + 1]!.anonymous && maps[hi + 1]!.start === maps[hi]!.end) hi++;
    const range = { start: maps[lo]!.start, end: maps[hi]!.end };
    if (!ranges.some((r) => r.start === range.start)) ranges.push(range);
    i = hi;
  }
  return ranges;
}

const V8_PAGE = 0x40000;
const MALLOC_ARENA = 64 * 1024 * 1024;

/**
 * Mappings other than the JS heap's and malloc's: V8's heap pages (anonymous,
 * read-write, starting on a 256 KiB boundary), its code range (given), the
 * [heap], glibc's arenas (a 64 MiB-aligned read-write heap followed by its
 * inaccessible rest) and thread stacks (read-write after a guard page) come
 * and go as those heaps grow and shrink and threads start.
 */
export function nonHeapMappings(codeRanges: readonly { start: number; end: number }[], maps: readonly Mapping[] = readMaps()): Mapping[] {
  const arena = (at: number) => at % MALLOC_ARENA === 0;
  return maps.filter((m, i) => {
    if (m.name === '[heap]') return false;
    if (!m.anonymous) return true;
    if (codeRanges.some((r) => m.start >= r.start && m.end <= r.end)) return false;
    if (m.perms === 'rw-p' && m.start % V8_PAGE === 0) return false;
    if (m.perms === 'rw-p' && arena(m.start) && maps[i + 1]?.perms === '---p' && arena(maps[i + 1]!.end)) return false;
    if (m.perms === '---p' && arena(m.end) && maps[i - 1]?.perms === 'rw-p' && arena(maps[i - 1]!.start)) return false;
    // Thread stacks (libuv's pool starts threads on demand): read-write after an adjacent guard page.
    const guard = (g: Mapping | undefined, next: Mapping | undefined) =>
      g !== undefined && next !== undefined && g.anonymous && g.perms === '---p' && g.end === next.start && g.end - g.start <= 0x10000 && next.anonymous && next.perms === 'rw-p';
    if (guard(maps[i - 1], m) || guard(m, maps[i + 1])) return false;
    return true;
  });
}
