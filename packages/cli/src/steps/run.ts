/**
 * Run: link every named object and find the entry point, then (unless
 * -noexec) run static initializers, the entry point as main, and finalizers.
 */
import type { CliOptions } from '../options.js';
import type { Timer } from '../timer.js';
import type { LoadedInputs } from './inputs.js';
import type { Platform } from './platform.js';
import type { LinkSession } from './session.js';

/** Links the inputs; resolves to the entry point's address (undefined with -noexec when nothing defines it). */
export async function linkInputs(options: CliOptions, ls: LinkSession, inputs: LoadedInputs, timer: Timer): Promise<number | undefined> {
  let entryAddress: number | undefined;
  await timer.time('link', async () => {
    // Every object named on the command line is linked, as a static linker would
    // (archive members only when something needs them).
    await ls.session.materialize(inputs.units.map((u) => u.record!));
    const hasEntry = options.noexec ? inputs.dylibs.some((d) => d.symbols.has(options.entry)) : true;
    if (hasEntry) entryAddress = await ls.session.lookupOne(inputs.dylibs, options.entry);
  });
  if (ls.errors.length > 0) throw ls.errors[0];
  return entryAddress;
}

/** Runs the program; resolves to its exit code (0 when nothing runs). */
export async function runProgram(
  options: CliOptions,
  ls: LinkSession,
  platform: Platform,
  entryAddress: number | undefined,
  timer: Timer,
): Promise<number> {
  if (options.noexec || entryAddress === undefined) return 0;
  return timer.time('run', async () => {
    await platform.runInitializers();
    const exitCode = await ls.executor.runAsMain(entryAddress, options.programArgs);
    await platform.runFinalizers();
    return exitCode;
  });
}
