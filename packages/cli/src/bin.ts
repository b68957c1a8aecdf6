#!/usr/bin/env node
// The `jitlink` command (bundled into dist/jitlink.cjs).
import { loadCommand } from './launcher.js';

let command;
try {
  command = loadCommand();
} catch (e: unknown) {
  process.stderr.write(`jitlink: internal error: cannot load the command: ${String(e)}\n`);
  process.exit(1);
}
void command.runCommand(process.argv.slice(2));
