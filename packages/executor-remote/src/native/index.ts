/**
 * Where the package build puts the C executor (see native/build.mjs):
 * dist/native/jitlink-executor-<arch>, and for AArch64 on another host
 * jitlink-executor-aarch64-qemu, a wrapper running it under qemu-aarch64.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JITLinkError } from '@jitlink/core';
import { connectExecutor, type ConnectExecutorOptions } from '../connect.js';
import type { RemoteExecutorProcessControl } from '../remote-control.js';

/**
 * This package's dist/native folder, from this module's URL; undefined where
 * a bundler compiled the module as CommonJS and `import.meta.url` is gone
 * (such a caller passes the folder itself).
 */
function packageNativeDir(): string | undefined {
  const url = import.meta.url as string | undefined;
  return typeof url === 'string' ? fileURLToPath(new URL('../native/', url)) : undefined;
}

/**
 * Path of the built executor for `arch` ("x86_64", "aarch64"; default: this
 * machine's) in `dir` (default: this package's dist/native), or undefined
 * when it was not built.
 */
export function nativeExecutorPath(arch?: string, dir: string | undefined = packageNativeDir()): string | undefined {
  if (dir === undefined) return undefined;
  const host = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  const want = arch ?? host;
  const name = want === host ? `jitlink-executor-${want}` : `jitlink-executor-${want}-qemu`;
  const file = join(dir, name);
  return existsSync(file) ? file : undefined;
}

/** Debian's LLVM 19 executor, the fallback when this package's was not built. */
export const LLVM_JITLINK_EXECUTOR = '/usr/lib/llvm-19/bin/llvm-jitlink-executor';

/**
 * The executor `-oop-executor` without a path starts: this package's
 * jitlink-executor for this machine, else Debian's llvm-jitlink-executor;
 * undefined when neither exists.
 */
export function defaultExecutorPath(dir?: string): string | undefined {
  return nativeExecutorPath(undefined, dir ?? packageNativeDir()) ?? (existsSync(LLVM_JITLINK_EXECUTOR) ? LLVM_JITLINK_EXECUTOR : undefined);
}

/** The jitlink command's executor options, with llvm-jitlink's spellings. */
export interface ExecutorCommandOptions {
  /** `-oop-executor` (true) or `-oop-executor=<path>`. */
  oopExecutor?: string | true;
  /** `-oop-executor-connect=<host>:<port>`. */
  oopExecutorConnect?: string;
  /** `-use-shared-memory`. */
  useSharedMemory?: boolean;
  /** Where the built executors lie, for callers bundled without `import.meta.url` (default: this package's dist/native). */
  executorDir?: string;
}

/**
 * The executor the command's options ask for: undefined when they ask for
 * none (this process runs the code), else a connected
 * RemoteExecutorProcessControl. `rest` passes registry, stdio, secret...
 */
export async function connectExecutorForCommand(
  options: ExecutorCommandOptions,
  rest: Omit<ConnectExecutorOptions, 'path' | 'connect' | 'useSharedMemory'> = {},
): Promise<RemoteExecutorProcessControl | undefined> {
  const { oopExecutor, oopExecutorConnect, useSharedMemory } = options;
  if (oopExecutor !== undefined && oopExecutorConnect !== undefined) {
    throw new JITLinkError('InvalidArgument', 'only one of -oop-executor and -oop-executor-connect can be used');
  }
  if (oopExecutor === undefined && oopExecutorConnect === undefined) {
    if (useSharedMemory) throw new JITLinkError('InvalidArgument', '-use-shared-memory needs -oop-executor or -oop-executor-connect');
    return undefined;
  }
  if (oopExecutorConnect !== undefined) return connectExecutor({ ...rest, connect: oopExecutorConnect, useSharedMemory });
  const path = oopExecutor === true ? defaultExecutorPath(options.executorDir) : oopExecutor;
  if (path === undefined) {
    throw new JITLinkError(
      'InvalidArgument',
      `-oop-executor: no executor found (build jitlink-executor with a C compiler, or install llvm-19 for ${LLVM_JITLINK_EXECUTOR})`,
    );
  }
  return connectExecutor({ ...rest, path, useSharedMemory });
}
