/**
 * Test prerequisites: tools on PATH, files (Debian archives, corpus objects),
 * the platform. A test whose prerequisite is missing is skipped, with the
 * reason in its title and printed; under CI=true it fails instead, naming what
 * is missing, so a CI machine never passes by running less.
 *
 *   const objdump = needs(tool('llvm-objdump-19'));
 *   objdump.test('decodes like llvm-objdump', () => { ... });
 *   needs(debianLibrary('libz.a')).describe('Debian libz.a', () => { ... });
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Prerequisite {
  /** What is needed, as the skip or failure message names it. */
  readonly what: string;
  readonly available: () => boolean;
}

/** Whether tests run under CI, where a missing prerequisite is a failure. */
export const underCI = (): boolean => process.env.CI === 'true';

const probes = new Map<string, boolean>();
function once(key: string, probe: () => boolean): () => boolean {
  return () => {
    let found = probes.get(key);
    if (found === undefined) probes.set(key, (found = probe()));
    return found;
  };
}

/** A program on PATH that answers `--version` (or `probeArgs`) with status 0. */
export function tool(name: string, install?: string, probeArgs: string[] = ['--version']): Prerequisite {
  return {
    what: `${name} on PATH${install ? ` (${install})` : ''}`,
    available: once(`tool:${name}`, () => spawnSync(name, probeArgs, { stdio: 'ignore', timeout: 30_000 }).status === 0),
  };
}

/** A file, e.g. a Debian archive; `install` says where it comes from. */
export function file(path: string, install?: string): Prerequisite {
  return { what: `${path}${install ? ` (${install})` : ''}`, available: once(`file:${path}`, () => existsSync(path)) };
}

/** Where Debian installs static libraries, and the package that installs each one the tests read. */
export const DEBIAN_LIB_DIR = '/usr/lib/x86_64-linux-gnu';
const DEBIAN_PACKAGES: Record<string, string> = {
  'libsqlite3.a': 'libsqlite3-dev',
  'libsqlite3.so': 'libsqlite3-dev',
  'liblua5.4.a': 'liblua5.4-dev',
  'libz.a': 'zlib1g-dev',
  'libz.so': 'zlib1g-dev',
  'libsqlite3.so.0': 'libsqlite3-0',
};

/** A library Debian installs (`libz.a`, ...): its name in DEBIAN_LIB_DIR, or a path. */
export function debianLibrary(nameOrPath: string): Prerequisite & { path: string } {
  const path = nameOrPath.includes('/') ? nameOrPath : `${DEBIAN_LIB_DIR}/${nameOrPath}`;
  const debianPackage = DEBIAN_PACKAGES[path.slice(path.lastIndexOf('/') + 1)];
  return { ...file(path, debianPackage ? `apt-get install ${debianPackage}` : undefined), path };
}

/** This process runs on `os` (and `arch`, if given): e.g. in-process JIT code runs on x64 Linux only. */
export function platform(os: NodeJS.Platform, arch?: string): Prerequisite {
  return {
    what: `a${arch ? ` ${arch}` : ''} ${os} host (this is ${process.arch} ${process.platform})`,
    available: () => process.platform === os && (arch === undefined || process.arch === arch),
  };
}

/** Any other condition, described by `what`. */
export function condition(what: string, available: boolean | (() => boolean)): Prerequisite {
  return { what, available: typeof available === 'function' ? available : () => available };
}

/**
 * The workspace packages `names` (directories of `packagesDir`) were built
 * after the last change to their sources: for tests that run a child process
 * importing their dist/.
 */
export function builtPackages(packagesDir: string, names: readonly string[]): Prerequisite {
  const builtAfterSources = (pkg: string): boolean => {
    const built = join(packagesDir, pkg, 'dist/.tsbuildinfo');
    if (!existsSync(built)) return false;
    const sources = readdirSync(join(packagesDir, pkg, 'src'), { recursive: true, withFileTypes: true });
    const newest = Math.max(...sources.filter((e) => e.isFile()).map((e) => statSync(join(e.parentPath, e.name)).mtimeMs));
    return newest <= statSync(built).mtimeMs;
  };
  return condition(
    `packages ${names.join(', ')} built after their last change (npm run build): a child process imports their dist/`,
    () => names.every(builtAfterSources),
  );
}

/** The prerequisites of `list` that are missing. */
export function missing(...list: Prerequisite[]): string[] {
  return list.filter((p) => !p.available()).map((p) => p.what);
}

function missingError(lacking: string[]): Error {
  return new Error(`missing test prerequisite under CI=true: ${lacking.join(', ')}`);
}

function reported(name: string, lacking: string[]): string {
  const reason = `needs ${lacking.join(', ')}`;
  console.warn(`skipped "${name}": ${reason}`);
  return `${name} [skipped: ${reason}]`;
}

type TestFn = (name: string, fn: jest.ProvidesCallback, timeout?: number) => void;
type EachFn = <Row extends readonly unknown[]>(
  table: readonly Row[],
) => (name: string, fn: (...args: Row) => unknown, timeout?: number) => void;

export interface Gated {
  test: TestFn & { each: EachFn };
  it: TestFn & { each: EachFn };
  describe: (name: string, body: () => void) => void;
}

/**
 * `test`, `it` and `describe` that run only when every prerequisite is
 * available. Otherwise a skipped placeholder carries the reason (the body of a
 * describe is not run: it may read the missing input), or under CI=true a
 * failing test names what is missing.
 */
export function needs(...list: Prerequisite[]): Gated {
  const lacking = missing(...list);
  const gatedTest = ((name, fn, timeout) => {
    if (lacking.length === 0) test(name, fn, timeout);
    else if (underCI()) test(name, () => { throw missingError(lacking); });
    else test.skip(reported(name, lacking), fn, timeout);
  }) as Gated['test'];
  gatedTest.each = (table) => (name, fn, timeout) => {
    const rows = table as unknown as unknown[][];
    const body = fn as unknown as (...args: unknown[]) => unknown;
    if (lacking.length === 0) test.each(rows)(name, body, timeout);
    else if (underCI()) test.each(rows)(name, () => { throw missingError(lacking); });
    else test.skip.each(rows)(reported(name, lacking), body, timeout);
  };
  const gatedDescribe = (name: string, body: () => void): void => {
    if (lacking.length === 0) describe(name, body);
    else if (underCI()) describe(name, () => test('prerequisites', () => { throw missingError(lacking); }));
    else describe(name, () => test.skip(reported(name, lacking).slice(name.length + 1), () => {}));
  };
  return { test: gatedTest, it: gatedTest, describe: gatedDescribe };
}

/**
 * For a check inside a test, where the prerequisite is known only there: true
 * when available; under CI=true throws, naming what is missing; elsewhere
 * prints the reason and returns false (the caller returns early).
 */
export function have(...list: Prerequisite[]): boolean {
  const lacking = missing(...list);
  if (lacking.length === 0) return true;
  if (underCI()) throw missingError(lacking);
  console.warn(`skipped part of "${expect.getState().currentTestName ?? 'a test'}": needs ${lacking.join(', ')}`);
  return false;
}
export * from './maps.js';
export * from './prng.js';
