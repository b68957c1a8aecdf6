#!/usr/bin/env node
/**
 * End-to-end install tests. Starts verdaccio on 127.0.0.1 with its storage
 * and config in a temporary folder and no uplink, publishes every package
 * (packages/* and examples/*) at a snapshot version, and installs subsets
 * into fresh projects outside the workspace, as users would.
 *
 * The registry needs no network: the few third-party runtime dependencies
 * (koffi, @viz-js/viz) are packed from the workspace's node_modules and
 * published to it too, so an install that reaches for anything else fails.
 *
 *   node tools/e2e/src/e2e.mjs [--keep] [--only <scenario substring>]
 *
 * Needs the packages built (npm run build). Exits non-zero on any failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarios } from './scenarios.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

/** Third-party runtime dependencies of our packages, served from the local node_modules. */
const THIRD_PARTY = ['koffi', '@viz-js/viz'];

/**
 * koffi ships prebuilt binaries for every platform we support; its install
 * script (which would build from source) is not needed, so users decline it
 * as the workspace does: `"allowScripts": { "koffi": false }` in a project,
 * `--ignore-scripts` for a global install.
 */
const ALLOW_SCRIPTS = { koffi: false };

const failures = [];
const fail = (what) => {
  failures.push(what);
  console.error(`FAIL ${what}`);
};

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw result.error;
  return result;
}

function mustRun(command, commandArgs, options = {}) {
  const result = run(command, commandArgs, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${commandArgs.join(' ')} (in ${options.cwd ?? process.cwd()}) exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForRegistry(url, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}-/ping`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('verdaccio did not answer within 30 s');
}

/** The publishable package folders: packages/* and examples/*, not private. */
function workspacePackages() {
  const dirs = [];
  for (const parent of ['packages', 'examples']) {
    const base = path.join(root, parent);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = path.join(base, name);
      const file = path.join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      if (!manifest.private) dirs.push({ dir, manifest });
    }
  }
  return dirs;
}

function listFiles(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const rel = prefix ? `${prefix}/${entry}` : entry;
    if (statSync(full).isDirectory()) out.push(...listFiles(full, rel));
    else out.push(rel);
  }
  return out;
}

/** What a published tarball must and must not hold. */
function checkTarball(name, unpacked) {
  const files = listFiles(unpacked);
  if (!files.some((f) => /^LICEN[CS]E(\.|$)/i.test(f))) fail(`${name}: tarball has no LICENSE`);
  for (const f of files.filter((f) => f.endsWith('.tsbuildinfo'))) fail(`${name}: tarball holds ${f}`);
  for (const f of files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(path.join(unpacked, f), 'utf8'));
    if (map.sourcesContent) continue;
    for (const source of map.sources ?? []) {
      const resolved = path.join(unpacked, path.dirname(f), map.sourceRoot ?? '', source);
      if (!existsSync(resolved)) {
        fail(`${name}: ${f} names source ${source}, not in the tarball`);
        return; // one message per package is enough
      }
    }
  }
}

/** Packs `dir`, rewrites the manifest to the snapshot version, checks it, publishes it. */
function publishWorkspacePackage({ dir, manifest }, work, version, env) {
  const packed = mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: dir,
    env,
  });
  const tarball = path.join(work, JSON.parse(packed.stdout)[0].filename);
  const unpackDir = path.join(work, `unpacked-${manifest.name.replace(/[@/]/g, '_')}`);
  mkdirSync(unpackDir, { recursive: true });
  mustRun('tar', ['-xzf', tarball, '-C', unpackDir]);
  const pkgDir = path.join(unpackDir, 'package');
  checkTarball(manifest.name, pkgDir);
  const published = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  published.version = version;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const dep of Object.keys(published[field] ?? {}))
      if (dep.startsWith('@jitlink/')) published[field][dep] = version;
  }
  delete published.devDependencies;
  writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify(published, null, 2));
  mustRun('npm', ['publish', '--ignore-scripts', '--tag', 'e2e', pkgDir], { cwd: work, env });
}

function publishThirdParty(name, work, env) {
  const dir = path.join(root, 'node_modules', name);
  const packed = mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: dir,
    env,
  });
  const tarball = path.join(work, JSON.parse(packed.stdout)[0].filename);
  mustRun('npm', ['publish', '--ignore-scripts', tarball], { cwd: work, env });
}

/** npm output lines that are warnings or errors. */
const noisy = (text) => text.split('\n').filter((line) => /^npm (warn|WARN|error|ERR)/.test(line));

function runScenario(scenario, ctx) {
  const { work, version, env } = ctx;
  const project = path.join(work, `project-${scenario.id}`);
  mkdirSync(project, { recursive: true });
  for (const [name, source] of Object.entries(scenario.files ?? {}))
    copyFileSync(path.join(root, source), path.join(project, name));
  let bin = project;
  if (scenario.global) {
    const prefix = path.join(project, 'global');
    const installed = mustRun(
      'npm',
      [
        'install',
        '-g',
        '--ignore-scripts',
        '--prefix',
        prefix,
        ...scenario.global.map((p) => `${p}@${version}`),
      ],
      { cwd: project, env },
    );
    for (const line of noisy(installed.stderr)) fail(`${scenario.name}: npm install -g: ${line}`);
    bin = path.join(prefix, 'bin');
  } else {
    const dependencies = Object.fromEntries(scenario.packages.map((p) => [p, version]));
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify(
        {
          name: `e2e-${scenario.id}`,
          private: true,
          type: 'module',
          dependencies,
          allowScripts: ALLOW_SCRIPTS,
        },
        null,
        2,
      ),
    );
    mustRun('npm', ['install'], { cwd: project, env });
    rmSync(path.join(project, 'node_modules'), { recursive: true, force: true });
    const ci = mustRun('npm', ['ci'], { cwd: project, env });
    for (const line of noisy(ci.stderr)) fail(`${scenario.name}: npm ci: ${line}`);
    const installed = readdirSync(path.join(project, 'node_modules', '@jitlink'))
      .map((n) => `@jitlink/${n}`)
      .sort();
    for (const p of scenario.forbidden ?? [])
      if (installed.includes(p)) fail(`${scenario.name}: ${p} was installed (${installed.join(', ')})`);
    if (scenario.forbiddenText) {
      for (const f of listFiles(path.join(project, 'node_modules', '@jitlink'))) {
        if (!/\.(js|cjs|mjs)$/.test(f)) continue;
        if (
          scenario.forbiddenText.test(readFileSync(path.join(project, 'node_modules', '@jitlink', f), 'utf8'))
        ) {
          fail(`${scenario.name}: node_modules/@jitlink/${f} holds ${scenario.forbiddenText}`);
        }
      }
    }
    if (scenario.script) writeFileSync(path.join(project, 'main.mjs'), scenario.script);
  }
  const [command, ...commandArgs] = scenario.run({ project, bin });
  const result = run(command, commandArgs, { cwd: project, env: { ...process.env, NO_COLOR: '1' } });
  const output = result.stdout + result.stderr;
  if (result.status !== (scenario.exitCode ?? 0))
    fail(`${scenario.name}: exit ${result.status}, output:\n${output}`);
  else if (!scenario.expect.test(result.stdout))
    fail(`${scenario.name}: stdout does not match ${scenario.expect}:\n${output}`);
  else console.log(`ok   ${scenario.name}`);
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'jitlink-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  // No uplinks: every package comes from this registry.
  writeFileSync(
    path.join(work, 'config.yaml'),
    [
      `storage: ${path.join(work, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(work, 'htpasswd')}`,
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      '    unpublish: $all',
      'log: { type: stdout, format: pretty, level: warn }',
      'max_body_size: 500mb',
      'server:',
      '  keepAliveTimeout: 0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(work, 'npmrc'),
    `registry=${url}\n//127.0.0.1:${port}/:_authToken=e2e-local-token\n`,
  );
  const env = {
    ...process.env,
    npm_config_userconfig: path.join(work, 'npmrc'),
    npm_config_globalconfig: path.join(work, 'npmrc-global'),
    npm_config_cache: path.join(work, 'npm-cache'),
    npm_config_registry: url,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'warn',
  };
  // npm run sets npm_config_* of the calling project; they must not leak in.
  for (const key of Object.keys(env))
    if (key.startsWith('npm_package_') || key === 'npm_config_prefix') delete env[key];

  const verdaccioBin = path.join(root, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  const verdaccio = spawn(
    process.execPath,
    [verdaccioBin, '--config', path.join(work, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let verdaccioLog = '';
  verdaccio.stdout.on('data', (d) => (verdaccioLog += d));
  verdaccio.stderr.on('data', (d) => (verdaccioLog += d));
  try {
    await waitForRegistry(url, verdaccio);
    const version = `0.0.0-e2e.${Date.now()}`;
    const packs = path.join(work, 'packs');
    mkdirSync(packs);
    for (const dep of THIRD_PARTY) publishThirdParty(dep, packs, env);
    const packages = workspacePackages();
    for (const p of packages) {
      if (!existsSync(path.join(p.dir, 'dist')))
        throw new Error(`${p.manifest.name} is not built: run npm run build first`);
      publishWorkspacePackage(p, packs, version, env);
    }
    console.log(`ok   published ${packages.length} packages at ${version} to ${url}`);
    for (const scenario of scenarios) {
      if (only && !scenario.name.includes(only)) continue;
      try {
        runScenario(scenario, { work, version, env });
      } catch (error) {
        fail(`${scenario.name}: ${error.message}`);
      }
    }
  } catch (error) {
    fail(error.stack ?? String(error));
    if (verdaccioLog) console.error(`verdaccio said:\n${verdaccioLog}`);
  } finally {
    verdaccio.kill();
    if (keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`${failures.length} end-to-end failure(s)`);
    process.exit(1);
  }
}

await main();
