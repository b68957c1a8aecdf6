/**
 * Fault injection for tests: synthetic objects that refer to each other, a
 * memory manager that fails a chosen seam for chosen graphs around the real
 * in-process manager, and a count of this process's mappings in a range.
 */
import { readFileSync } from 'node:fs';
import {
  JITLinkError,
  LinkGraph,
  Linkage,
  MemProt,
  Scope,
  type AllocAction,
  type JITLinkAllocation,
  type JITLinkDylib,
  type JITLinkMemoryManager,
  type SegmentsRequest,
} from '@jitlink/core';
import { X86_64EdgeKinds } from '@jitlink/arch-x86-64';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import type { InProcessMemoryManager } from '@jitlink/executor';

/** An object defining `f_<name>` (code) and `t_<name>` (a table of pointers to `refs`), plus an optional zero-fill block. */
export function objectGraph(name: string, refs: readonly string[], zeroFill = 0): LinkGraph {
  const g = new LinkGraph({ name: `${name}.o`, triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness: 'little', getEdgeKindName: x86_64Elf.getEdgeKindName });
  const text = g.createSection('.text', MemProt.Read | MemProt.Exec);
  const data = g.createSection('.data', MemProt.Read | MemProt.Write);
  g.addDefinedSymbol(g.createContentBlock(text, new Uint8Array([0xc3]), 0, 16, 0), 0, `f_${name}`, 1, Linkage.Strong, Scope.Default, true, false);
  const table = g.createContentBlock(data, new Uint8Array(8 * Math.max(1, refs.length)), 0, 8, 0);
  g.addDefinedSymbol(table, 0, `t_${name}`, table.size, Linkage.Strong, Scope.Default, false, false);
  const own = new Map([...g.definedSymbols()].map((s) => [s.name, s]));
  refs.forEach((r, k) => table.addEdge(X86_64EdgeKinds.Pointer64, 8 * k, own.get(r) ?? g.findExternalSymbol(r) ?? g.addExternalSymbol(r, 0), 0));
  if (zeroFill > 0) {
    const bss = g.createSection('.bss', MemProt.Read | MemProt.Write);
    g.addDefinedSymbol(g.createZeroFillBlock(bss, zeroFill, 0, 8, 0), 0, `big_${name}`, zeroFill, Linkage.Strong, Scope.Default, false, false);
  }
  return g;
}

export type Fault = 'allocate' | 'finalize' | 'deallocate';

/** A memory manager that fails one seam for graphs named in `faults`, around the real in-process manager, and counts live allocations per graph. */
export class FaultyMemoryManager implements JITLinkMemoryManager {
  readonly faults = new Map<string, Fault>();
  readonly live = new Map<string, number>();
  constructor(readonly inner: InProcessMemoryManager) {}

  async allocate(dylib: JITLinkDylib | undefined, request: SegmentsRequest): Promise<JITLinkAllocation> {
    const name = request.graphName;
    const fault = this.faults.get(name);
    if (fault === 'allocate') throw new JITLinkError('AllocationFailed', `${name}: injected allocate failure`);
    const allocation = await this.inner.allocate(dylib, request);
    const live = this.live;
    live.set(name, (live.get(name) ?? 0) + 1);
    let released = false;
    return {
      segments: allocation.segments,
      getWorkingMemory: (g) => allocation.getWorkingMemory(g),
      getTargetMemory: (g) => allocation.getTargetMemory(g),
      async finalize(actions: readonly AllocAction[]) {
        if (fault === 'finalize') throw new JITLinkError('AllocationFailed', `${name}: injected finalize failure`);
        await allocation.finalize(actions);
      },
      async deallocate() {
        // As an executor that unmapped the memory but reports a failing dealloc action.
        await allocation.deallocate();
        if (!released) live.set(name, live.get(name)! - 1);
        released = true;
        if (fault === 'deallocate') throw new JITLinkError('AllocationFailed', `${name}: injected deallocate failure`);
      },
    };
  }

  /** Graphs holding memory now. */
  holding(): string[] {
    return [...this.live].filter(([, n]) => n > 0).map(([name]) => name).sort();
  }
}

/** Mappings of this process that overlap the manager's reservations. */
export function mappingsIn(ranges: readonly { start: number; end: number }[]): number {
  let count = 0;
  for (const line of readFileSync('/proc/self/maps', 'utf8').trimEnd().split('\n')) {
    const [lo, hi] = line.split(' ')[0]!.split('-').map((h) => parseInt(h, 16)) as [number, number];
    if (ranges.some((r) => lo < r.end && hi > r.start)) count++;
  }
  return count;
}
