import { defaultIO, runJitlink, type CliIO } from './run.js';
import { setCommandV8Flags } from './v8-flags.js';

// V8's tier-up budget and heap growth are tuned once the inputs' size is known (see v8-flags.ts).
const io: CliIO = {
  ...defaultIO,
  inputsOpened: setCommandV8Flags,
};

/** Runs the `jitlink` command with `args` (process.argv without node and the script) and sets the exit code. */
export async function runCommand(args: string[]): Promise<void> {
  try {
    process.exitCode = await runJitlink(args, io);
  } catch (e: unknown) {
    process.stderr.write(`jitlink: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  }
}
