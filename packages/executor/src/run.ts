/**
 * Calling JIT'd code in this process. Calls are synchronous; code that
 * crashes, or calls exit(), takes the Node process with it.
 */
import koffi from 'koffi';
import { JITLinkError, formatAddress, toError, type TargetAddress } from '@jitlink/core';
import { callNative, cProto, getLibC, integerArgsSignature, nativeView, toPointer } from './native.js';

/** The most integer arguments callVoid/callInt pass. */
export const MAX_CALL_ARGUMENTS = 6;

function checkArgs(address: TargetAddress, args: readonly (number | bigint)[]): void {
  if (!Number.isSafeInteger(address) || address <= 0) {
    throw new JITLinkError('InvalidArgument', `cannot call ${formatAddress(address)}`);
  }
  if (args.length > MAX_CALL_ARGUMENTS) {
    throw new JITLinkError(
      'InvalidArgument',
      `at most ${MAX_CALL_ARGUMENTS} arguments can be passed, got ${args.length}`,
    );
  }
  // koffi would truncate 2.5 to 2: integer arguments must be integers that fit intptr_t.
  args.forEach((arg, i) => {
    const ok =
      typeof arg === 'bigint'
        ? arg >= -(1n << 63n) && arg < 1n << 64n
        : Number.isSafeInteger(arg);
    if (!ok) {
      throw new JITLinkError(
        'InvalidArgument',
        `argument ${i + 1} (${String(arg)}) is not an integer; use cFunction with a C signature for other types`,
      );
    }
  });
}

/** Calls `void f(intptr_t...)` at `address`. */
export function callVoid(address: TargetAddress, ...args: (number | bigint)[]): void {
  checkArgs(address, args);
  callNative(address, integerArgsSignature('void', args.length), args);
}

/** Calls `int f(intptr_t...)` at `address` and returns its 32-bit signed result. */
export function callInt(address: TargetAddress, ...args: (number | bigint)[]): number {
  checkArgs(address, args);
  return callNative(address, integerArgsSignature('int', args.length), args) as number;
}

/** Calls `intptr_t f(intptr_t...)` at `address` (pointer- or long-returning functions). */
export function callIntPtr(address: TargetAddress, ...args: (number | bigint)[]): number | bigint {
  checkArgs(address, args);
  return callNative(address, integerArgsSignature('intptr_t', args.length), args) as number | bigint;
}

/** Flushes every C stdio stream (fflush(NULL)). C and Node share fd 1 and 2. */
export function flushCStdio(): void {
  getLibC().fflush(0);
}

/**
 * Calls `int main(int argc, char **argv)` at `address` with `args` as argv
 * (exactly these strings: no program name is inserted; argv[argc] is NULL),
 * flushes C stdio, and returns main's result.
 */
export function runAsMain(address: TargetAddress, args: readonly string[] = []): number {
  checkArgs(address, []);
  const argv = allocateArgv(args);
  try {
    try {
      return callNative(address, 'int (int, intptr_t)', [args.length, argv]) as number;
    } finally {
      flushCStdio();
    }
  } finally {
    getLibC().free(argv);
  }
}

/**
 * runAsMain on a thread of koffi's pool: JavaScript keeps running while the
 * program does (a program that loops can be re-linked under it). Resolves
 * to main's result once it returns, after C stdio is flushed.
 */
export function runAsMainOnThread(address: TargetAddress, args: readonly string[] = []): Promise<number> {
  checkArgs(address, []);
  const argv = allocateArgv(args);
  const main = koffi.decode(toPointer(address), cProto('int (int, intptr_t)')) as {
    async: (argc: number, argv: number, done: (err: unknown, result: number) => void) => void;
  };
  return new Promise((resolve, reject) => {
    main.async(args.length, argv, (err, result) => {
      getLibC().free(argv);
      flushCStdio();
      if (err) reject(toError(err));
      else resolve(result);
    });
  });
}

/**
 * Ends this process at once with `status` after flushing C stdio, without
 * waiting for anything: the way to stop a program running on a thread of its
 * own (runAsMainOnThread) that would otherwise keep the process alive.
 */
export function exitProcessNow(status: number): never {
  flushCStdio();
  getLibC()._exit(status);
  throw new Error('_exit returned');
}

/** One calloc'd block: argv's pointer table (NULL-terminated), then the NUL-terminated strings. Free with libc free. */
function allocateArgv(args: readonly string[]): number {
  const encoder = new TextEncoder();
  const encoded = args.map((a) => encoder.encode(a));
  const tableBytes = (encoded.length + 1) * 8;
  let stringBytes = 0;
  for (const e of encoded) stringBytes += e.length + 1;
  const block = getLibC().calloc(1, tableBytes + stringBytes);
  if (block === 0) throw new JITLinkError('AllocationFailed', 'cannot allocate argv');
  const memory = nativeView(block, tableBytes + stringBytes);
  const table = new DataView(memory.buffer, memory.byteOffset, tableBytes);
  let cursor = tableBytes;
  encoded.forEach((bytes, i) => {
    table.setBigUint64(i * 8, BigInt(block + cursor), true);
    memory.set(bytes, cursor);
    cursor += bytes.length + 1;
  });
  return block;
}

/** A table of function pointers in executor memory, such as an .init_array section. */
export interface FunctionPointerTable {
  address: TargetAddress;
  /** Bytes; a multiple of 8. */
  size: number;
}

export interface RunTablesOptions {
  /**
   * Checks that a table lies in readable memory before it is read (e.g.
   * `manager.isReadable.bind(manager)`); a table that fails throws.
   */
  isReadable?: (address: TargetAddress, size: number) => boolean;
}

function readTable(table: FunctionPointerTable, options: RunTablesOptions): TargetAddress[] {
  if (!Number.isSafeInteger(table.size) || table.size < 0 || table.size % 8 !== 0) {
    throw new JITLinkError(
      'InvalidArgument',
      `function table at ${formatAddress(table.address)} has size ${table.size}, not a multiple of 8`,
    );
  }
  if (table.size === 0) return [];
  if (options.isReadable && !options.isReadable(table.address, table.size)) {
    throw new JITLinkError(
      'InvalidArgument',
      `function table at ${formatAddress(table.address)}..+${table.size} is not in readable executor memory`,
    );
  }
  const bytes = nativeView(table.address, table.size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: TargetAddress[] = [];
  for (let offset = 0; offset < table.size; offset += 8) {
    const lo = view.getUint32(offset, true);
    const hi = view.getUint32(offset + 4, true);
    // 0 and -1 are the .ctors/.dtors sentinels glibc skips.
    if ((lo === 0 && hi === 0) || (lo === 0xffffffff && hi === 0xffffffff)) continue;
    if (hi >= 0x20_0000) {
      throw new JITLinkError(
        'InvalidArgument',
        `function table at ${formatAddress(table.address)}: entry ${offset / 8} is not a user-space address`,
      );
    }
    entries.push(hi * 0x1_0000_0000 + lo);
  }
  return entries;
}

/**
 * Runs each table's entries in order (tables in the order given: the caller
 * decides priority order), as `void f(void)`. Zero and -1 entries are skipped.
 */
export function runInitializers(
  tables: readonly FunctionPointerTable[],
  options: RunTablesOptions = {},
): number {
  let count = 0;
  for (const table of tables) {
    for (const fn of readTable(table, options)) {
      callNative(fn, 'void (void)', []);
      count++;
    }
  }
  return count;
}

/**
 * Runs finalizer tables in the order given, each table's entries from last
 * to first (as glibc runs a .fini_array). Returns the number of calls.
 */
export function runFinalizers(
  tables: readonly FunctionPointerTable[],
  options: RunTablesOptions = {},
): number {
  let count = 0;
  for (const table of tables) {
    const entries = readTable(table, options);
    for (let i = entries.length - 1; i >= 0; i--) {
      callNative(entries[i]!, 'void (void)', []);
      count++;
    }
  }
  return count;
}

/** Calls each function address in order as `void f(void)`. */
export function runFunctions(addresses: readonly TargetAddress[]): void {
  for (const fn of addresses) callVoid(fn);
}

/**
 * Runs the destructors JIT'd code registered with
 * `__cxa_atexit(fn, obj, dsoHandle)` (libc's `__cxa_finalize`), most recent
 * first, each once; then flushes C stdio.
 */
export function runAtExitHandlers(dsoHandle: TargetAddress): void {
  if (!Number.isSafeInteger(dsoHandle) || dsoHandle <= 0) {
    // __cxa_finalize(NULL) would run every handler in the process.
    throw new JITLinkError('InvalidArgument', `invalid dso handle ${formatAddress(dsoHandle)}`);
  }
  const libc = getLibC();
  const cxaFinalize = libc.dlsym(0, '__cxa_finalize');
  if (cxaFinalize === 0)
    throw new JITLinkError('SymbolsNotFound', '__cxa_finalize is not available in this process');
  callNative(cxaFinalize, 'void (intptr_t)', [dsoHandle]);
  flushCStdio();
}
