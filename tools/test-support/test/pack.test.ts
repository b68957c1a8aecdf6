/**
 * What `npm pack` puts in each published package's tarball: the license, no
 * build state (.tsbuildinfo), and for every source map the sources it names,
 * so that maps resolve for users. Needs the packages built (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { condition, needs, tool } from '../src/index.js';

const root = path.resolve(__dirname, '../../..');
const packageDirs = readdirSync(path.join(root, 'packages'))
  .map((name) => path.join(root, 'packages', name))
  .filter((dir) => existsSync(path.join(dir, 'package.json')))
  .filter((dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).private !== true)
  .sort();

const built = condition('the built packages (npm run build)', () =>
  packageDirs.every((dir) => existsSync(path.join(dir, 'dist/index.js'))),
);

/** The paths `npm pack` would put in the tarball of the package at `dir`. */
function packedFiles(dir: string): string[] {
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`npm pack --dry-run in ${dir} failed: ${result.stderr}`);
  const [pack] = JSON.parse(result.stdout) as { files: { path: string }[] }[];
  return pack!.files.map((f) => f.path);
}

/** The files each source map in `files` names that are not in `files`, as "map: source". */
function unresolvedMapSources(dir: string, files: string[]): string[] {
  const packed = new Set(files);
  const missing: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const source of map.sources) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), map.sourceRoot ?? '', source));
      if (!packed.has(resolved)) missing.push(`${file}: ${source}`);
    }
  }
  return missing;
}

test('every published package is found', () => {
  expect(packageDirs.map((dir) => path.basename(dir))).toEqual(
    expect.arrayContaining(['core', 'elf', 'arch-x86-64', 'arch-arm64', 'orc', 'executor', 'cli']),
  );
});

needs(built, tool('npm')).describe('npm pack of each package', () => {
  const license = readFileSync(path.join(root, 'LICENSE'), 'utf8');

  test('the root LICENSE is the Apache-2.0 text every package declares', () => {
    expect(license).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    for (const dir of packageDirs) expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
  });

  test.each(packageDirs.map((dir) => [path.basename(dir), dir]))(
    '%s: ships LICENSE, no .tsbuildinfo, and the sources of every source map',
    (_name, dir) => {
      const files = packedFiles(dir);
      expect(files).toContain('LICENSE');
      expect(readFileSync(path.join(dir, 'LICENSE'), 'utf8')).toBe(license);
      expect(files.filter((f) => f.endsWith('.tsbuildinfo'))).toEqual([]);
      expect(files.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
      expect(files.some((f) => f.endsWith('.map'))).toBe(true);
      // (A map whose source is gone is a stale output of a removed file: tsc -b leaves those; build from a clean dist/.)
      expect(unresolvedMapSources(dir, files)).toEqual([]);
      // ESM only: the README says how to load the package from CommonJS.
      const name = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name as string;
      expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain(`await import('${name}')`);
    },
  );
});
