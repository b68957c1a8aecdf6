/**
 * Debugger and profiler support (-debugger-support, -perf-support): plugins
 * on the layer that register each linked object with the executor's GDB JIT
 * interface, and announce each linked function to perf.
 */
import { readFileSync } from 'node:fs';
import { JITLinkError } from '@jitlink/core';
import type { SelfExecutorOptions } from '@jitlink/executor';
import { PerfSupportPlugin } from '@jitlink/orc';
import { createElfDebuggerSupport } from '@jitlink/orc/elf';
import type { CliOptions } from '../options.js';
import type { LinkSession } from './session.js';

export function installDebuggingSupport(options: CliOptions, ls: LinkSession): void {
  if (options.debuggerSupport) {
    if (ls.executor.registerDebugObject) {
      ls.layer.addPlugin(createElfDebuggerSupport(ls.executor, { required: options.debuggerSupportGiven }));
    }
    // On by default, as in llvm-jitlink: only asking for it makes a missing interface an error.
    else if (options.debuggerSupportGiven) {
      throw new JITLinkError('UnsupportedFeature', `-debugger-support: this executor (${ls.executor.triple}) has no GDB JIT interface`);
    }
  }
  if (options.perfSupport) ls.layer.addPlugin(new PerfSupportPlugin(ls.executor));
}

/** Whether a debugger (or another tracer) is attached to this process now. */
function isBeingTraced(): boolean {
  try {
    return /^TracerPid:\s*[1-9]/m.test(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The in-process executor's options. A debugger inserts breakpoints by
 * writing into the code, which it can do in private pages but not in the
 * shared (memfd) pages of the default dual-mapped memory: with debugger
 * support asked for, or on by default while a debugger is attached, code
 * gets pages of its own.
 */
export function selfExecutorOptions(options: CliOptions): SelfExecutorOptions {
  const breakpointsNeeded = options.debuggerSupport && (options.debuggerSupportGiven || isBeingTraced());
  return breakpointsNeeded ? { memory: 'page-per-graph' } : {};
}
