/**
 * ObjectLinkingLayer.decoder: archive members decoded ahead (here by a
 * scripted decoder on this thread, one object at a time, each finishing in a
 * host task of its own, as a worker's message arrives) are linked as without
 * it: the same units in the same order, the same graphs.
 */
import { readFileSync } from 'node:fs';
import { BackendRegistry, parseArchive, printLinkGraph, SlabMemoryManager, type ArchiveMember, type LinkGraph } from '@jitlink/core';
import { createElfBackend, decodeElf } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { debianLibrary, needs } from '@jitlink/test-support';
import { ExecutionSession, ObjectLinkingLayer, PhonyExternalsGenerator, StaticLibraryDefinitionGenerator, type ObjectDecoder } from '../src/index.js';

const libz = debianLibrary('libz.a');

/** Decodes what it is asked to in the next host task after the first request (as a worker whose message arrives then). */
class ScriptedDecoder implements ObjectDecoder {
  private readonly jobs = new Map<object, { name: string; read: () => Uint8Array; state: 'queued' | 'running' | 'done'; done?: Promise<void>; result?: { bytes: Uint8Array; decoded: ReturnType<typeof decodeElf> } }>();
  private readonly queue: object[] = [];
  private busy = false;
  readonly used: string[] = [];

  /** `atOnce`: decode each object when asked (a worker far ahead of the link). */
  constructor(private readonly atOnce = false) {}

  prefetch(key: object, name: string, read: () => Uint8Array): void {
    if (this.jobs.has(key)) return;
    this.jobs.set(key, { name, read, state: 'queued' });
    this.queue.push(key);
    if (this.atOnce) this.decodeQueued();
    else this.next();
  }

  settled(key: object): Promise<void> | undefined {
    const job = this.jobs.get(key);
    return job?.state === 'running' ? job.done : undefined;
  }

  queued(key: object): boolean {
    return this.jobs.get(key)?.state === 'queued';
  }

  take(key: object) {
    const job = this.jobs.get(key);
    this.jobs.delete(key);
    if (job?.state === 'queued') this.queue.splice(this.queue.indexOf(key), 1);
    if (job?.state !== 'done') return undefined;
    this.used.push(job.name);
    return job.result;
  }

  /** Starts the first queued object; it and those queued by then finish in the next host task. */
  private next(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    // (Only the first is 'running': the others stay queued, free for the linking thread to take back, until then.)
    const first = this.jobs.get(this.queue[0]!)!;
    first.state = 'running';
    first.done = new Promise((resolve) =>
      setImmediate(() => {
        this.decodeQueued();
        first.state = 'done';
        this.busy = false;
        resolve();
      }),
    );
  }

  private decodeQueued(): void {
    for (const key of this.queue.splice(0)) {
      const job = this.jobs.get(key);
      if (job === undefined) continue; // taken back meanwhile
      const bytes = job.read().slice();
      job.result = { bytes, decoded: decodeElf(bytes, job.name) };
      job.state = 'done';
    }
  }
}

async function linkAllOfLibz(decoder: ObjectDecoder | undefined, graphBudget?: number) {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const session = new ExecutionSession();
  session.errorReporter = () => undefined;
  const layer = new ObjectLinkingLayer(session, {
    memoryManager: new SlabMemoryManager({ size: 64 << 20, baseAddress: 0x1000_0000 }),
    registry,
    graphBudget,
    decoder,
  });
  const graphs = new Map<string, string>();
  layer.observer = { phase: (p, g: LinkGraph) => void (p === 'done' && graphs.set(g.name, printLinkGraph(g).replace(/0x[0-9a-f]{16}/g, '<address>'))) };
  const archive = parseArchive(new Uint8Array(readFileSync(libz.path)), 'libz.a');
  const lib = session.createJITDylib('zlib');
  lib.addGenerator(new StaticLibraryDefinitionGenerator(layer, archive));
  lib.addGenerator(new PhonyExternalsGenerator());
  // One name of each member: one wave of every member.
  const names = archive.members.map((m: ArchiveMember) => [...archive.symbolIndex.entries()].find(([, member]) => member === m)?.[0]).filter((n): n is string => n !== undefined);
  expect(names.length).toBeGreaterThan(10);
  await session.lookup([lib], names);
  return { units: [...lib.symbols.entries()].map(([name, s]) => `${name} ${s.record?.unit.name}`), graphs };
}

describe('ObjectLinkingLayer.decoder', () => {
  needs(libz).test('every member of libz.a in one wave: the same units, the same graphs', async () => {
    const without = await linkAllOfLibz(undefined);
    const decoder = new ScriptedDecoder();
    const withDecoder = await linkAllOfLibz(decoder);
    // Registered in another order: from the graphs the wave builds, not from the members' symbol tables
    // (and the externals in the order of links that ran in another order).
    expect([...withDecoder.units].sort()).toEqual([...without.units].sort());
    expect(new Map([...withDecoder.graphs].sort())).toEqual(new Map([...without.graphs].sort()));
    // The first member came decoded, and so did others while this thread built members from the back.
    expect(decoder.used.length).toBeGreaterThan(1);
    expect(decoder.used.length).toBeLessThan(without.graphs.size);
  });

  needs(libz).test('beyond the graph budget: members registered from their definitions are built from what was decoded ahead', async () => {
    const without = await linkAllOfLibz(undefined, 0);
    const decoderAhead = new ScriptedDecoder(true);
    const withDecoder = await linkAllOfLibz(decoderAhead, 0);
    expect(withDecoder.units).toEqual(without.units);
    expect(new Map([...withDecoder.graphs].sort())).toEqual(new Map([...without.graphs].sort()));
    expect(decoderAhead.used.length).toBe(without.graphs.size);
  });
});
