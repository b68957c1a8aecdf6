/**
 * Loads the command's bundle (dist/jitlink-main.cjs) with V8's code cache of
 * it (dist/jitlink-main.v8cache), written at build time after a few training
 * links: the bytecode of every function those links ran is then deserialized
 * instead of compiled when first called (sqlite_driver: ~15 ms of ~210 ms).
 *
 * V8 checks the cache against its own version, its flags and the source, and
 * ignores one that does not match (another Node version, extra V8 flags): the
 * command then compiles as usual. The cache is made under V8's default flags;
 * the command sets its own only after compiling (src/v8-flags.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

export interface LoadedCommand {
  runCommand(args: string[]): Promise<void>;
  /** What became of the code cache: used, absent (or unreadable), or rejected by V8. */
  readonly codeCache: 'used' | 'absent' | 'rejected';
  /** Writes the code cache: the bundle's top level and every function run so far. */
  writeCodeCache(): void;
}

export const COMMAND_BUNDLE = fileURLToPath(new URL('./jitlink-main.cjs', import.meta.url));
export const COMMAND_CODE_CACHE = fileURLToPath(new URL('./jitlink-main.v8cache', import.meta.url));

export function loadCommand(): LoadedCommand {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(COMMAND_CODE_CACHE);
  } catch {
    cachedData = undefined;
  }
  // esbuild writes the bundle's code in ASCII (other characters escaped), so
  // it is read as Latin-1: about twice as fast as decoding UTF-8, and the
  // string is the same (a non-ASCII byte could only sit in a comment).
  const source = readFileSync(COMMAND_BUNDLE, 'latin1');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: COMMAND_BUNDLE,
    cachedData,
  });
  const module = { exports: {} as { runCommand?: (args: string[]) => Promise<void> } };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(COMMAND_BUNDLE), module, COMMAND_BUNDLE, dirname(COMMAND_BUNDLE));
  const runCommand = module.exports.runCommand;
  if (typeof runCommand !== 'function') throw new Error(`${COMMAND_BUNDLE} does not export runCommand`);
  return {
    runCommand,
    codeCache: cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'used',
    writeCodeCache: () => writeFileSync(COMMAND_CODE_CACHE, script.createCachedData()),
  };
}
