/**
 * In-process thread-local storage: a linked graph's TLS image becomes a tiny
 * shared object (`writeTLSModule` of @jitlink/elf) loaded with the system's
 * dlopen, so glibc owns the per-thread copies (see docs/ARCHITECTURE.md,
 * "Thread-local storage"). This module writes it to a temporary file, loads
 * it, and reports its module id and its static offset from the thread
 * pointer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';
import { JITLinkError } from '@jitlink/core';
import { cProto, getLibC, nativeView, RTLD_DEFAULT, toPointer } from './native.js';
import { writeTLSModule, type TLSModuleImage } from '@jitlink/elf';
import { nodeOS } from './node-os.js';

const RTLD_NOW = 0x2;
const RTLD_LOCAL = 0;
/** dlinfo request: the module id of the object's TLS block. */
const RTLD_DI_TLS_MODID = 9;

export interface LoadedTLSModule {
  /** The loader's module id (the first word of a TLSGD/TLSLD GOT pair). */
  moduleId: number;
  /** Offset of the block from the thread pointer (%fs:0), the same in every thread. */
  threadPointerOffset: number;
  /** dlcloses the module: the loader frees every thread's copy. */
  unload(): void;
}

interface TLSNative {
  dlopen(path: string, flags: number): number;
  dlclose(handle: number): number;
  dlerror(): string | null;
  dlinfo(handle: number, request: number, out: BigUint64Array): number;
  tlsGetAddr(index: BigUint64Array): number;
  pthreadSelf(): number;
}

let native: TLSNative | undefined;
function getNative(): TLSNative {
  if (native) return native;
  const lib = koffi.load('libc.so.6');
  // Versioned in ld.so (GLIBC_2.3): reached through dlsym rather than by name.
  const tlsGetAddr = getLibC().dlsym(RTLD_DEFAULT, '__tls_get_addr');
  if (!tlsGetAddr) throw new JITLinkError('UnsupportedFeature', 'this process has no __tls_get_addr');
  const tlsGetAddrProto = cProto('intptr_t (uint64_t *index)');
  native = {
    dlopen: lib.func('intptr_t dlopen(const char *path, int flags)') as TLSNative['dlopen'],
    dlclose: lib.func('int dlclose(intptr_t handle)') as TLSNative['dlclose'],
    dlerror: lib.func('const char *dlerror(void)') as TLSNative['dlerror'],
    dlinfo: lib.func('int dlinfo(intptr_t handle, int request, _Out_ uint64_t *out)') as TLSNative['dlinfo'],
    tlsGetAddr: (index) => koffi.call(toPointer(tlsGetAddr), tlsGetAddrProto, index) as number,
    // glibc x86-64: pthread_t is the thread control block, which %fs:0 points at.
    pthreadSelf: lib.func('uintptr_t pthread_self(void)') as TLSNative['pthreadSelf'],
  };
  return native;
}

let counter = 0;

/** Loads `image` as a TLS module of this process. */
export function loadTLSModule(image: TLSModuleImage, name: string): LoadedTLSModule {
  const n = getNative();
  const dir = mkdtempSync(join(nodeOS().tmpdir(), 'jitlink-tls-'));
  const path = join(dir, `tls-${process.pid}-${counter++}.so`);
  writeFileSync(path, writeTLSModule(image));
  let handle: number;
  try {
    handle = n.dlopen(path, RTLD_NOW | RTLD_LOCAL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!handle) {
    throw new JITLinkError('UnsupportedFeature', `${name}: the thread-local storage block could not be loaded: ${n.dlerror() ?? 'dlopen failed'}`);
  }
  const out = new BigUint64Array(1);
  if (n.dlinfo(handle, RTLD_DI_TLS_MODID, out) !== 0 || out[0] === 0n) {
    n.dlclose(handle);
    throw new JITLinkError('UnsupportedFeature', `${name}: the loader gave the thread-local storage block no module id`);
  }
  const moduleId = Number(out[0]);
  const block = n.tlsGetAddr(new BigUint64Array([out[0], 0n]));
  const threadPointerOffset = block - n.pthreadSelf();
  return {
    moduleId,
    threadPointerOffset,
    unload: () => void n.dlclose(handle),
  };
}

/** A loaded library's TLS block in this thread: its module id and where this thread's copy lies. */
interface LibraryTLSBlock {
  moduleId: number;
  start: number;
  size: number;
}

const PT_TLS = 7;
type IteratePhdr = (cb: unknown, data: null) => number;
let iteratePhdr: IteratePhdr | undefined;
// Made when first used: importing the package loads no native code.
const phdrCallbackProto = () => cProto('int (void *info, size_t size, void *data)');

/** Every loaded object's TLS block allocated in this thread (dl_iterate_phdr's dlpi_tls_modid / dlpi_tls_data). */
function libraryTLSBlocks(): LibraryTLSBlock[] {
  iteratePhdr ??= koffi.load('libc.so.6').func('dl_iterate_phdr', 'int', [koffi.pointer(phdrCallbackProto()), 'void *']) as unknown as IteratePhdr;
  const blocks: LibraryTLSBlock[] = [];
  const callback = koffi.register((info: unknown, size: number) => {
    // struct dl_phdr_info (LP64): addr, name, phdr, phnum (padded), adds, subs, tls_modid, tls_data.
    if (size < 64) return 0;
    const words = new DataView(nativeView(Number(koffi.address(info)), 64).slice().buffer);
    const moduleId = Number(words.getBigUint64(48, true));
    const data = Number(words.getBigUint64(56, true));
    if (moduleId === 0 || data === 0) return 0;
    const phdrs = Number(words.getBigUint64(16, true));
    const phnum = words.getUint16(24, true);
    const table = new DataView(nativeView(phdrs, phnum * 56).slice().buffer);
    for (let i = 0; i < phnum; i++) {
      if (table.getUint32(i * 56, true) === PT_TLS) blocks.push({ moduleId, start: data, size: Number(table.getBigUint64(i * 56 + 40, true)) });
    }
    return 0;
  }, koffi.pointer(phdrCallbackProto()));
  try {
    iteratePhdr!(callback, null);
  } finally {
    koffi.unregister(callback);
  }
  return blocks;
}

/**
 * Where thread-local variables of this process's libraries live, from the
 * addresses their symbols resolved to here (this thread's copies). The offset
 * from the thread pointer exists for libraries in static TLS (loaded at
 * process start); a library loaded later keeps its variables in dynamic TLS,
 * reachable only through its module id and offset (undefined offset).
 */
export function locateLibraryThreadLocals(
  addresses: readonly number[],
): ({ moduleId: number; blockOffset: number; threadPointerOffset: number | undefined } | undefined)[] {
  const blocks = libraryTLSBlocks();
  const tp = getNative().pthreadSelf();
  const staticSize = staticTLSSize();
  return addresses.map((address) => {
    const block = blocks.find((b) => address >= b.start && address < b.start + Math.max(b.size, 1));
    if (!block) return undefined;
    const blockOffset = address - block.start;
    // x86-64 (variant II): static blocks lie below the thread pointer, within the static TLS area.
    const inStatic = block.start < tp && tp - block.start <= staticSize;
    return { moduleId: block.moduleId, blockOffset, threadPointerOffset: inStatic ? block.start - tp + blockOffset : undefined };
  });
}

/** The size of the static TLS area (glibc's _dl_get_tls_static_info, as sanitizers read it); 0 when unknown. */
function staticTLSSize(): number {
  const info = getLibC().dlsym(RTLD_DEFAULT, '_dl_get_tls_static_info');
  if (!info) return 0;
  const out = new BigUint64Array(2);
  koffi.call(toPointer(info), cProto('void (_Out_ uint64_t *size, _Out_ uint64_t *align)'), out.subarray(0, 1), out.subarray(1, 2));
  return Number(out[0]);
}
