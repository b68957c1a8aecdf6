/**
 * The API reference builds without a warning (`typedoc --treatWarningsAsErrors`)
 * and covers every public export of every published package: each name an
 * entry point in a package's "exports" exports (`@internal` ones and
 * `@jitlink/core/internal` aside) is documented, and every export of
 * `@jitlink/core` carries a doc comment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../../..');

interface Reflection {
  name: string;
  kind: number;
  comment?: unknown;
  signatures?: { comment?: unknown }[];
  children?: Reflection[];
}
const MODULE = 2;

const published = readdirSync(path.join(root, 'packages'))
  .map((name) => path.join(root, 'packages', name))
  .filter((dir) => existsSync(path.join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true);

/** A package's public entry points (sources), as its "exports" name them; `./internal` is not public. */
function entryPoints(
  dir: string,
  manifest: { exports: Record<string, string | { types?: string }> },
): string[] {
  return Object.entries(manifest.exports)
    .filter(([subpath]) => subpath !== './internal')
    .flatMap(([, target]) => (typeof target === 'object' && target.types ? [target.types] : []))
    .map((types) => path.join(dir, types.replace('./dist/', 'src/').replace(/\.d\.ts$/, '.ts')));
}

// One program for every package's entry points: type-checking setup is the slow part.
const program = ts.createProgram(
  published.flatMap(({ dir, manifest }) => entryPoints(dir, manifest)),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  },
);

/** The names the public entry points of the package at `dir` export, `@internal` ones aside. */
function publicExports(
  dir: string,
  manifest: { exports: Record<string, string | { types?: string }> },
): Set<string> {
  const checker = program.getTypeChecker();
  const names = new Set<string>();
  for (const entry of entryPoints(dir, manifest)) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const internal = (target.declarations ?? []).some((d) =>
        ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'internal'),
      );
      if (!internal) names.add(exported.name);
    }
  }
  return names;
}

/** A package's documented declarations: its own children, or its entry modules' children. */
function documented(pkg: Reflection): Reflection[] {
  return (pkg.children ?? []).flatMap((child) => (child.kind === MODULE ? (child.children ?? []) : [child]));
}

const hasComment = (r: Reflection): boolean =>
  r.comment !== undefined || (r.signatures ?? []).some((s) => s.comment !== undefined);

let output = '';
let status: number | null = null;
let project: { children: Reflection[] } = { children: [] };

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jitlink-api-docs-'));
  try {
    const json = path.join(dir, 'api.json');
    const run = spawnSync('npx', ['typedoc', '--treatWarningsAsErrors', '--json', json], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    output = run.stdout + run.stderr;
    status = run.status;
    if (existsSync(json)) project = JSON.parse(readFileSync(json, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);

test('typedoc builds the reference without a warning', () => {
  expect(output.split('\n').filter((line) => /warning|error/i.test(line))).toEqual([]);
  expect(status).toBe(0);
});

test.each(published.map(({ dir, manifest }) => [manifest.name as string, dir, manifest]))(
  '%s: every public export is in the reference',
  (name, dir, manifest) => {
    const pkg = project.children.find((c) => c.name === name);
    expect(pkg).toBeDefined();
    const inReference = new Set(documented(pkg!).map((r) => r.name));
    const missing = [...publicExports(dir, manifest)].filter((n) => !inReference.has(n));
    expect(missing).toEqual([]);
  },
);

test('@jitlink/core: every export has a doc comment, and its internals are not in the reference', () => {
  const core = project.children.find((c) => c.name === '@jitlink/core')!;
  const undocumented = documented(core)
    .filter((r) => !hasComment(r))
    .map((r) => r.name);
  expect(undocumented).toEqual([]);
  const names = new Set(documented(core).map((r) => r.name));
  for (const internal of ['validateSegmentsRequest', 'DW_EH_PE_pcrel', 'joinErrors', 'parseCheckExpression'])
    expect(names.has(internal)).toBe(false);
});
