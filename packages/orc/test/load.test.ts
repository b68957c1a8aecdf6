/**
 * Load: 1,000 mutually dependent objects (cycles included) across 8
 * JITDylibs of one session, linked through concurrent lookups into real
 * process memory, with faults injected at random (allocate, finalize, a
 * missing symbol) and resource trackers removed while links are in flight;
 * ten rounds of link-and-remove. Each round fails exactly the lookups that
 * depend on a fault, settles every lookup, and frees everything; after the
 * rounds, the process's mappings and heap are back to their baseline.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { BackendRegistry, JITLinkError } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { InProcessMemoryManager } from '@jitlink/executor';
import { ExecutionSession, ObjectLinkingLayer, type JITDylib, type ResourceTracker } from '../src/index.js';
import { nonHeapMappings, v8CodeRanges, prng } from '@jitlink/test-support';
import { FaultyMemoryManager, mappingsIn, objectGraph } from './fault-injection.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const N = 1000;
const DYLIBS = 8;
const ROUNDS = 10;

interface RoundResult {
  succeeded: number;
  failedByFault: number;
  removedInFlight: number;
}

/** One round: add N objects with random references, inject faults, look every table up while removing some trackers. */
async function round(seed: number, session: ExecutionSession, layer: ObjectLinkingLayer, memory: FaultyMemoryManager, dylibs: JITDylib[]): Promise<RoundResult> {
  const random = prng(seed);
  const refsOf: number[][] = [];
  const trackers: ResourceTracker[] = [];
  const faulty = new Set<number>();
  memory.faults.clear();
  for (let i = 0; i < N; i++) {
    // Clusters of ten objects spread over the dylibs: references (cycles included) stay within a
    // cluster, except to leaves (every tenth object: no references, never faulty) anywhere, so a
    // fault dooms part of its cluster, not the whole session.
    const cluster = i - (i % 10);
    const leaf = i % 10 === 9;
    const refs = leaf ? [] : Array.from({ length: 1 + Math.floor(random() * 3) }, () => cluster + Math.floor(random() * 10));
    if (!leaf && i % 10 > 0 && random() < 0.3) refs.push(i - 1); // chains...
    if (!leaf && random() < 0.3) refs.push(i + 1); // ...and cycles
    if (!leaf && random() < 0.3) refs.push(Math.floor(random() * (N / 10)) * 10 + 9); // a leaf elsewhere
    const names = refs.map((r) => `f_r${seed}_${r}`);
    // 1% each: allocate fails, finalize fails, a symbol nothing defines.
    const dice = leaf ? 1 : random();
    if (dice < 0.01) memory.faults.set(`r${seed}_${i}.o`, 'allocate');
    else if (dice < 0.02) memory.faults.set(`r${seed}_${i}.o`, 'finalize');
    else if (dice < 0.03) names.push(`missing_${i}`);
    if (dice < 0.03) faulty.add(i);
    refsOf.push(refs);
    const dylib = dylibs[i % DYLIBS]!;
    const tracker = dylib.createResourceTracker();
    trackers.push(tracker);
    layer.add(dylib, objectGraph(`r${seed}_${i}`, names), { tracker });
  }
  // Objects that reach a faulty one through their references fail with it; the rest must link.
  const doomed = new Set<number>();
  const reaches = (start: number): boolean => {
    const seen = new Set<number>([start]);
    const stack = [start];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (faulty.has(i)) return true;
      for (const r of refsOf[i]!) {
        if (seen.has(r)) continue;
        seen.add(r);
        stack.push(r);
      }
    }
    return false;
  };
  for (let i = 0; i < N; i++) if (reaches(i)) doomed.add(i);

  const lookups = Array.from({ length: N }, (_, i) =>
    session.lookup([dylibs[i % DYLIBS]!, ...dylibs], [`t_r${seed}_${i}`]).then(
      () => 'ok' as const,
      (e: unknown) => {
        if (!(e instanceof JITLinkError)) throw e;
        return 'failed' as const;
      },
    ),
  );
  // While the links are in flight: remove 2% of the trackers (and what depends on them may fail).
  await new Promise((r) => setImmediate(r));
  const removed = new Set<number>();
  for (let i = 0; i < N; i++) if (random() < 0.02) removed.add(i);
  const removals = [...removed].map((i) => trackers[i]!.remove());
  const outcomes = await Promise.all(lookups);
  await Promise.all(removals);

  // Objects that reach a removed one may fail; nothing else may.
  const touchesRemoved = (start: number): boolean => {
    const seen = new Set<number>([start]);
    const stack = [start];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (removed.has(i)) return true;
      for (const r of refsOf[i]!) {
        if (seen.has(r)) continue;
        seen.add(r);
        stack.push(r);
      }
    }
    return false;
  };
  const wrong: string[] = [];
  for (let i = 0; i < N; i++) {
    if (doomed.has(i) && outcomes[i] === 'ok') wrong.push(`r${seed}_${i} linked although it reaches a fault`);
    if (!doomed.has(i) && !touchesRemoved(i) && outcomes[i] !== 'ok') wrong.push(`r${seed}_${i} failed without a fault`);
  }
  expect(wrong).toEqual([]);

  await Promise.all(trackers.map((t) => t.remove()));
  expect(memory.inner.stats().liveAllocations).toBe(0);
  expect(memory.inner.stats().committedBytes).toBe(0);
  expect(memory.holding()).toEqual([]);
  for (const d of dylibs) expect(d.symbols.size).toBe(0);
  return {
    succeeded: outcomes.filter((o) => o === 'ok').length,
    failedByFault: [...doomed].filter((i) => outcomes[i] === 'failed').length,
    removedInFlight: removed.size,
  };
}

const codeRanges = v8CodeRanges();

test(`${N} interdependent links in ${DYLIBS} JITDylibs with random faults and removals in flight, ${ROUNDS} rounds: mappings and heap back to baseline`, async () => {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const memory = new FaultyMemoryManager(new InProcessMemoryManager());
  const session = new ExecutionSession();
  const reported: Error[] = [];
  session.errorReporter = (e) => reported.push(e);
  const layer = new ObjectLinkingLayer(session, { memoryManager: memory, registry });
  const dylibs = Array.from({ length: DYLIBS }, (_, d) => session.createJITDylib(`lib${d}`));
  for (const d of dylibs) d.setLinkOrder(dylibs);

  // The first round loads whatever the linker loads once (native code, caches): the baseline is after it.
  const first = await round(1, session, layer, memory, dylibs);
  expect(first.succeeded).toBeGreaterThan(N / 2);
  expect(first.failedByFault).toBeGreaterThan(0);
  const reserved = [...memory.inner.reservations];
  heapAfterGc(); // the first round's garbage (and the buffers it frees) out of the baseline
  await new Promise((resolve) => setTimeout(resolve, 50));
  const baselineMappings = nonHeapMappings(codeRanges).map((m) => m.line);
  const baselineRegions = memory.inner.stats().regions;
  const baselineHeap = heapAfterGc();
  for (let r = 2; r <= ROUNDS; r++) {
    const result = await round(r, session, layer, memory, dylibs);
    expect(result.succeeded).toBeGreaterThan(N / 2);
  }
  expect(mappingsIn(reserved)).toBeLessThanOrEqual(reserved.length); // only the PROT_NONE reservations
  expect(memory.inner.stats().regions).toBe(baselineRegions);
  // Every mapping but V8's and malloc's is as it was after the first round. Large
  // ArrayBuffers (a graph's edge columns) are malloc'd, so mmap'd on their own, and
  // V8 frees them after a full collection on a background thread; the kernel also
  // merges such anonymous read-write mappings with V8's neighbouring pages, so their
  // lines change. Read-write anonymous memory may therefore differ by a few MiB,
  // far less than a leak of anything per link (9 rounds of 1,000 links, a page
  // each: 36 MiB); any other added mapping is a failure.
  const addedMappings = () => nonHeapMappings(codeRanges).filter((m) => !baselineMappings.includes(m.line));
  const isPlainData = (m: { anonymous: boolean; perms: string }) => m.anonymous && m.perms === 'rw-p';
  const plainBytes = (ms: readonly { start: number; end: number; anonymous: boolean; perms: string }[]) =>
    ms.filter(isPlainData).reduce((sum, m) => sum + (m.end - m.start), 0);
  let added = addedMappings();
  for (let attempt = 0; added.length > 0 && attempt < 20; attempt++) {
    heapAfterGc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    added = addedMappings();
  }
  expect(added.filter((m) => !isPlainData(m)).map((m) => m.line)).toEqual([]);
  expect(plainBytes(added)).toBeLessThan(16 * 1024 * 1024);
  // Nine rounds of 1,000 graphs each leave nothing behind: a leak of one graph per link would be tens of MiB.
  expect(heapAfterGc() - baselineHeap).toBeLessThan(8 * 1024 * 1024);
  expect(reported.every((e) => e instanceof JITLinkError)).toBe(true);
  await session.endSession();
  await memory.inner.dispose();
  expect(mappingsIn(reserved)).toBe(0);
}, 300_000);
