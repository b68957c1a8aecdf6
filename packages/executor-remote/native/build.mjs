#!/usr/bin/env node
// Builds the C executor into dist/native/ where a C compiler exists:
//   jitlink-executor-<host arch>        with cc / gcc / clang
//   jitlink-executor-aarch64            cross-built with aarch64-linux-gnu-gcc (when not on AArch64)
//   jitlink-executor-aarch64-qemu       a wrapper running it under qemu-aarch64 -L /usr/aarch64-linux-gnu
// Without a compiler it says so and succeeds: the TypeScript package does not need the executor.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'native');
const source = join(here, 'jitlink-executor.c');
const flags = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-o'];
const hostArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;

function has(tool) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function build(compiler, target) {
  // -rdynamic: llvm-jitlink looks functions of the executor up by name; libm is
  // linked in, as in LLVM's executor, for programs that call math functions.
  execFileSync(compiler, [...flags, target, source, '-rdynamic', '-pthread', '-ldl', '-lrt', '-Wl,--no-as-needed', '-lm'], { stdio: 'inherit' });
  console.log(`built ${target}`);
}

if (process.platform !== 'linux') {
  console.log(`jitlink-executor: not built (it needs Linux; this is ${process.platform})`);
  process.exit(0);
}
mkdirSync(out, { recursive: true });
const cc = [process.env.CC, 'cc', 'gcc', 'clang'].find((c) => c && has(c));
if (cc) build(cc, join(out, `jitlink-executor-${hostArch}`));
else console.log('jitlink-executor: no C compiler found (set CC, or install gcc or clang); the native executor is not built');
if (hostArch !== 'aarch64') {
  if (has('aarch64-linux-gnu-gcc')) {
    build('aarch64-linux-gnu-gcc', join(out, 'jitlink-executor-aarch64'));
    const wrapper = join(out, 'jitlink-executor-aarch64-qemu');
    writeFileSync(
      wrapper,
      '#!/bin/sh\n# Runs the AArch64 executor under qemu-user; inherited descriptors pass through.\n' +
        'exec qemu-aarch64 -L "${JITLINK_AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}" "$(dirname "$0")/jitlink-executor-aarch64" "$@"\n',
    );
    chmodSync(wrapper, 0o755);
  } else {
    console.log('jitlink-executor: aarch64-linux-gnu-gcc not found; the AArch64 executor is not built');
  }
}
