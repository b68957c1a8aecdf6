import { setFlagsFromString } from 'node:v8';
import { defaultIO, runJitlink, type CliIO } from './run.js';

// Beyond the layer's graph budget the link works for memory rather than speed
// (archive members built when linked, finished links dropped first), and so
// does the heap: V8 lets a short, busy process's heap grow to ~4x its live size
// between full collections; at most 1.5x keeps the 90 MB link's peak ~100 MiB
// lower for a few % more time. (At 1.75x the peak depended on when full
// collections fell: 318-364 MiB over 8 runs, against 304-336 MiB at 1.5x.)
const io: CliIO = {
  ...defaultIO,
  inputsOpened: (totalBytes, graphBudget) => {
    if (totalBytes > graphBudget) setFlagsFromString('--heap-growing-percent=50');
  },
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
