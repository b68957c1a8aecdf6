/**
 * The command's link: opens the session, reads and adds the inputs, links
 * them and runs the entry point. Kept apart from option parsing (run.ts) so
 * that the bundled command loads it only for a link: -help, -version and
 * usage errors never do (build-bundle.mjs).
 */
import { JITLinkError } from '@jitlink/core';
import { createDefaultRegistry } from './backends.js';
import type { CliOptions } from './options.js';
import type { CliIO } from './run.js';
import { installChecks, installHarness } from './steps/check-harness.js';
import { installDebuggingSupport } from './steps/debugging.js';
import { addObjects, InputClock, readInputs, type LoadedInputs } from './steps/inputs.js';
import { setUpPlatform } from './steps/platform.js';
import { Reporter } from './steps/report.js';
import { linkInputs, runProgram } from './steps/run.js';
import { closeSession, openSession } from './steps/session.js';
import { defineSymbols } from './steps/symbols.js';
import { Timer } from './timer.js';

/** `jitlink graph <args>`; resolves to the exit code. */
export async function runGraph(args: readonly string[], io: CliIO): Promise<number> {
  const { runGraphCommand } = await import('./graph/command.js');
  return await runGraphCommand(args, createDefaultRegistry(), io);
}

/** Links the inputs and runs the entry point; resolves to the exit code. */
export async function link(options: CliOptions, io: CliIO): Promise<number> {
  if (!options.inputs.some((i) => i.kind === 'file' || i.kind === 'library' || i.kind === 'sectcreate')) {
    throw new JITLinkError('InvalidArgument', 'no input files (see --help)');
  }
  const timer = new Timer();
  const reporter = new Reporter(options, io);
  const ls = await openSession(options, [options.showTimes ? timer : undefined, io.observer]);
  let inputs: LoadedInputs | undefined;
  try {
    reporter.install(ls.layer);
    installDebuggingSupport(options, ls);
    const checks = installChecks(options, ls);
    const platform = await setUpPlatform(ls);
    if (options.watch) {
      const { watchAndRun } = await import('./steps/watch.js');
      return await watchAndRun(options, ls, platform, io);
    }
    const clock = new InputClock();
    try {
      inputs = readInputs(options, ls, clock);
      addObjects(ls, inputs, installHarness(ls, inputs), clock);
    } finally {
      clock.report(timer);
    }
    io.inputsOpened?.(inputs.inputBytes, inputs.graphBudget);
    defineSymbols(options, ls, inputs);

    // Once the inputs are in, the reports are printed whether the link succeeds or not.
    try {
      reporter.beforeLink(ls.session);
      let entryAddress: number | undefined;
      try {
        entryAddress = await linkInputs(options, ls, inputs, timer);
      } finally {
        inputs.endDecoding();
      }
      checks?.run(options, io.stderr);
      reporter.afterLink(ls.session, inputs.dylibs);
      return await runProgram(options, ls, platform, entryAddress, timer);
    } finally {
      reporter.finish(timer);
    }
  } finally {
    await closeSession(ls);
    inputs?.close();
  }
}
