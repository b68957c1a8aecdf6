/**
 * Where the package build puts the C executor (see native/build.mjs):
 * dist/native/jitlink-executor-<arch>, and for AArch64 on another host
 * jitlink-executor-aarch64-qemu, a wrapper running it under qemu-aarch64.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of the built executor for `arch` ("x86_64", "aarch64"; default: this machine's), or undefined when it was not built. */
export function nativeExecutorPath(arch?: string): string | undefined {
  const host = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  const want = arch ?? host;
  const name = want === host ? `jitlink-executor-${want}` : `jitlink-executor-${want}-qemu`;
  const file = fileURLToPath(new URL(`../native/${name}`, import.meta.url));
  return existsSync(file) ? file : undefined;
}

/** Debian's LLVM 19 executor, the fallback when this package's was not built. */
export const LLVM_JITLINK_EXECUTOR = '/usr/lib/llvm-19/bin/llvm-jitlink-executor';

/**
 * The executor `-oop-executor` without a path starts: this package's
 * jitlink-executor for this machine, else Debian's llvm-jitlink-executor;
 * undefined when neither exists.
 */
export function defaultExecutorPath(): string | undefined {
  return nativeExecutorPath() ?? (existsSync(LLVM_JITLINK_EXECUTOR) ? LLVM_JITLINK_EXECUTOR : undefined);
}
