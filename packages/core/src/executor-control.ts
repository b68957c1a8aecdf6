/**
 * The linker's view of an executor process: the process that runs linked
 * code. It may be this process, another process on this machine, or a process
 * of another architecture; everything goes through this interface.
 */
import type { TargetAddress } from './address.js';
import type { JITLinkMemoryManager } from './memory-manager.js';

export interface ExecutorProcessControl {
  /** Target triple of the executor, e.g. "x86_64-unknown-linux-gnu". */
  readonly triple: string;
  readonly pageSize: number;
  readonly memoryManager: JITLinkMemoryManager;
  /** Addresses of symbols the executor process already defines (libc, libm...); missing ones are absent. */
  lookupSymbols(names: readonly string[]): Promise<Map<string, TargetAddress>>;
  /** Makes a shared library's symbols available to lookupSymbols (e.g. "libstdc++.so.6"). */
  loadLibrary?(name: string): Promise<void>;
  /** Calls `int main(int argc, char **argv)` and returns its result. argv holds exactly `args`. */
  runAsMain(address: TargetAddress, args: readonly string[]): Promise<number>;
  /** Calls `void fn(uintptr_t...)` with up to four integer arguments. */
  callVoid(address: TargetAddress, args?: readonly TargetAddress[]): Promise<void>;
  /** Flushes the executor's C stdio buffers. */
  flushOutput?(): Promise<void>;
  /** Releases everything the executor holds for this session. */
  dispose(): Promise<void>;
}
