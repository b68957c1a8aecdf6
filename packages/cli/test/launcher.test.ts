/**
 * The command's launcher: loads the bundle's files with the V8 code caches the
 * build wrote, and runs the same without them, or with ones V8 rejects.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './corpus.js';

const DIST = join(REPO_ROOT, 'packages/cli/dist');
const HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');

function node(args: string[]) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
}

test('the build writes code caches that V8 accepts, and the link\'s file loads only for a link', () => {
  const r = node([
    '--input-type=module',
    '-e',
    `const { loadCommand } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'launcher.js')).href)});
     const command = loadCommand();
     const before = Object.fromEntries(command.codeCaches());
     await command.runCommand(['-version']);
     const afterVersion = Object.fromEntries(command.codeCaches());
     await command.runCommand(['-noexec', ${JSON.stringify(HELLO)}]);
     process.stderr.write(JSON.stringify({ entry: command.codeCache, before, afterVersion, afterLink: Object.fromEntries(command.codeCaches()) }));`,
  ]);
  expect(r.stdout).toMatch(/^jitlink \d+\.\d+\.\d+\n$/);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stderr)).toEqual({
    entry: 'used',
    before: { 'jitlink-main.cjs': 'used' },
    afterVersion: { 'jitlink-main.cjs': 'used' },
    afterLink: { 'jitlink-main.cjs': 'used', 'jitlink-link.cjs': 'used' },
  });
});

/**
 * Runs the command and lists what Node loaded (its internal modules, and the files in require's cache),
 * written at exit by a preloaded script to a file (writing to stderr would itself load Node's streams).
 */
function runListingModules(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'jitlink-modules-'));
  try {
    const report = join(dir, 'report.cjs');
    const listing = join(dir, 'loaded.json');
    writeFileSync(
      report,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(listing)}, ` +
        'JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(require.cache) })));\n',
    );
    const r = spawnSync(process.execPath, ['--require', report, join(DIST, 'jitlink.cjs'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const { builtins, files } = JSON.parse(readFileSync(listing, 'utf8')) as { builtins: string[]; files: string[] };
    return { ...r, builtins, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KOFFI_NATIVE = /koffi\/build\/koffi\/linux_x64\/koffi\.node$/;

test('a small link in this process loads no more than it uses: koffi\'s native module alone, not the remote executor, not node:v8', () => {
  const { stdout, status, builtins, files } = runListingModules([HELLO]);
  expect(stdout).toBe('hello, world!\n');
  expect(status).toBe(0);
  expect(files).toContainEqual(expect.stringMatching(KOFFI_NATIVE));
  // Not koffi's own entry (its installer tooling), nor the remote executor's modules (sockets, child processes, HMAC).
  expect(files).not.toContainEqual(expect.stringMatching(/koffi\/index\.js$/));
  for (const unused of ['net', 'child_process', 'crypto', 'https', 'zlib']) expect(builtins).not.toContain(`NativeModule ${unused}`);
  // A link this small keeps V8's default flags: no node:v8 (it loads Node's streams), and Node's own code
  // cache for its internal modules stays valid (V8 rejects it once any flag changes).
  expect(builtins).not.toContain('NativeModule v8');
});

test.each([
  ['-version', ['-version'], 0, /^jitlink \d+\.\d+\.\d+\n$/, ''],
  ['-help', ['-help'], 0, /^OVERVIEW: jitlink/, ''],
  ['a usage error', ['-no-such-option'], 1, /^$/, "jitlink: error: unknown option '-no-such-option' (see --help)\n"],
])('%s loads no native module, and neither Node\'s streams nor its os module', (_, args, exitCode, stdout, stderr) => {
  const r = runListingModules(args);
  expect(r.stdout).toMatch(stdout);
  expect(r.stderr).toBe(stderr);
  expect(r.status).toBe(exitCode);
  expect(r.files).not.toContainEqual(expect.stringMatching(/koffi/));
  for (const unused of ['stream', 'net', 'tty', 'os', 'v8']) expect(r.builtins).not.toContain(`NativeModule ${unused}`);
});

test('output to a reader that has gone (EPIPE) is dropped: -help into a closed pipe exits 0, stderr empty', async () => {
  const child = spawn(process.execPath, [join(DIST, 'jitlink.cjs'), '-help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The read end closes long before the command's first write (Node takes tens of milliseconds to start).
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const status = await new Promise((done) => child.on('close', (code) => done(code)));
  expect(stderr).toBe('');
  expect(status).toBe(0);
});

test('a finished link exits with the program\'s status, its output written and its \'exit\' listeners run', () => {
  // The GDB JIT interface's module lives in a directory under TMPDIR that an 'exit' listener removes.
  const tmp = mkdtempSync(join(tmpdir(), 'jitlink-exit-'));
  try {
    const args = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/args/args.o');
    const r = spawnSync(process.execPath, [join(DIST, 'jitlink.cjs'), args, '-args', 'args', 'a', 'b', 'c'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TMPDIR: tmp },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(REPO_ROOT, 'test-corpus/obj/expected/args.stdout'), 'utf8'));
    expect(r.status).toBe(9);
    expect(readdirSync(tmp)).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

describe('a copy of the command', () => {
  // Inside the package, so that the bundle still finds koffi in node_modules.
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(REPO_ROOT, 'packages/cli/.launcher-test-'));
    for (const f of ['jitlink.cjs', 'jitlink-main.cjs', 'jitlink-link.cjs']) copyFileSync(join(DIST, f), join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['without a code cache', undefined],
    ['with a code cache V8 rejects', Buffer.from('not a code cache')],
    ['with an empty code cache', Buffer.alloc(0)],
  ])('runs %s', (_, cache) => {
    if (cache !== undefined) {
      for (const f of ['jitlink-main.v8cache', 'jitlink-link.v8cache']) writeFileSync(join(dir, f), cache);
    }
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

  test('-version, -help and usage errors run without the link\'s file; a link reports it missing', () => {
    rmSync(join(dir, 'jitlink-link.cjs'));
    expect(node([join(dir, 'jitlink.cjs'), '-version'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^jitlink \d+\.\d+\.\d+\n$/), stderr: '' });
    expect(node([join(dir, 'jitlink.cjs'), '-help'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^OVERVIEW: jitlink/), stderr: '' });
    expect(node([join(dir, 'jitlink.cjs'), '-no-such-option']).status).toBe(1);
    const r = node([join(dir, 'jitlink.cjs'), HELLO]);
    expect(r.stderr).toMatch(/^jitlink: error: .*jitlink-link\.cjs/);
    expect(r.status).toBe(1);
  });
});
