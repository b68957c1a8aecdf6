import { descriptorWriter } from './output.js';
import { runJitlink, type CliIO } from './run.js';
import { setCommandV8Flags } from './v8-flags.js';

// The process is the command's: its output goes straight to fds 1 and 2 (see output.ts), and V8's
// tier-up budget and heap growth are tuned once the inputs' size is known (see v8-flags.ts).
const io: CliIO = {
  stdout: descriptorWriter(1),
  stderr: descriptorWriter(2),
  inputsOpened: setCommandV8Flags,
};

/** Runs the `jitlink` command with `args` (process.argv without node and the script) and sets the exit code. */
export async function runCommand(args: string[]): Promise<void> {
  try {
    process.exitCode = await runJitlink(args, io);
  } catch (e: unknown) {
    io.stderr(`jitlink: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  }
}
