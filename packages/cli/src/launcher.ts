/**
 * Loads the command's bundle with V8's code cache of it. The bundle is two
 * files (build-bundle.mjs): dist/jitlink-main.cjs (options, -help, -version,
 * usage errors) and dist/jitlink-link.cjs (everything a link runs), which the
 * first requires only for a link. Each has its code cache next to it
 * (jitlink-main.v8cache, jitlink-link.v8cache), written at build time after a
 * few training links: the bytecode of every function those links ran is then
 * deserialized instead of compiled when first called (sqlite_driver: ~15 ms
 * of ~210 ms). V8 deserializes a whole cache when it compiles its file, so
 * `-version` no longer pays for the link's (~13 ms of CPU).
 *
 * V8 checks a cache against its own version, its flags and the source, and
 * ignores one that does not match (another Node version, extra V8 flags): the
 * command then compiles as usual. The caches are made under V8's default
 * flags; the command sets its own only after compiling (src/v8-flags.ts), and
 * only once the inputs are open, after the link's file is loaded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

export type CodeCacheUse = 'used' | 'absent' | 'rejected';

export interface LoadedCommand {
  runCommand(args: string[]): Promise<void>;
  /** What became of the entry file's code cache: used, absent (or unreadable), or rejected by V8. */
  readonly codeCache: CodeCacheUse;
  /** The same for every file of the bundle loaded so far, by file name (jitlink-main.cjs, jitlink-link.cjs). */
  codeCaches(): ReadonlyMap<string, CodeCacheUse>;
  /** Writes the code cache of each file loaded so far: its top level and every function run so far. */
  writeCodeCache(): void;
}

// The bundle's files sit next to the launcher: dist/. Bundled (CommonJS), __dirname says where without
// building URLs (pathToFileURL and fileURLToPath cost the command ~2 ms on their first calls).
const DIST_DIR = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
export const COMMAND_BUNDLE = join(DIST_DIR, 'jitlink-main.cjs');
export const COMMAND_CODE_CACHE = codeCacheOf(COMMAND_BUNDLE);

/** A file's code cache: jitlink-main.cjs -> jitlink-main.v8cache. */
function codeCacheOf(file: string): string {
  return file.replace(/\.cjs$/, '.v8cache');
}

/** The bundle's files, which require each other as `./jitlink-<part>.cjs`. */
const BUNDLE_FILE = /^\.\/jitlink-[a-z]+\.cjs$/;

interface LoadedFile {
  exports: unknown;
  script: Script;
  codeCache: CodeCacheUse;
}

export function loadCommand(): LoadedCommand {
  const loaded = new Map<string, LoadedFile>();
  const nodeRequire = createRequire(COMMAND_BUNDLE);
  // The bundle's require: its own files through loadFile (with their code caches), anything else as Node would.
  const bundleRequire = Object.assign(
    (id: string): unknown => (BUNDLE_FILE.test(id) ? loadFile(join(DIST_DIR, id)) : nodeRequire(id)),
    nodeRequire,
  );

  function loadFile(file: string): unknown {
    const known = loaded.get(file);
    if (known !== undefined) return known.exports;
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(codeCacheOf(file));
    } catch {
      cachedData = undefined;
    }
    // esbuild writes the bundle's code in ASCII (other characters escaped), so
    // it is read as Latin-1: about twice as fast as decoding UTF-8, and the
    // string is the same (a non-ASCII byte could only sit in a comment).
    const source = readFileSync(file, 'latin1');
    const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename: file,
      cachedData,
    });
    const module = { exports: {} };
    const codeCache = cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'used';
    // Registered before it runs, as Node registers a module: a file that requires itself gets what is there so far.
    const entry: LoadedFile = { exports: module.exports, script, codeCache };
    loaded.set(file, entry);
    const run = script.runInThisContext() as (...args: unknown[]) => void;
    run(module.exports, bundleRequire, module, file, dirname(file));
    entry.exports = module.exports;
    return module.exports;
  }

  const main = loadFile(COMMAND_BUNDLE) as { runCommand?: (args: string[]) => Promise<void> };
  const runCommand = main.runCommand;
  if (typeof runCommand !== 'function') throw new Error(`${COMMAND_BUNDLE} does not export runCommand`);
  return {
    runCommand,
    codeCache: loaded.get(COMMAND_BUNDLE)!.codeCache,
    codeCaches: () => new Map([...loaded].map(([file, { codeCache }]) => [basename(file), codeCache])),
    writeCodeCache: () => {
      for (const [file, { script }] of loaded) writeFileSync(codeCacheOf(file), script.createCachedData());
    },
  };
}
