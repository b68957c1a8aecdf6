#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { defaultIO, runJitlink, type CliIO } from './run.js';

// One run of the command is a short burst of work over many small functions.
// With V8's default tier-up budget, TurboFan compiles ~170 of them (on
// background threads that compete for the CPU) and most run optimized only
// briefly before the process exits. Eight times the default budget (67584 on
// Node 20) keeps optimization for the functions that stay hot, which large
// links still reach. libsqlite3-all link phase: 257 -> 176 ms.
setFlagsFromString('--interrupt-budget=540672');

// Beyond the layer's graph budget the link works for memory rather than speed
// (archive members built when linked, finished links dropped first), and so
// does the heap: V8 lets a short, busy process's heap grow to ~4x its live size
// between full collections; at most 1.75x keeps the 90 MB link's peak ~80 MiB
// lower for ~4% more time.
const io: CliIO = {
  ...defaultIO,
  inputsOpened: (totalBytes, graphBudget) => {
    if (totalBytes > graphBudget) setFlagsFromString('--heap-growing-percent=75');
  },
};

runJitlink(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`jitlink: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
