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
void command.runCommand(process.argv.slice(2)).then(() => setImmediate(exitWhenIdle));

/**
 * Once the command is done and nothing is left that would keep Node running
 * (no pending write, timer, child process or socket: the event loop would end
 * here), the process exits at once, 'exit' listeners included. Ending the
 * event loop instead makes Node tear down its environment and V8's heap
 * first, which costs a link more the more it allocated (sqlite_driver: ~10 ms
 * of CPU). Anything still pending takes the usual way out.
 */
function exitWhenIdle(): void {
  if (process.getActiveResourcesInfo().length === 0) process.exit();
}
