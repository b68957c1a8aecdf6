/**
 * Stress: 500 objects with random cross-object references (cycles included)
 * spread over several JITDylibs, linked into real process memory through
 * concurrent lookups; every symbol becomes Ready and every mapping is
 * released when the trackers are removed.
 */
import { readFileSync } from 'node:fs';
import { BackendRegistry, LinkGraph, Linkage, MemProt, Scope, type TargetAddress } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { X86_64EdgeKinds } from '@jitlink/arch-x86-64';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { InProcessMemoryManager, readMemory } from '@jitlink/executor';
import { prng } from '@jitlink/test-support';
import { ExecutionSession, ObjectLinkingLayer, SymbolState, type JITDylib, type ResourceTracker } from '../src/index.js';

function objectGraph(i: number, refs: number[]): LinkGraph {
  const g = new LinkGraph({ name: `obj${i}.o`, triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness: 'little', getEdgeKindName: x86_64Elf.getEdgeKindName });
  const text = g.createSection('.text', MemProt.Read | MemProt.Exec);
  const data = g.createSection('.data', MemProt.Read | MemProt.Write);
  const code = g.createContentBlock(text, new Uint8Array([0xc3]), 0, 16, 0);
  g.addDefinedSymbol(code, 0, `f${i}`, 1, Linkage.Strong, Scope.Default, true, false);
  const table = g.createContentBlock(data, new Uint8Array(8 * Math.max(1, refs.length)), 0, 8, 0);
  g.addDefinedSymbol(table, 0, `t${i}`, table.size, Linkage.Strong, Scope.Default, false, false);
  refs.forEach((r, k) => {
    const target = r === i ? [...g.definedSymbols()][0]! : g.findExternalSymbol(`f${r}`) ?? g.addExternalSymbol(`f${r}`, 0);
    table.addEdge(X86_64EdgeKinds.Pointer64, 8 * k, target, 0);
  });
  return g;
}

/** Mappings of this process that overlap [start, end). */
function mappingsIn(ranges: readonly { start: number; end: number }[]): number {
  let count = 0;
  for (const line of readFileSync('/proc/self/maps', 'utf8').trimEnd().split('\n')) {
    const [lo, hi] = line.split(' ')[0]!.split('-').map((h) => parseInt(h, 16)) as [number, number];
    if (ranges.some((r) => lo < r.end && hi > r.start)) count++;
  }
  return count;
}

test('500 interdependent objects in 4 JITDylibs link concurrently, reach Ready, and release all memory', async () => {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const memory = new InProcessMemoryManager();
  const session = new ExecutionSession();
  const layer = new ObjectLinkingLayer(session, { memoryManager: memory, registry });
  const dylibs: JITDylib[] = [0, 1, 2, 3].map((d) => session.createJITDylib(`lib${d}`));
  for (const d of dylibs) d.setLinkOrder(dylibs);
  const trackers: ResourceTracker[] = [];
  const random = prng(42);
  const N = 500;
  const refsOf: number[][] = [];
  for (let i = 0; i < N; i++) {
    const refs = Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * N));
    if (i > 0 && random() < 0.2) refs.push(i - 1); // chains...
    if (i < N - 1 && random() < 0.2) refs.push(i + 1); // ...and cycles
    refsOf.push(refs);
    const dylib = dylibs[i % dylibs.length]!;
    const tracker = dylib.createResourceTracker();
    trackers.push(tracker);
    layer.add(dylib, objectGraph(i, refs), { tracker });
  }

  // Concurrent lookups from every dylib.
  const lookups = dylibs.map((d, k) => session.lookup([d, ...dylibs.filter((x) => x !== d)], Array.from({ length: N / 4 }, (_, j) => `t${j * 4 + k}`)));
  const results = await Promise.all(lookups);
  const tables = new Map<string, TargetAddress>();
  for (const r of results) for (const [n, a] of r) tables.set(n, a);
  expect(tables.size).toBe(N);

  // Every symbol Ready, and every table holds the addresses of the functions it refers to.
  const fAddr = (i: number) => dylibs[i % 4]!.symbols.get(`f${i}`)!.address;
  for (let i = 0; i < N; i++) {
    const entry = dylibs[i % 4]!.symbols.get(`t${i}`)!;
    expect(entry.state).toBe(SymbolState.Ready);
    const bytes = readMemory(tables.get(`t${i}`)!, 8 * refsOf[i]!.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    refsOf[i]!.forEach((r, k) => expect(Number(view.getBigUint64(8 * k, true))).toBe(fAddr(r)));
  }
  expect(memory.stats().liveAllocations).toBe(N);
  const reserved = [...memory.reservations];
  // Code, data and guard ranges with different protections: many mappings inside the reservation.
  expect(mappingsIn(reserved)).toBeGreaterThan(N);

  await Promise.all(trackers.map((t) => t.remove()));
  expect(memory.stats().liveAllocations).toBe(0);
  expect(memory.stats().committedBytes).toBe(0);
  expect(mappingsIn(reserved)).toBeLessThanOrEqual(reserved.length); // only the PROT_NONE reservations
  await memory.dispose();
  expect(mappingsIn(reserved)).toBe(0);
}, 120_000);
