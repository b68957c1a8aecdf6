/**
 * The GDB JIT interface of this process (Node has none: a generated shared
 * object provides it) and the perf files, read back as a debugger and perf
 * would read them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { JIT_CODE_CLOSE, JIT_CODE_LOAD, readJitdump } from '@jitlink/core';
import { JIT_DESCRIPTOR_SYMBOL, JIT_REGISTER_CODE_SYMBOL } from '@jitlink/elf';
import { GDB_JIT_MODULE_NAME, GDBJITInterface, nativeView, PerfSupport, SelfExecutorProcessControl } from '../src/index.js';
import { loadFromTemporaryFile } from '../src/gdb-jit.js';
import { getLibC } from '../src/native.js';

const scratch = mkdtempSync(join(tmpdir(), 'jitlink-executor-debugging-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('GDB JIT interface', () => {
  const gdb = GDBJITInterface.forThisProcess();

  test('Node has none, so a loaded module provides __jit_debug_register_code and __jit_debug_descriptor (version 1)', () => {
    // A memory file, opened by the path a debugger attached to this process opens.
    expect(gdb.providedBy).toBe(`/proc/${process.pid}/fd/${gdb.providedBy!.split('/').pop()}`);
    const module = readFileSync(gdb.providedBy!);
    expect(module.subarray(0, 4)).toEqual(Buffer.from('\x7fELF', 'latin1'));
    expect(module.includes(`\0${JIT_REGISTER_CODE_SYMBOL}\0${JIT_DESCRIPTOR_SYMBOL}\0`)).toBe(true);
    // In the link map, where debuggers look for the symbols.
    expect(readFileSync('/proc/self/maps', 'utf8')).toContain(`/memfd:${GDB_JIT_MODULE_NAME}`);
    expect(gdb.state()).toEqual({ version: 1, action: 0, relevant: 0 });
    expect(GDBJITInterface.forThisProcess()).toBe(gdb);
  });

  test('without memory files, the module is written to a temporary file and loaded from there', () => {
    // A second copy of the module, loaded with local symbols: the process's interface stays the first.
    const image = new Uint8Array(readFileSync(gdb.providedBy!));
    const libc = getLibC();
    const loaded = loadFromTemporaryFile(libc, image);
    try {
      expect(loaded.path.startsWith(tmpdir())).toBe(true);
      expect(new Uint8Array(readFileSync(loaded.path))).toEqual(image);
      expect(loaded.handle).not.toBe(0);
      expect(libc.dlsym(loaded.handle, JIT_DESCRIPTOR_SYMBOL)).not.toBe(0);
      expect(libc.dlsym(loaded.handle, JIT_REGISTER_CODE_SYMBOL)).not.toBe(0);
      expect(GDBJITInterface.forThisProcess()).toBe(gdb);
    } finally {
      rmSync(dirname(loaded.path), { recursive: true, force: true });
    }
  });

  test('entries are linked first-in-list, copied to native memory, and unlinked from anywhere in the list', () => {
    const objects = [1, 2, 3].map((n) => new Uint8Array(16 * n).fill(n));
    const [a, b, c] = objects.map((o) => gdb.register(o));
    // What a debugger reads: newest first, each entry's bytes as given.
    expect(gdb.entries().map((e) => e.entry)).toEqual([c!.entry, b!.entry, a!.entry]);
    for (const [i, e] of [a!, b!, c!].entries()) {
      expect(e.symfileSize).toBe(objects[i]!.length);
      expect(nativeView(e.symfileAddress, e.symfileSize)).toEqual(objects[i]);
    }
    // The last action names the last entry; the flag is back to JIT_NOACTION after the call.
    expect(gdb.state()).toEqual({ version: 1, action: 0, relevant: c!.entry });
    gdb.deregister(b!);
    expect(gdb.entries().map((e) => e.entry)).toEqual([c!.entry, a!.entry]);
    expect(gdb.state().relevant).toBe(b!.entry);
    gdb.deregister(c!);
    expect(gdb.entries().map((e) => e.entry)).toEqual([a!.entry]);
    gdb.deregister(a!);
    gdb.deregister(a!); // twice is harmless
    expect(gdb.entries()).toEqual([]);
  });

  test('the in-process executor takes out what it registered when disposed', async () => {
    const executor = new SelfExecutorProcessControl();
    const kept = await executor.registerDebugObject(new Uint8Array([1, 2, 3]), 'a.o');
    await executor.registerDebugObject(new Uint8Array([4]), 'b.o');
    expect(gdb.entries()).toHaveLength(2);
    await kept.deregister();
    expect(gdb.entries()).toHaveLength(1);
    await executor.dispose();
    expect(gdb.entries()).toEqual([]);
  });
});

describe('PerfSupport', () => {
  test('perf map lines and a jitdump file where LLVM puts it (JITDUMPDIR), closed with JIT_CODE_CLOSE', () => {
    const base = join(scratch, 'jitdumpdir');
    const perfMapPath = join(scratch, 'perf-test.map');
    const perf = new PerfSupport({ env: { JITDUMPDIR: base }, perfMapPath });
    const code = new Uint8Array([0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3]);
    perf.register([
      { name: 'f', address: 0x7f0000001000, size: 6, code },
      { name: 'g', address: 0x7f0000001010, size: 1, code: new Uint8Array([0xc3]) },
    ]);
    perf.register([{ name: 'h', address: 0x7f0000002000, size: 1, code: new Uint8Array([0xc3]) }]);
    expect(readFileSync(perfMapPath, 'utf8')).toBe('7f0000001000 6 f\n7f0000001010 1 g\n7f0000002000 1 h\n');
    const path = perf.jitdumpPath!;
    expect(path).toMatch(new RegExp(`^${base}/\\.debug/jit/llvm-IR-jit-\\d{8}-\\w+/jit-${process.pid}\\.dump$`));
    // perf record notices the file by its executable mapping.
    expect(readFileSync('/proc/self/maps', 'utf8')).toMatch(new RegExp(`r-xp .* ${path.replace(/\./g, '\\.')}\\n`));
    perf.close();
    expect(readFileSync('/proc/self/maps', 'utf8')).not.toContain(path);
    const dump = readJitdump(new Uint8Array(readFileSync(path)), path);
    expect(dump.header).toMatchObject({ version: 1, pid: process.pid, elfMachine: process.arch === 'arm64' ? 183 : 62 });
    expect(dump.records.map((r) => r.id)).toEqual([JIT_CODE_LOAD, JIT_CODE_LOAD, JIT_CODE_LOAD, JIT_CODE_CLOSE]);
    expect(dump.records[0]!.load).toEqual({ pid: process.pid, tid: process.pid, vma: 0x7f0000001000n, address: 0x7f0000001000n, codeIndex: 0n, name: 'f', code });
    expect(dump.records.slice(0, 3).map((r) => [r.load!.name, r.load!.codeIndex])).toEqual([['f', 0n], ['g', 1n], ['h', 2n]]);
    expect(readdirSync(join(base, '.debug', 'jit'))).toHaveLength(1);
  });
});
