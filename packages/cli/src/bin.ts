#!/usr/bin/env node
import { runJitlink } from './run.js';

runJitlink(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`jitlink: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
