/**
 * W^X out of process: while corpus objects are linked into an executor
 * (after allocation, before and after fixups), once they are finalized and
 * after one has run, the executor process has no mapping that is both
 * writable and executable — none at all, with copied or shared memory, for
 * this project's executor and LLVM's. With shared memory, the linker's own
 * view of the pages is never executable either.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { file, have, isWritableExecutable, needs, readMaps } from '@jitlink/test-support';
import { createElfLinkGraph } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { link, type JITLinkContext, type LinkGraph } from '@jitlink/core';
import type { RemoteExecutorProcessControl } from '../src/index.js';
import { corpus, isX64Linux, LLVM_EXECUTOR, OUR_EXECUTOR, requirement, startExecutor } from './helpers.js';

const objects = path.join(corpus, 'obj/clang-19/O2-pic-small');
const OBJECTS = ['hello/hello.o', 'args/args.o', 'bss_big/bss_big.o', 'cxx/shapes.o'];
const describeWx = needs(requirement(isX64Linux, 'needs x86-64 Linux'), file(path.join(objects, 'hello/hello.o'))).describe;

/** Writable-and-executable mappings of the executor; with shared memory, executable mappings of the shared pages in this process. */
function scan(pid: number, when: string, found: string[], shared?: Set<string>): void {
  for (const m of readMaps(pid).filter(isWritableExecutable)) found.push(`${when}: executor mapping ${m.line}`);
  for (const m of readMaps().filter((x) => x.name.startsWith('/dev/shm/'))) {
    shared?.add(m.name);
    if (m.perms[2] === 'x') found.push(`${when}: linker's view of shared memory ${m.line}`);
  }
}

async function linkScanning(control: RemoteExecutorProcessControl, pid: number, object: string, found: string[], shared: Set<string>): Promise<LinkGraph> {
  const name = path.basename(object);
  const graph = createElfLinkGraph(readFileSync(object), x86_64Elf, { name });
  const stand = (await control.lookupSymbols(['abort'])).get('abort')!;
  let failure: Error | undefined;
  const ctx: JITLinkContext = {
    getMemoryManager: () => control.memoryManager,
    lookup: async (request) => {
      const found = await control.lookupSymbols([...request.keys()]);
      // Names the executor does not define (another object's) resolve to one of its functions: linked, not called.
      for (const n of request.keys()) if (!found.has(n)) found.set(n, stand);
      return found;
    },
    notifyResolved: () => {},
    notifyFinalized: () => {},
    notifyFailed: (e) => {
      failure = e;
    },
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    modifyPassConfig: (_g, config) => {
      config.postAllocationPasses.push(() => scan(pid, `${name} after allocation`, found, shared));
      config.preFixupPasses.push(() => scan(pid, `${name} before fixups`, found, shared));
      config.postFixupPasses.push(() => scan(pid, `${name} after fixups`, found, shared));
    },
  };
  await link(graph, ctx, x86_64Elf.target);
  if (failure) throw failure;
  scan(pid, `${name} finalized`, found);
  return graph;
}

describeWx('the executor process never has a writable and executable page', () => {
  test.each([
    ['jitlink-executor', 'copied', OUR_EXECUTOR],
    ['jitlink-executor', 'shared', OUR_EXECUTOR],
    ['llvm-jitlink-executor', 'copied', LLVM_EXECUTOR],
    ['llvm-jitlink-executor', 'shared', LLVM_EXECUTOR],
  ])('%s, %s memory: during and after links, and after a run', async (_label, memory, executor) => {
    const useSharedMemory = memory === 'shared';
    if (!have(file(executor))) return;
    const started = await startExecutor(executor, { useSharedMemory });
    const pid = started.child!.pid!;
    const found: string[] = [];
    const shared = new Set<string>();
    try {
      scan(pid, 'before linking', found);
      const graphs: LinkGraph[] = [];
      for (const o of OBJECTS) graphs.push(await linkScanning(started.control, pid, path.join(objects, o), found, shared));
      // Code was placed: the executor has executable mappings besides its own binary's and libraries'.
      expect(readMaps(pid).some((m) => m.perms[2] === 'x' && (m.anonymous || m.name.startsWith('/dev/shm')))).toBe(true);
      const main = [...graphs[0]!.definedSymbols()].find((s) => s.name === 'main')!.address;
      expect(await started.control.runAsMain(main, ['hello'])).toBe(0);
      scan(pid, 'after running hello', found);
    } finally {
      await started.control.dispose();
    }
    expect(found).toEqual([]);
    // With shared memory the linker did write through a view of the executor's pages.
    expect(shared.size > 0).toBe(useSharedMemory);
  });
});
