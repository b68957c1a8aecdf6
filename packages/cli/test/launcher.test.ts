/**
 * The command's launcher: loads the bundle with the V8 code cache the build
 * wrote, and runs the same without it, or with one V8 rejects.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './corpus.js';

const DIST = join(REPO_ROOT, 'packages/cli/dist');
const HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');

function node(args: string[]) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
}

test('the build writes a code cache that V8 accepts', () => {
  const r = node([
    '--input-type=module',
    '-e',
    `const { loadCommand } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'launcher.js')).href)});
     process.stdout.write(loadCommand().codeCache);`,
  ]);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('used');
});

test('a link in this process loads no more than it uses: koffi\'s native module alone, not the remote executor', () => {
  const r = spawnSync(process.execPath, [join(DIST, 'jitlink.cjs'), HELLO], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_DEBUG: 'module' },
  });
  expect(r.stdout).toBe('hello, world!\n');
  expect(r.status).toBe(0);
  const loaded = [...r.stderr.matchAll(/^MODULE \d+: load (?:built-in module (\S+)|"([^"]+)")/gm)].map((m) => m[1] ?? m[2]);
  expect(loaded).toContainEqual(expect.stringMatching(/koffi\/build\/koffi\/linux_x64\/koffi\.node$/));
  // The remote executor's modules (sockets, child processes, HMAC) and koffi's own entry (its installer tooling).
  for (const unused of ['node:net', 'node:child_process', 'node:crypto', 'node:https', 'node:zlib']) expect(loaded).not.toContain(unused);
  expect(loaded).not.toContainEqual(expect.stringMatching(/koffi\/index\.js$/));
});

describe('a copy of the command', () => {
  // Inside the package, so that the bundle still finds koffi in node_modules.
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(REPO_ROOT, 'packages/cli/.launcher-test-'));
    for (const f of ['jitlink.cjs', 'jitlink-main.cjs']) copyFileSync(join(DIST, f), join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['without a code cache', undefined],
    ['with a code cache V8 rejects', Buffer.from('not a code cache')],
    ['with an empty code cache', Buffer.alloc(0)],
  ])('runs %s', (_, cache) => {
    if (cache !== undefined) writeFileSync(join(dir, 'jitlink-main.v8cache'), cache);
    const r = node([join(dir, 'jitlink.cjs'), HELLO]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello, world!\n');
    expect(r.status).toBe(0);
  });

  test('reports a missing bundle as an internal error', () => {
    rmSync(join(dir, 'jitlink-main.cjs'));
    const r = node([join(dir, 'jitlink.cjs'), HELLO]);
    expect(r.stderr).toMatch(/^jitlink: internal error: cannot load the command: .*jitlink-main\.cjs/);
    expect(r.status).toBe(1);
  });
});
