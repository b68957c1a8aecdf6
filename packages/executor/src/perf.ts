/**
 * Profiler support for this process (Linux perf): each linked function gets
 * a line in `/tmp/perf-<pid>.map` and a JIT_CODE_LOAD record (with its code)
 * in a jitdump file, where LLVM's -perf-support puts it:
 * `<$JITDUMPDIR, else $HOME, else .>/.debug/jit/llvm-IR-jit-<YYYYMMDD>-<unique>/jit-<pid>.dump`.
 * The jitdump file's first page is mapped PROT_READ|PROT_EXEC, so that
 * `perf record` sees the mapping and `perf inject --jit` finds the file.
 * Timestamps are CLOCK_MONOTONIC (Node's hrtime), as `perf record -k 1` stamps samples.
 */
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeJitCodeClose,
  encodeJitCodeLoad,
  encodeJitdumpHeader,
  JITLinkError,
  perfMapLine,
  type PerfFunction,
} from '@jitlink/core';
import { getLibC, lastErrorText, MAP_PRIVATE, PROT_EXEC, PROT_READ, systemPageSize } from './native.js';
import { nodeOS } from './node-os.js';

const HOST_ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };

export interface PerfSupportOptions {
  /** Write `/tmp/perf-<pid>.map` lines (default true). */
  perfMap?: boolean;
  /** Write the jitdump file (default true). */
  jitdump?: boolean;
  /** The environment read for JITDUMPDIR and HOME (default process.env). */
  env?: Record<string, string | undefined>;
  /** Where the perf map goes (default `/tmp/perf-<pid>.map`). */
  perfMapPath?: string;
}

/** The directory a jitdump file goes in, as LLVM's perf support names it (created). */
export function createJitdumpDirectory(env: Record<string, string | undefined> = process.env): string {
  const base = env.JITDUMPDIR ?? env.HOME ?? (nodeOS().homedir() || '.');
  const parent = join(base, '.debug', 'jit');
  mkdirSync(parent, { recursive: true });
  const now = new Date();
  const day = `${now.getFullYear()}${String(now.getMonth() + 1).padStart(2, '0')}${String(now.getDate()).padStart(2, '0')}`;
  return mkdtempSync(join(parent, `llvm-IR-jit-${day}-`));
}

function monotonicNanoseconds(): bigint {
  return process.hrtime.bigint();
}

export class PerfSupport {
  readonly perfMapPath: string | undefined;
  private jitdumpFd: number | undefined;
  private marker: { address: number; size: number } | undefined;
  /** The jitdump file, once the first function is registered. */
  jitdumpPath: string | undefined;
  private codeIndex = 0n;
  private closed = false;

  constructor(private readonly options: PerfSupportOptions = {}) {
    this.perfMapPath = options.perfMap === false ? undefined : (options.perfMapPath ?? `/tmp/perf-${process.pid}.map`);
  }

  private openJitdump(): number {
    if (this.jitdumpFd !== undefined) return this.jitdumpFd;
    const dir = createJitdumpDirectory(this.options.env);
    const path = join(dir, `jit-${process.pid}.dump`);
    const fd = openSync(path, 'wx+');
    try {
      writeSync(
        fd,
        encodeJitdumpHeader({ elfMachine: HOST_ELF_MACHINE[process.arch] ?? 0, pid: process.pid, timestamp: monotonicNanoseconds() }),
      );
      // perf record notices jitdump files by an executable mapping of them.
      const libc = getLibC();
      const size = systemPageSize();
      const address = libc.mmap(0, size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
      if (address === -1) throw new JITLinkError('AllocationFailed', `could not map the jitdump file ${path}: ${lastErrorText()}`);
      this.marker = { address, size };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.jitdumpFd = fd;
    this.jitdumpPath = path;
    return fd;
  }

  /** Adds the functions to the perf map and the jitdump file. */
  register(functions: readonly PerfFunction[]): void {
    if (this.closed || functions.length === 0) return;
    if (this.perfMapPath !== undefined) {
      appendFileSync(this.perfMapPath, functions.map((f) => perfMapLine(BigInt(f.address), f.size, f.name)).join(''));
    }
    if (this.options.jitdump === false) return;
    const fd = this.openJitdump();
    for (const f of functions) {
      writeSync(
        fd,
        encodeJitCodeLoad({
          pid: process.pid,
          tid: process.pid, // linked code is called from Node's main thread
          address: BigInt(f.address),
          codeIndex: this.codeIndex++,
          name: f.name,
          code: f.code,
          timestamp: monotonicNanoseconds(),
        }),
      );
    }
  }

  /** Ends the jitdump file (JIT_CODE_CLOSE) and unmaps it. The perf map stays for `perf report`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.jitdumpFd === undefined) return;
    writeSync(this.jitdumpFd, encodeJitCodeClose(monotonicNanoseconds()));
    if (this.marker) getLibC().munmap(this.marker.address, this.marker.size);
    closeSync(this.jitdumpFd);
    this.jitdumpFd = undefined;
  }
}
