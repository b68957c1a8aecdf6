/**
 * The jitlink command: links objects and archives into this process (or a
 * simulated slab) through an ORC-style session, then runs the entry point.
 */
import { JITLinkError, toError, type LinkObserver } from '@jitlink/core';
import { escapeName } from '@jitlink/core/internal';
import { createDefaultRegistry } from './backends.js';
import { helpText, parseOptions, type CliOptions } from './options.js';
import { installChecks, installHarness } from './steps/check-harness.js';
import { installDebuggingSupport } from './steps/debugging.js';
import { addObjects, InputClock, readInputs, type LoadedInputs } from './steps/inputs.js';
import { setUpPlatform } from './steps/platform.js';
import { Reporter } from './steps/report.js';
import { linkInputs, runProgram } from './steps/run.js';
import { closeSession, openSession } from './steps/session.js';
import { defineSymbols } from './steps/symbols.js';
import { Timer } from './timer.js';

export { createDefaultRegistry };

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Receives the link-phase notifications of every graph (for embedders' tracing and diagnostics). */
  observer?: LinkObserver;
  /**
   * Called once the inputs are opened, before anything is linked, with their
   * total size in bytes and the layer's graph budget (the command's binary
   * tunes V8's heap growth for inputs beyond the budget).
   */
  inputsOpened?: (totalBytes: number, graphBudget: number) => void;
}

export const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export const VERSION = '0.1.0';

export async function runJitlink(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  let options: CliOptions | undefined;
  try {
    if (argv[0] === 'graph') {
      const { runGraphCommand } = await import('./graph/command.js');
      return await runGraphCommand(argv.slice(1), createDefaultRegistry(), io);
    }
    options = parseOptions(argv);
    if (options.help) {
      io.stdout(helpText());
      return 0;
    }
    if (options.version) {
      io.stdout(`jitlink ${VERSION}\n`);
      return 0;
    }
    return await link(options, io);
  } catch (e) {
    const err = toError(e);
    // JITLinkErrors are escaped already; anything else (a system error quoting a path) is escaped here.
    // Several errors joined are one per line.
    io.stderr(`jitlink: error: ${err.message.split('\n').map(escapeName).join('\n')}\n`);
    if (options?.verbose && err.stack) io.stderr(err.stack + '\n');
    return 1;
  }
}

/** Links the inputs and runs the entry point; resolves to the exit code. */
async function link(options: CliOptions, io: CliIO): Promise<number> {
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
