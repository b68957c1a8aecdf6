#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { runJitlink } from './run.js';

// One run of the command is a short burst of work over many small functions.
// With V8's default tier-up budget, TurboFan compiles ~170 of them (on
// background threads that compete for the CPU) and most run optimized only
// briefly before the process exits. Eight times the default budget (67584 on
// Node 20) keeps optimization for the functions that stay hot, which large
// links still reach. libsqlite3-all link phase: 257 -> 176 ms.
setFlagsFromString('--interrupt-budget=540672');

runJitlink(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`jitlink: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
