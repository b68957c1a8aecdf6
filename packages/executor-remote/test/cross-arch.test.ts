/**
 * The executor as a process of another architecture: the AArch64 build of
 * jitlink-executor under qemu-aarch64, driven from this x86-64 process.
 * Code is placed through the memory manager (an AArch64 function, as bytes),
 * symbols resolve in that process, and calls run there. The same test runs
 * against the x86-64 executors with an x86-64 function.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemLifetime, MemProt, allocGroup } from '@jitlink/core';
import { spawnExecutor, type RemoteExecutorProcessControl } from '../src/index.js';
import { corpus, corpusProgram, expectedOf, haveLlvmExecutor, haveOurExecutor, isX64Linux, LLVM_EXECUTOR, OUR_AARCH64_EXECUTOR, OUR_EXECUTOR, requirement } from './helpers.js';
import { needs } from '@jitlink/test-support';

const RX = allocGroup(MemProt.Read | MemProt.Exec, MemLifetime.Standard);
const RW = allocGroup(MemProt.Read | MemProt.Write, MemLifetime.Standard);

/** `int f(int x) { return x + 1; }` */
const ADD_ONE: Record<string, number[]> = {
  // add w0, w0, #1; ret
  aarch64: [0x00, 0x04, 0x00, 0x11, 0xc0, 0x03, 0x5f, 0xd6],
  // lea eax, [rdi + 1]; ret
  x86_64: [0x8d, 0x47, 0x01, 0xc3],
};

async function placeAndCall(control: RemoteExecutorProcessControl, arch: string): Promise<void> {
  const code = ADD_ONE[arch]!;
  const allocation = await control.memoryManager.allocate(undefined, {
    graphName: 'add-one',
    segments: [
      { group: RX, alignment: 16, contentSize: code.length, zeroFillSize: 0 },
      { group: RW, alignment: 8, contentSize: 8, zeroFillSize: 4096 },
    ],
  });
  allocation.getWorkingMemory(RX).set(code);
  await allocation.finalize([]);
  const fn = allocation.getTargetMemory(RX);
  expect(await control.runAsIntFunction(fn, 41)).toBe(42);
  expect(await control.runAsIntFunction(fn, -1)).toBe(0);
  // libc of the executor's process resolves there (abs(-7) = 7).
  const abs = (await control.lookupSymbols(['abs'])).get('abs')!;
  expect(await control.runAsIntFunction(abs, -7)).toBe(7);
  await allocation.deallocate();
}

const qemuOk = requirement(
  isX64Linux && existsSync('/usr/bin/qemu-aarch64') && existsSync('/usr/aarch64-linux-gnu/lib') && existsSync(OUR_AARCH64_EXECUTOR),
  `needs qemu-aarch64 (qemu-user), /usr/aarch64-linux-gnu (libc6-dev-arm64-cross) and ${OUR_AARCH64_EXECUTOR} (npm run build with aarch64-linux-gnu-gcc)`,
);

needs(qemuOk).describe('jitlink-executor for AArch64 under qemu-aarch64', () => {
  it.each(['copy', 'shared'] as const)('announces aarch64, places an AArch64 function and runs it (%s memory)', async (memory) => {
    const { control, child } = await spawnExecutor(OUR_AARCH64_EXECUTOR, { stdio: 'pipe', useSharedMemory: memory === 'shared' });
    try {
      expect(control.triple).toBe('aarch64-unknown-linux-gnu');
      expect(control.pageSize).toBeGreaterThanOrEqual(4096);
      await placeAndCall(control, 'aarch64');
    } finally {
      await control.dispose();
    }
    expect(child!.exitCode).toBe(0);
  });

  it('refuses a segment that is writable and executable at once', async () => {
    const { control } = await spawnExecutor(OUR_AARCH64_EXECUTOR, { stdio: 'pipe' });
    try {
      const rwx = allocGroup(MemProt.Read | MemProt.Write | MemProt.Exec, MemLifetime.Standard);
      const a = await control.memoryManager.allocate(undefined, { graphName: 'rwx', segments: [{ group: rwx, alignment: 4, contentSize: 4, zeroFillSize: 0 }] });
      await expect(a.finalize([])).rejects.toThrow(/finalize of rwx failed: segment would be writable and executable at once/);
      await a.deallocate();
    } finally {
      await control.dispose();
    }
  });
});

const crossOk = requirement(
  qemuOk.available() && existsSync('/usr/bin/aarch64-linux-gnu-gcc') && existsSync('/usr/bin/llvm-jitlink-19'),
  'needs aarch64-linux-gnu-gcc and llvm-jitlink-19 besides qemu-aarch64',
);

needs(crossOk).describe('llvm-jitlink-19 on x86-64 linking AArch64 objects into jitlink-executor under qemu', () => {
  // Single-object programs, compiled here from the corpus sources by the cross compiler.
  it.each(['hello', 'bss_big'])('%s', (name) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitlink-a64-'));
    try {
      const object = path.join(dir, `${name}.o`);
      const cc = spawnSync('aarch64-linux-gnu-gcc', ['-O2', '-fPIC', '-c', path.join(corpus, 'src', `${name}.c`), '-o', object], { encoding: 'utf8', timeout: 60_000 });
      expect(cc.stderr).toBe('');
      const run = spawnSync('/usr/bin/llvm-jitlink-19', [`--oop-executor=${OUR_AARCH64_EXECUTOR}`, object], { encoding: 'utf8', timeout: 120_000 });
      const expected = expectedOf(corpusProgram(name));
      expect(run.stdout).toBe(expected.stdout);
      expect(run.status).toBe(expected.exit);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

for (const [label, executorPath, ok] of [
  ['jitlink-executor', OUR_EXECUTOR, isX64Linux && haveOurExecutor],
  ['llvm-jitlink-executor', LLVM_EXECUTOR, isX64Linux && haveLlvmExecutor],
] as const) {
  needs(requirement(ok, `needs ${executorPath}`)).describe(`${label} (x86-64)`, () => {
    it.each(['copy', 'shared'] as const)('places an x86-64 function and runs it (%s memory)', async (memory) => {
      const { control } = await spawnExecutor(executorPath, { stdio: 'pipe', useSharedMemory: memory === 'shared' });
      try {
        expect(control.triple).toMatch(/^x86_64-/);
        await placeAndCall(control, 'x86_64');
      } finally {
        await control.dispose();
      }
    });
  });
}
