/**
 * End to end: relocatable objects from the test corpus, built by gcc and
 * clang, linked by the ELF and x86-64 packages into this process and run.
 */
import { closeSync, openSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { file, needs } from '@jitlink/test-support';
import { tmpdir } from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import { createElfLinkGraph } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { link, type JITLinkAllocation, type JITLinkContext, type LinkGraph } from '@jitlink/core';
import { InProcessMemoryManager, ProcessSymbols, TWO_GIB, flushCStdio, runAsMain } from '../src/index.js';
import { isX64Linux, permsAt, x64Linux } from './helpers.js';

const corpus = path.resolve(__dirname, '../../../test-corpus');
const describeCorpus = needs(x64Linux, file(path.join(corpus, 'obj/gcc/O2-pic-small/args/args.o'))).describe;

const libc = isX64Linux ? koffi.load('libc.so.6') : undefined;
const dup = libc?.func('int dup(int)');
const dup2 = libc?.func('int dup2(int, int)');
const close = libc?.func('int close(int)');

/** Runs `fn` with file descriptor 1 (shared by C stdio and Node) sent to a file; returns what was written. */
function captureStdout<T>(fn: () => T): { result: T; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'jitlink-stdout-'));
  const file = path.join(dir, 'out');
  const fd = openSync(file, 'w');
  flushCStdio();
  const saved = dup!(1) as number;
  try {
    dup2!(fd, 1);
    const result = fn();
    flushCStdio();
    return { result, output: readFileSync(file, 'utf8') };
  } finally {
    dup2!(saved, 1);
    close!(saved);
    closeSync(fd);
    rmSync(dir, { recursive: true });
  }
}

async function linkObject(
  file: string,
  manager: InProcessMemoryManager,
): Promise<{ graph: LinkGraph; allocation: JITLinkAllocation }> {
  const graph = createElfLinkGraph(readFileSync(file), x86_64Elf, { name: path.basename(file) });
  const symbols = new ProcessSymbols();
  let allocation: JITLinkAllocation | undefined;
  let failure: Error | undefined;
  const ctx: JITLinkContext = {
    getMemoryManager: () => manager,
    lookup: async (request) => {
      symbols.loadLibrariesFor(request.keys());
      return symbols.resolve(request);
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
    modifyPassConfig: () => {},
  };
  await link(graph, ctx, x86_64Elf.target);
  if (failure) throw failure;
  return { graph, allocation: allocation! };
}

function symbolAddress(graph: LinkGraph, name: string): number {
  for (const section of graph.sections())
    for (const sym of section.symbols) if (sym.name === name) return sym.address;
  throw new Error(`${name} not in ${graph.name}`);
}

describeCorpus('test-corpus programs run in this process', () => {
  const expected = readFileSync(path.join(corpus, 'expected/args.stdout'), 'utf8');
  let manager: InProcessMemoryManager;
  afterEach(async () => {
    await manager.dispose();
  });

  it.each(['gcc/O2-pic-small', 'clang-19/O0-pie-small', 'gcc/O0-nopic-small', 'clang-19/O2-nopic-small'])(
    'args.o (%s) prints its arguments and returns 9',
    async (variant) => {
      manager = new InProcessMemoryManager();
      const { graph, allocation } = await linkObject(
        path.join(corpus, 'obj', variant, 'args/args.o'),
        manager,
      );
      const main = symbolAddress(graph, 'main');
      expect(permsAt(main)).toBe('r-xp');
      if (graph.requiresLow32BitAddresses) expect(main).toBeLessThan(TWO_GIB);
      const { result, output } = captureStdout(() => runAsMain(main, ['args', 'a', 'b', 'c']));
      expect(output).toBe(expected);
      expect(result).toBe(9);
      await allocation.deallocate();
    },
  );
});
