/**
 * The GDB JIT interface of this process: debug objects (in-memory object
 * files) are linked into the list `__jit_debug_descriptor` heads, and
 * `__jit_debug_register_code` is called after each change, where a debugger
 * that watches the process has its breakpoint and reads the change.
 *
 * Node defines neither symbol. Where the process has none, a tiny shared
 * object that defines them (`writeJITDebugModule`, @jitlink/elf) is loaded
 * with dlopen, so that it is in the link map and debuggers find both symbols
 * the way they find any library's. Its bytes live in an anonymous memory file
 * (memfd_create) loaded as `/proc/<pid>/fd/<n>`, a path a debugger that
 * attaches to this process opens too; the file stays open until the process
 * exits. Nothing is written to disk, so nothing is left to remove at exit.
 * Only where that fails (no memfd_create, no /proc) is the object written to
 * a temporary directory, removed at exit.
 */
import { closeSync, mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { JITLinkError, type TargetAddress } from '@jitlink/core';
import {
  JIT_CODE_ENTRY_SIZE,
  JIT_DESCRIPTOR_SYMBOL,
  JIT_REGISTER_CODE_SYMBOL,
  JIT_REGISTER_FN,
  JIT_UNREGISTER_FN,
  writeJITDebugModule,
} from '@jitlink/elf';
import { callNative, getLibC, MFD_CLOEXEC, nativeView, RTLD_DEFAULT, type LibC } from './native.js';
import { nodeOS } from './node-os.js';

const RTLD_NOW = 0x2;

/** e_machine and return instruction of the hosts an in-process executor runs on. */
const HOST_MODULE: Record<string, { machine: number; registerCodeBody: number[] }> = {
  x64: { machine: 62, registerCodeBody: [0xc3] },
  arm64: { machine: 183, registerCodeBody: [0xc0, 0x03, 0x5f, 0xd6] },
};

/** A debug object in the debugger's list. */
export interface GDBJITEntry {
  /** Address of its `struct jit_code_entry`. */
  readonly entry: TargetAddress;
  /** Address and size of the object file's bytes. */
  readonly symfileAddress: TargetAddress;
  readonly symfileSize: number;
}

/** The name the memory file shows under in /proc/<pid>/maps (`/memfd:<name> (deleted)`). */
export const GDB_JIT_MODULE_NAME = 'libjitlink-gdb-jit.so';

function fail(detail: string): never {
  throw new JITLinkError('UnsupportedFeature', `GDB JIT interface: ${detail}`);
}

export class GDBJITInterface {
  private static instance: GDBJITInterface | undefined;
  private readonly live = new Set<TargetAddress>();

  private constructor(
    /** Address of `__jit_debug_descriptor`. */
    readonly descriptor: TargetAddress,
    /** Address of `__jit_debug_register_code`. */
    readonly registerCode: TargetAddress,
    /** The shared object loaded to provide them, if the process had none. */
    readonly providedBy: string | undefined,
  ) {}

  /** This process's interface: its own symbols if it has them, else the provided module's. */
  static forThisProcess(): GDBJITInterface {
    if (GDBJITInterface.instance) return GDBJITInterface.instance;
    const libc = getLibC();
    const descriptor = libc.dlsym(RTLD_DEFAULT, JIT_DESCRIPTOR_SYMBOL);
    const registerCode = libc.dlsym(RTLD_DEFAULT, JIT_REGISTER_CODE_SYMBOL);
    GDBJITInterface.instance =
      descriptor && registerCode ? new GDBJITInterface(descriptor, registerCode, undefined) : GDBJITInterface.loadModule();
    return GDBJITInterface.instance;
  }

  private static loadModule(): GDBJITInterface {
    const host = HOST_MODULE[process.arch] ?? fail(`no module for this architecture (${process.arch})`);
    const image = writeJITDebugModule({ machine: host.machine, registerCodeBody: Uint8Array.from(host.registerCodeBody) });
    const libc = getLibC();
    const loaded = loadFromMemoryFile(libc, image) ?? loadFromTemporaryFile(libc, image);
    const descriptor = libc.dlsym(loaded.handle, JIT_DESCRIPTOR_SYMBOL);
    const registerCode = libc.dlsym(loaded.handle, JIT_REGISTER_CODE_SYMBOL);
    if (!descriptor || !registerCode) fail(`${loaded.path} does not define ${JIT_DESCRIPTOR_SYMBOL} and ${JIT_REGISTER_CODE_SYMBOL}`);
    return new GDBJITInterface(descriptor, registerCode, loaded.path);
  }

  private descriptorView(): DataView {
    const bytes = nativeView(this.descriptor, 24);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The entries in the debugger's list, first to last (what a debugger would read). */
  entries(): GDBJITEntry[] {
    const out: GDBJITEntry[] = [];
    let entry = Number(this.descriptorView().getBigUint64(16, true));
    while (entry !== 0 && out.length <= this.live.size) {
      const e = new DataView(nativeView(entry, JIT_CODE_ENTRY_SIZE).buffer);
      out.push({ entry, symfileAddress: Number(e.getBigUint64(16, true)), symfileSize: Number(e.getBigUint64(24, true)) });
      entry = Number(e.getBigUint64(0, true));
    }
    return out;
  }

  /** The descriptor's version and action fields. */
  state(): { version: number; action: number; relevant: TargetAddress } {
    const d = this.descriptorView();
    return { version: d.getUint32(0, true), action: d.getUint32(4, true), relevant: Number(d.getBigUint64(8, true)) };
  }

  /**
   * Copies `object` into native memory, puts it first in the list and tells
   * the debugger (JIT_REGISTER_FN).
   */
  register(object: Uint8Array): GDBJITEntry {
    const libc = getLibC();
    const symfileAddress = libc.calloc(1, Math.max(object.length, 1));
    const entry = libc.calloc(1, JIT_CODE_ENTRY_SIZE);
    if (!symfileAddress || !entry) {
      if (symfileAddress) libc.free(symfileAddress);
      if (entry) libc.free(entry);
      throw new JITLinkError('AllocationFailed', `GDB JIT interface: no memory for a ${object.length}-byte debug object`);
    }
    nativeView(symfileAddress, object.length).set(object);
    const d = this.descriptorView();
    const first = d.getBigUint64(16, true);
    const e = new DataView(nativeView(entry, JIT_CODE_ENTRY_SIZE).buffer);
    e.setBigUint64(0, first, true); // next_entry
    e.setBigUint64(8, 0n, true); // prev_entry
    e.setBigUint64(16, BigInt(symfileAddress), true);
    e.setBigUint64(24, BigInt(object.length), true);
    if (first !== 0n) new DataView(nativeView(Number(first), JIT_CODE_ENTRY_SIZE).buffer).setBigUint64(8, BigInt(entry), true);
    d.setBigUint64(16, BigInt(entry), true);
    this.notify(entry, JIT_REGISTER_FN);
    this.live.add(entry);
    return { entry, symfileAddress, symfileSize: object.length };
  }

  /** Takes an entry out of the list, tells the debugger (JIT_UNREGISTER_FN) and frees it. */
  deregister(registered: GDBJITEntry): void {
    const { entry } = registered;
    if (!this.live.delete(entry)) return;
    const e = new DataView(nativeView(entry, JIT_CODE_ENTRY_SIZE).buffer);
    const next = e.getBigUint64(0, true);
    const prev = e.getBigUint64(8, true);
    if (prev !== 0n) new DataView(nativeView(Number(prev), JIT_CODE_ENTRY_SIZE).buffer).setBigUint64(0, next, true);
    else this.descriptorView().setBigUint64(16, next, true);
    if (next !== 0n) new DataView(nativeView(Number(next), JIT_CODE_ENTRY_SIZE).buffer).setBigUint64(8, prev, true);
    // The debugger reads the entry while it handles the call: free it after.
    this.notify(entry, JIT_UNREGISTER_FN);
    const libc = getLibC();
    libc.free(registered.symfileAddress);
    libc.free(entry);
  }

  private notify(entry: TargetAddress, action: number): void {
    const d = this.descriptorView();
    d.setBigUint64(8, BigInt(entry), true); // relevant_entry
    d.setUint32(4, action, true);
    callNative(this.registerCode, 'void (void)', []);
    d.setUint32(4, 0, true); // JIT_NOACTION
  }
}

interface LoadedModule {
  handle: number;
  path: string;
}

/**
 * The module loaded from an anonymous memory file, or undefined where the
 * kernel has no memfd_create or /proc is not mounted. The descriptor is never
 * closed: the path must stay valid for a debugger that attaches later.
 */
function loadFromMemoryFile(libc: LibC, image: Uint8Array): LoadedModule | undefined {
  const fd = libc.memfd_create(GDB_JIT_MODULE_NAME, MFD_CLOEXEC);
  if (fd < 0) return undefined;
  try {
    for (let written = 0; written < image.length; ) written += writeSync(fd, image, written);
  } catch {
    closeSync(fd);
    return undefined;
  }
  // /proc/self would name the debugger's own files when it reads the link map: the pid names ours.
  const path = `/proc/${process.pid}/fd/${fd}`;
  const handle = libc.dlopen(path, RTLD_NOW);
  if (handle) return { handle, path };
  closeSync(fd);
  return undefined;
}

/** The module written to a file of a temporary directory, removed at exit. Exported for its test. */
export function loadFromTemporaryFile(libc: LibC, image: Uint8Array): LoadedModule {
  const dir = mkdtempSync(join(nodeOS().tmpdir(), 'jitlink-gdb-jit-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, `libjitlink-gdb-jit-${process.pid}.so`);
  writeFileSync(path, image);
  const handle = libc.dlopen(path, RTLD_NOW);
  if (!handle) fail(`${path} could not be loaded: ${libc.dlerror() ?? 'dlopen failed'}`);
  return { handle, path };
}
