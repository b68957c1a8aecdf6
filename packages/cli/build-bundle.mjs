// Bundles the command in two CommonJS files (faster to load than the ES
// module graph): dist/jitlink-main.cjs (src/command.ts: options, -help,
// -version, usage errors) and dist/jitlink-link.cjs (src/link-command.ts and
// every module it uses), which the first requires only for a link; and
// dist/jitlink.cjs (src/bin.ts: a launcher that loads them with their V8
// code caches). koffi and the WebAssembly Graphviz stay external; the command
// reaches koffi through src/koffi-entry.cjs, and the architecture packages
// through src/arch-targets.cjs (each required when a link first needs it).
//
// Then it writes the code caches (dist/jitlink-main.v8cache,
// dist/jitlink-link.v8cache) in a child process that links and runs a few
// programs of the committed test corpus: V8 caches the bytecode of every
// function those runs called.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { build } from 'esbuild';

if (process.argv[2] === '--train') {
  await train();
} else {
  await bundle();
  writeCodeCache();
}

async function bundle() {
  const koffiEntry = fileURLToPath(new URL('./src/koffi-entry.cjs', import.meta.url));
  const archTargets = fileURLToPath(new URL('./src/arch-targets.cjs', import.meta.url));
  // charset 'ascii' (esbuild's default, stated because the launcher relies on it): it reads the bundle as Latin-1.
  // empty-import-meta: @jitlink/executor-remote reads import.meta.url only where it is an ES module; the
  // command passes it the folder of its executors instead (steps/session.ts).
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    logOverride: { 'empty-import-meta': 'silent' },
    charset: 'ascii',
  };
  // import() becomes require(): the launcher compiles the bundle as scripts, which have no module loader.
  const noDynamicImport = { 'dynamic-import': false };
  await build({
    ...common,
    entryPoints: ['src/command.ts'],
    outfile: 'dist/jitlink-main.cjs',
    supported: noDynamicImport,
    plugins: [
      {
        name: 'link-file',
        setup(b) {
          // The link is the other file: the launcher's require loads it (with its code cache) when a link starts.
          b.onResolve({ filter: /^\.\/link-command\.js$/ }, () => ({ path: './jitlink-link.cjs', external: true }));
        },
      },
    ],
  });
  await build({
    ...common,
    entryPoints: ['src/link-command.ts'],
    outfile: 'dist/jitlink-link.cjs',
    external: ['@viz-js/viz'],
    supported: noDynamicImport,
    plugins: [
      {
        name: 'koffi-entry',
        setup(b) {
          // Architectures are required when a link first needs one (src/arch-targets.cjs), not evaluated at start.
          b.onResolve({ filter: /^\.\/arch-targets\.js$/ }, () => ({ path: archTargets }));
          // Its requires resolve as imports: the packages export ES modules only.
          b.onResolve({ filter: /^@jitlink\/arch-/ }, (args) =>
            args.importer === archTargets && args.kind === 'require-call'
              ? b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir })
              : undefined,
          );
          // The bundle's own imports of koffi go through the entry file; its require of the package stays external.
          b.onResolve({ filter: /^koffi(\/.*)?$/ }, (args) =>
            args.importer === koffiEntry ? { path: args.path, external: true } : { path: koffiEntry },
          );
        },
      },
    ],
  });
  // The decode pool's worker thread: the ELF decoder alone.
  await build({
    ...common,
    entryPoints: ['src/decode-worker.ts'],
    outfile: 'dist/decode-worker.cjs',
  });
  await build({
    ...common,
    entryPoints: ['src/bin.ts'],
    outfile: 'dist/jitlink.cjs',
    // The launcher finds the bundle next to itself through __dirname; import.meta.url is its ES module way.
    define: { 'import.meta.url': 'undefined' },
  });
  chmodSync('dist/jitlink.cjs', 0o755);
}

function writeCodeCache() {
  const caches = ['jitlink-main', 'jitlink-link'].map((name) =>
    fileURLToPath(new URL(`./dist/${name}.v8cache`, import.meta.url)),
  );
  for (const cache of caches) rmSync(cache, { force: true });
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 || !caches.every((cache) => existsSync(cache))) {
    // Not fatal: without a cache the command compiles its code when it runs.
    process.stderr.write(
      `build-bundle: no code cache written (training exited with ${r.status ?? r.signal})\n`,
    );
  }
}

// Links that together run most of the command's code: C and C++ programs of
// the committed corpus (GOT, PLT, eh-frame with LSDAs, static constructors
// and destructors, commons, weak definitions, the large code model, an
// archive), linked and run. Without the corpus (a build outside the
// repository) there is no cache.
async function train() {
  // V8 drops the bytecode of functions that have not run for a few
  // collections, and a dropped function is not in the cache: depending on when
  // collections fell, the cache held 400 or 530 KB, and a run with the smaller
  // one started ~10 ms slower. Bytecode is kept while training; the flag is set
  // back before the cache is written, because V8 accepts a cache only under the
  // flags it was made with.
  setFlagsFromString('--no-flush-bytecode');
  const corpus = fileURLToPath(new URL('../../test-corpus/obj/', import.meta.url));
  if (!existsSync(corpus)) return;
  const manifest = JSON.parse(readFileSync(`${corpus}manifest.json`, 'utf8'));
  const links = [
    ['clang-19/O2-pic-small', 'cxx'],
    ['gcc/O2-pic-small', 'multi', { archive: ['multi/ops.o', 'multi/tables.o'] }],
    ['clang-19/O0-nopic-large', 'commons'],
    ['gcc/O2-pie-medium', 'weak'],
    ['clang-19/O2-pic-small', 'ctors'],
    ['clang-19/O2-pic-small', 'sections'],
  ];
  const scratch = mkdtempSync(join(tmpdir(), 'jitlink-training-'));
  try {
    const { loadCommand } = await import('./dist/launcher.js');
    const registry = (await import('./dist/index.js')).createDefaultRegistry();
    const command = loadCommand();
    for (const [variant, name, { archive = [] } = {}] of links) {
      const program = manifest.programs.find((p) => p.name === name);
      const inputs = program.objects
        .filter((o) => !archive.includes(o))
        .map((o) => `${corpus}${variant}/${o}`);
      if (archive.length > 0) {
        const file = join(scratch, `lib${name}.a`);
        const members = archive.map((o) => [basename(o), readFileSync(`${corpus}${variant}/${o}`)]);
        writeFileSync(
          file,
          arArchive(members, (member, data) => registry.readObjectDefinitions(data, { name: member }).keys()),
        );
        inputs.push(file);
      }
      await command.runCommand(inputs);
      if (process.exitCode !== program.expected.exit)
        throw new Error(`training link of ${variant}/${name} exited with ${process.exitCode}`);
    }
    process.exitCode = 0;
    setFlagsFromString('--flush-bytecode');
    command.writeCodeCache();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A System V archive of the given members with a symbol index of their definitions, as `ar rcs` writes. */
function arArchive(members, definitionsOf) {
  const field = (value, width) => String(value).padEnd(width);
  const header = (name, size) =>
    Buffer.from(
      `${field(name, 16)}${field(0, 12)}${field(0, 6)}${field(0, 6)}${field(644, 8)}${field(size, 10)}\`\n`,
    );
  const padded = (data) => (data.length % 2 === 1 ? Buffer.concat([data, Buffer.from('\n')]) : data);
  const symbols = members.map(([name, data]) => [...definitionsOf(name, data)]);
  const names = Buffer.from(
    symbols
      .flat()
      .map((n) => `${n}\0`)
      .join(''),
  );
  // The index: a count, each name's member offset (big-endian), then the names.
  const table = Buffer.concat([Buffer.alloc(4 + 4 * symbols.flat().length), names]);
  table.writeUInt32BE(symbols.flat().length, 0);
  let offset = 8 + 60 + padded(table).length;
  let slot = 0;
  for (const [i, [, data]] of members.entries()) {
    for (let k = 0; k < symbols[i].length; k++) table.writeUInt32BE(offset, 4 + 4 * slot++);
    offset += 60 + padded(data).length;
  }
  const parts = [Buffer.from('!<arch>\n'), header('/', table.length), padded(table)];
  for (const [name, data] of members) parts.push(header(`${name}/`, data.length), padded(data));
  return Buffer.concat(parts);
}
