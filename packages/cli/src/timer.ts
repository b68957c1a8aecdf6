/**
 * -show-times: wall-clock time per step of the command and per link phase.
 *
 * Graphs are linked concurrently, so summing each graph's phase durations
 * counts the same wall-clock time once per graph that was waiting in a phase
 * (a thousand graphs waiting in `allocate` made a 1 s link report 75 s). The
 * process runs one graph's work at a time, so each interval between two phase
 * notifications is given to the phase last entered: the `link: <phase>` rows
 * partition the link's wall-clock time and add up to no more than `link`.
 */
import type { LinkGraph, LinkObserver, LinkPhaseName } from '@jitlink/core';

/** Milliseconds on a monotonic clock (process.hrtime: the global `performance` costs ~2 ms of start-up to load). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export class Timer implements LinkObserver {
  private readonly totals = new Map<string, number>();
  private readonly start = nowMs();
  /** The link phase the process is working in, and since when (undefined: none, e.g. after a graph is done). */
  private current: { row: string; since: number } | undefined;

  add(name: string, ms: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + ms);
  }

  async time<T>(name: string, f: () => Promise<T> | T): Promise<T> {
    const t0 = nowMs();
    try {
      return await f();
    } finally {
      this.add(name, nowMs() - t0);
    }
  }

  phase(phase: LinkPhaseName, _graph: LinkGraph): void {
    const now = nowMs();
    if (this.current !== undefined) this.add(this.current.row, now - this.current.since);
    this.current = phase === 'done' ? undefined : { row: `link: ${phase}`, since: now };
  }

  /** The rows, with `total` (wall-clock time since the timer was made) last. */
  private rows(): [string, number][] {
    return [...this.totals, ['total', nowMs() - this.start]];
  }

  toJson(): Record<string, number> {
    return Object.fromEntries(this.rows().map(([name, ms]) => [name, Number(ms.toFixed(3))]));
  }

  report(): string {
    const lines = ['jitlink timers:'];
    for (const [name, ms] of this.rows()) lines.push(`  ${ms.toFixed(3).padStart(10)} ms  ${name}`);
    return lines.join('\n') + '\n';
  }
}
