/**
 * The jitlink command: links objects and archives into this process (or a
 * simulated slab) through an ORC-style session, then runs the entry point.
 */
import { toError, type LinkObserver } from '@jitlink/core';
import { escapeName } from '@jitlink/core/internal';
import { helpText, parseOptions, type CliOptions } from './options.js';

export { createDefaultRegistry } from './backends.js';

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
    // What links (and `jitlink graph`) is imported only when used: the bundled command keeps it
    // in a file of its own, which -help, -version and usage errors never load (build-bundle.mjs).
    if (argv[0] === 'graph') {
      const { runGraph } = await import('./link-command.js');
      return await runGraph(argv.slice(1), io);
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
    const { link } = await import('./link-command.js');
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
