/**
 * The process's C library, reached through koffi: memory mapping, dynamic
 * symbol lookup, C stdio. Addresses cross this boundary as JS numbers
 * (`intptr_t`), which is exact for every Linux user-space address (< 2^47).
 * Bindings are created on first use, so importing the package does not load
 * native code.
 */
import koffi, { type IKoffiCType } from 'koffi';
import { JITLinkError, formatAddress, type TargetAddress } from '@jitlink/core';

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
/** x86-64 only: place the mapping in the low 2 GiB. */
export const MAP_32BIT = 0x40;
export const MAP_NORESERVE = 0x4000;
/** Like MAP_FIXED, but fails (EEXIST) instead of replacing an existing mapping. */
export const MAP_FIXED_NOREPLACE = 0x100000;

export const MADV_DONTNEED = 4;
/** Frees the pages of a shared mapping (punches a hole in the file behind it); they read as zeros after. */
export const MADV_REMOVE = 9;

export const MFD_CLOEXEC = 1;

export const RTLD_LAZY = 0x1;
export const RTLD_GLOBAL = 0x100;
/** dlsym handle meaning "the global symbol scope of the process". */
export const RTLD_DEFAULT = 0;

const SC_PAGESIZE = 30;

type NativeFunction = (...args: unknown[]) => unknown;

export interface LibC {
  mmap(addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number;
  munmap(addr: number, length: number): number;
  mprotect(addr: number, length: number, prot: number): number;
  madvise(addr: number, length: number, advice: number): number;
  memfd_create(name: string, flags: number): number;
  ftruncate(fd: number, length: number): number;
  close(fd: number): number;
  sysconf(name: number): number;
  dlopen(name: string | null, flags: number): number;
  dlsym(handle: number, name: string): number;
  dlerror(): string | null;
  fflush(stream: number): number;
  calloc(count: number, size: number): number;
  free(ptr: number): void;
  strerror(errnum: number): string;
  _exit(status: number): void;
}

let libc: LibC | undefined;

/** The C library bindings; throws a JITLinkError where they cannot exist. */
export function getLibC(): LibC {
  if (libc) return libc;
  if (process.platform !== 'linux') {
    throw new JITLinkError(
      'UnsupportedFeature',
      `the in-process executor needs Linux, this is ${process.platform}`,
    );
  }
  const lib = koffi.load('libc.so.6');
  const f = (decl: string): NativeFunction => lib.func(decl) as NativeFunction;
  libc = {
    mmap: f(
      'intptr_t mmap(intptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)',
    ) as LibC['mmap'],
    munmap: f('int munmap(intptr_t addr, size_t length)') as LibC['munmap'],
    mprotect: f('int mprotect(intptr_t addr, size_t length, int prot)') as LibC['mprotect'],
    madvise: f('int madvise(intptr_t addr, size_t length, int advice)') as LibC['madvise'],
    memfd_create: f('int memfd_create(const char *name, unsigned int flags)') as LibC['memfd_create'],
    ftruncate: f('int ftruncate(int fd, int64_t length)') as LibC['ftruncate'],
    close: f('int close(int fd)') as LibC['close'],
    sysconf: f('long sysconf(int name)') as LibC['sysconf'],
    dlopen: f('intptr_t dlopen(const char *name, int flags)') as LibC['dlopen'],
    dlsym: f('intptr_t dlsym(intptr_t handle, const char *name)') as LibC['dlsym'],
    dlerror: f('const char *dlerror(void)') as LibC['dlerror'],
    fflush: f('int fflush(intptr_t stream)') as LibC['fflush'],
    calloc: f('intptr_t calloc(size_t count, size_t size)') as LibC['calloc'],
    free: f('void free(intptr_t ptr)') as LibC['free'],
    strerror: f('const char *strerror(int errnum)') as LibC['strerror'],
    _exit: f('void _exit(int status)') as LibC['_exit'],
  };
  return libc;
}

/** errno of the last native call, as "ENOMEM (Cannot allocate memory)"-like text. */
export function lastErrorText(): string {
  const errno = koffi.errno();
  return `errno ${errno}: ${getLibC().strerror(errno)}`;
}

let pageSize: number | undefined;

export function systemPageSize(): number {
  pageSize ??= getLibC().sysconf(SC_PAGESIZE);
  return pageSize;
}

const pointerScratch = new BigInt64Array(1);

/** An opaque koffi pointer for `address` (koffi.view and koffi.call take these, not numbers). */
export function toPointer(address: TargetAddress): unknown {
  if (!Number.isSafeInteger(address) || address === 0) {
    throw new JITLinkError('InvalidArgument', `not a usable native address: ${formatAddress(address)}`);
  }
  pointerScratch[0] = BigInt(address);
  return koffi.decode(pointerScratch, 'void *');
}

/**
 * A Uint8Array directly on native memory (no copy). The caller guarantees the
 * range stays mapped and readable (and writable, if written) while it is used:
 * touching it otherwise kills the process.
 */
export function nativeView(address: TargetAddress, length: number): Uint8Array {
  if (length === 0) return new Uint8Array(0);
  return new Uint8Array(koffi.view(toPointer(address), length));
}

// Function types, created once per koffi instance (the registry is process-wide).
const protoCache = new Map<string, IKoffiCType>();

/** A koffi function type for a C prototype such as `int (int, intptr_t)`. */
export function cProto(signature: string): IKoffiCType {
  let proto = protoCache.get(signature);
  if (proto === undefined) {
    proto = koffi.proto(signature);
    protoCache.set(signature, proto);
  }
  return proto;
}

/** Calls the C function at `address` with the given koffi prototype. */
export function callNative(address: TargetAddress, signature: string, args: readonly unknown[]): unknown {
  return koffi.call(toPointer(address), cProto(signature), ...args);
}

/**
 * The C function at `address` as a JS function of the koffi prototype
 * `signature`: for functions called often, where callNative would convert
 * the address and look the prototype up on every call.
 */
export function nativeFunction(address: TargetAddress, signature: string): (...args: unknown[]) => unknown {
  return koffi.decode(toPointer(address), cProto(signature)) as (...args: unknown[]) => unknown;
}

/** `void f(intptr_t, ...)` with `args.length` integer arguments. */
export function integerArgsSignature(result: string, arity: number): string {
  return `${result} (${new Array<string>(arity).fill('intptr_t').join(', ')})`;
}

/**
 * Stores `value` at the 8-byte aligned `address` with one atomic store, so
 * that threads running JIT'd code see the old or the new pointer, never a
 * mix. The range must be mapped writable.
 */
export function storePointer(address: TargetAddress, value: TargetAddress): void {
  if (address % 8 !== 0) throw new JITLinkError('InvalidArgument', `pointer store at ${formatAddress(address)} is not 8-byte aligned`);
  if (!Number.isSafeInteger(value) || value < 0) throw new JITLinkError('InvalidArgument', `not a pointer value: ${value}`);
  Atomics.store(new BigUint64Array(koffi.view(toPointer(address), 8) as ArrayBuffer), 0, BigInt(value));
}

/** A copy of `length` bytes at `address`; the range must be mapped readable. */
export function readMemory(address: TargetAddress, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new JITLinkError('InvalidArgument', `invalid length ${length}`);
  return nativeView(address, length).slice();
}
