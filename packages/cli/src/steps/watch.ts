/**
 * --watch: runs the program while watching its inputs. When an input changes
 * on disk (a source is recompiled first), its new version replaces the old one
 * in the running program (@jitlink/orc's LiveObjects): calls go to the new
 * code, data keeps its state, and the command says what was replaced.
 * Ctrl-C ends the program as exit() would: exit handlers and finalizers run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { JITLinkError, toError } from '@jitlink/core';
import { exitProcessNow, JSFunctions, SelfExecutorProcessControl } from '@jitlink/executor';
import { absoluteSymbols, LiveObjects, ProcessSymbolsGenerator } from '@jitlink/orc';
import { readInputFile } from '../file-source.js';
import type { CliIO } from '../run.js';
import type { CliOptions } from '../options.js';
import type { Platform } from './platform.js';
import type { LinkSession } from './session.js';

const SOURCE_EXTENSIONS = new Set(['.c', '.cc', '.cpp', '.cxx', '.C', '.s', '.S']);
const DEFAULT_COMPILE = 'cc -O1 -fPIC';
/** How often inputs are polled (fs.watchFile: survives editors that replace files). */
const POLL_MS = 100;

interface WatchedInput {
  /** As named on the command line. */
  path: string;
  /** The object linked: the input itself, or the compiler's output for a source. */
  object: string;
  source: boolean;
  /** The input's file as last read: a poll that finds it otherwise triggers a replacement. */
  seen?: Stats;
}

const sameFile = (a: Stats, b: Stats) => a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;

/** Compiles a source input; throws with the compiler's output when it fails. */
function compile(options: CliOptions, input: WatchedInput): void {
  const command = `${options.compile ?? DEFAULT_COMPILE} -c '${input.path.replace(/'/g, "'\\''")}' -o '${input.object}'`;
  const result = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
  if (result.status !== 0) {
    // One line: the compiler's first error.
    const lines = `${result.stderr ?? ''}${result.stdout ?? ''}`.split('\n').filter((l) => l.trim() !== '');
    const first = lines.find((l) => /error/i.test(l)) ?? lines[0];
    throw new JITLinkError('InvalidArgument', `${input.path}: compilation failed (${command})${first ? ': ' + first.trim() : ''}`);
  }
}

export async function watchAndRun(options: CliOptions, ls: LinkSession, platform: Platform, io: CliIO): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'jitlink-watch-'));
  const inputs: WatchedInput[] = options.inputs.map((input, i) => {
    const source = SOURCE_EXTENSIONS.has(extname(input.value));
    return { path: input.value, source, object: source ? join(workDir, `${i}-${basename(input.value)}.o`) : input.value };
  });
  const live = new LiveObjects(ls.layer, ls.main, ls.executor, { initializers: platform });
  let callbacks: JSFunctions | undefined;
  const watched: WatchedInput[] = [];
  let onInterrupt: (() => void) | undefined;
  try {
    for (const input of inputs) {
      // Read first: a missing or unreadable input is reported in words (cannot read <path>: <reason>).
      readInputFile(input.path);
      input.seen = statSync(input.path);
      if (input.source) compile(options, input);
    }
    // A program calls jitlink_safe_point() where no thread is in replaceable code: replaced code is freed then.
    if (ls.executor instanceof SelfExecutorProcessControl) {
      callbacks = new JSFunctions();
      const address = callbacks.add('jitlink_safe_point', 'void jitlink_safe_point(void)', () => live.reportSafePoint());
      ls.main.defineAbsolute(absoluteSymbols([['jitlink_safe_point', address]], { callable: true }));
    }
    if (!options.noProcessSyms) {
      const notFromProcess = new Set([options.entry, 'main']);
      ls.main.addGenerator(new ProcessSymbolsGenerator(ls.executor, (n) => !notFromProcess.has(n)));
    }
    for (const input of inputs) live.add(readInputFile(input.object), input.path);
    const entry = await ls.session.lookupOne([ls.main], options.entry);
    if (ls.errors.length > 0) throw ls.errors[0];
    // The entry point's loop never leaves its object: replaced versions of it stay mapped.
    const entryObject = live.definerOf(options.entry);
    if (entryObject !== undefined) live.keepReplacedCode(entryObject);
    await platform.runInitializers();

    const executor = ls.executor;
    let replacing = Promise.resolve();
    const replaceInput = async (input: WatchedInput): Promise<void> => {
      try {
        if (input.source) compile(options, input);
        const result = await live.replace(input.path, readInputFile(input.object));
        const parts = [`replaced ${result.replaced.join(', ') || 'nothing'}`];
        if (result.added.length) parts.push(`added ${result.added.join(', ')}`);
        if (result.dropped.length) parts.push(`dropped ${result.dropped.join(', ')}`);
        io.stderr(`jitlink: ${input.path} (version ${result.version}): ${parts.join('; ')}\n`);
      } catch (e) {
        io.stderr(`jitlink: ${toError(e).message}\n`);
      }
    };
    // Compared with the file as it was read, not as the first poll finds it: a change made
    // while the program starts counts too.
    for (const input of inputs) {
      watchFile(input.path, { interval: POLL_MS }, (now: Stats) => {
        if (now.size === 0 || (input.seen !== undefined && sameFile(now, input.seen))) return; // size 0: being rewritten
        input.seen = now;
        replacing = replacing.then(() => replaceInput(input));
      });
      watched.push(input);
    }
    const running =
      executor instanceof SelfExecutorProcessControl
        ? executor.runAsMainOnThread(entry, options.programArgs)
        : executor.runAsMain(entry, options.programArgs);
    onInterrupt = () => {
      io.stderr('jitlink: interrupted: running exit handlers\n');
      // The program's thread never returns: end the process without waiting for it.
      const end = () => (executor instanceof SelfExecutorProcessControl ? exitProcessNow(130) : process.exit(130));
      void platform.runFinalizers().then(end, (e: unknown) => {
        io.stderr(`jitlink: ${toError(e).message}\n`);
        end();
      });
    };
    process.once('SIGINT', onInterrupt);

    const exitCode = await running;
    for (const input of watched.splice(0)) unwatchFile(input.path);
    await replacing;
    await platform.runFinalizers();
    return exitCode;
  } finally {
    for (const input of watched) unwatchFile(input.path);
    if (onInterrupt) process.off('SIGINT', onInterrupt);
    callbacks?.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }
}
