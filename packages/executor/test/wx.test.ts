/**
 * W^X in process: while corpus objects are linked (after allocation, before
 * and after fixups) and once they are finalized, no mapping inside the
 * memory manager's reservations is both writable and executable, and every
 * writable-and-executable mapping of this process lies in V8's own code
 * range (found before anything is linked), for each in-process manager.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { file, isWritableExecutable, mappingsOverlapping, needs, readMaps, v8CodeRanges, type Mapping } from '@jitlink/test-support';
import { createElfLinkGraph } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { link, type JITLinkAllocation, type JITLinkContext } from '@jitlink/core';
import { DualMappedMemoryManager, InProcessMemoryManager, ProcessSymbols } from '../src/index.js';
import { x64Linux } from './helpers.js';

const corpus = path.resolve(__dirname, '../../../test-corpus/obj/clang-19/O2-pic-small');
const OBJECTS = ['hello/hello.o', 'args/args.o', 'bss_big/bss_big.o', 'cxx/shapes.o', 'cxx/registry.o', 'ctors/ctors_main.o'];
const describeWx = needs(x64Linux, file(path.join(corpus, 'hello/hello.o'))).describe;

/** V8's code range, found before this file links anything. */
const v8Code = v8CodeRanges();

type Manager = InProcessMemoryManager | DualMappedMemoryManager;

/** Writable-and-executable mappings: those in the manager's reservations, and those outside V8's code range. */
function scan(manager: Manager, when: string, found: string[]): void {
  const maps = readMaps();
  const wx = maps.filter(isWritableExecutable);
  for (const m of mappingsOverlapping(wx, manager.reservations)) found.push(`${when}: linker mapping ${m.line}`);
  const outsideV8 = wx.filter((m: Mapping) => !v8Code.some((r) => m.start >= r.start && m.end <= r.end));
  for (const m of outsideV8) found.push(`${when}: outside V8's code range ${m.line}`);
}

async function linkScanning(file: string, manager: Manager, found: string[]): Promise<JITLinkAllocation> {
  const name = path.basename(file);
  const graph = createElfLinkGraph(readFileSync(file), x86_64Elf, { name });
  const symbols = new ProcessSymbols();
  // Names the process does not define (the other objects of a program, __dso_handle) resolve to an
  // address in the manager's memory, within reach of PC-relative references: linked, never run.
  const stand = manager.createDsoHandle();
  let allocation: JITLinkAllocation | undefined;
  let failure: Error | undefined;
  const ctx: JITLinkContext = {
    getMemoryManager: () => manager,
    lookup: async (request) => {
      symbols.loadLibrariesFor(request.keys());
      const found = symbols.resolve(new Map([...request].filter(([n]) => n !== '__dso_handle')));
      for (const n of request.keys()) if (!found.has(n)) found.set(n, stand);
      return found;
    },
    notifyResolved: () => {},
    notifyFinalized: (a) => {
      allocation = a;
    },
    notifyFailed: (e) => {
      failure = e;
    },
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    modifyPassConfig: (_g, config) => {
      config.postAllocationPasses.push(() => scan(manager, `${name} after allocation`, found));
      config.preFixupPasses.push(() => scan(manager, `${name} before fixups`, found));
      config.postFixupPasses.push(() => scan(manager, `${name} after fixups`, found));
    },
  };
  await link(graph, ctx, x86_64Elf.target);
  if (failure) throw failure;
  scan(manager, `${name} finalized`, found);
  return allocation!;
}

describeWx('no page is writable and executable in the linker’s memory', () => {
  test('V8 keeps its code in a range of its own that this test can tell apart', () => {
    // Found from V8's rwx pages before any link; when V8 has none (write-protected code), the checks below are stricter.
    for (const r of v8Code) expect(r.end - r.start).toBeGreaterThanOrEqual(64 * 1024 * 1024);
  });

  test.each<[string, () => Manager]>([
    ['InProcessMemoryManager (mapped working memory)', () => new InProcessMemoryManager()],
    ['InProcessMemoryManager (copied working memory)', () => new InProcessMemoryManager({ workingMemory: 'copied' })],
    ['DualMappedMemoryManager', () => new DualMappedMemoryManager()],
  ])('%s: during and after links', async (_label, create) => {
    const manager = create();
    const found: string[] = [];
    const allocations: JITLinkAllocation[] = [];
    for (const object of OBJECTS) allocations.push(await linkScanning(path.join(corpus, object), manager, found));
    // Code was placed: some mapping in the reservations is executable (and not writable).
    expect(mappingsOverlapping(readMaps(), manager.reservations).some((m) => m.perms[2] === 'x')).toBe(true);
    for (const a of allocations) await a.deallocate();
    scan(manager, 'after deallocation', found);
    await manager.dispose();
    expect(found).toEqual([]);
  });
});
