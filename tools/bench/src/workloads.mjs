// The benchmark workloads: corpus programs executed against Debian's static
// archives, and -noexec links that pull in every member of an archive.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capture } from './measure.mjs';
import { entrySource, parseNmArchive, pickSymbolPerMember } from './parse.mjs';

const LIBDIR = '/usr/lib/x86_64-linux-gnu';
const VARIANT = 'O2-pic-small';
const COMPILER = 'clang-19';

/**
 * @typedef {{
 *   id: string,
 *   description: string,
 *   noexec: boolean,
 *   inputs: string[],
 *   programArgs: string[] | undefined,
 *   expectedExit: number,
 *   expectedStdout: string | undefined,
 *   members?: { total: number, forced: number },
 *   linkPhase: boolean,
 * }} Workload
 */

/**
 * @param {string} root repository root
 * @param {string} workDir scratch directory for generated entry objects
 * @returns {Workload[]}
 */
export function buildWorkloads(root, workDir) {
  const corpus = join(root, 'test-corpus');
  const manifest = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8'));
  const program = (name) => {
    const p = manifest.programs.find((x) => x.name === name);
    if (!p) throw new Error(`test-corpus/manifest.json has no program ${name}`);
    return {
      objects: p.objects.map((o) => join(corpus, 'obj', COMPILER, VARIANT, o)),
      archives: p.archives,
      expectedExit: p.expected.exit,
      expectedStdout: readFileSync(join(corpus, p.expected.stdout), 'utf8'),
    };
  };

  /** @type {Workload[]} */
  const workloads = [];
  // Start-up and module loading alone: no link at all.
  workloads.push({
    id: 'startup',
    description: '`-version`: process start-up and module loading, nothing linked',
    noexec: false,
    inputs: ['-version'],
    programArgs: undefined,
    expectedExit: 0,
    expectedStdout: undefined,
    linkPhase: false,
  });
  const hello = program('hello');
  workloads.push({
    id: 'hello',
    description: `hello.o (${COMPILER} ${VARIANT}), executed`,
    noexec: false,
    inputs: hello.objects,
    programArgs: undefined,
    expectedExit: hello.expectedExit,
    expectedStdout: hello.expectedStdout,
    linkPhase: true,
  });
  for (const [name, lib] of [
    ['sqlite_driver', 'libsqlite3.a'],
    ['lua_driver', 'liblua5.4.a'],
    ['zlib_driver', 'libz.a'],
  ]) {
    const p = program(name);
    workloads.push({
      id: name,
      description: `${name}.o (${COMPILER} ${VARIANT}) + ${lib}, executed with -args prog`,
      noexec: false,
      inputs: [...p.objects, ...p.archives],
      programArgs: ['prog'],
      expectedExit: p.expectedExit,
      expectedStdout: p.expectedStdout,
      linkPhase: true,
    });
  }
  for (const lib of ['libsqlite3.a', 'libz.a', 'liblua5.4.a']) {
    const archive = join(LIBDIR, lib);
    const entry = allMembersEntry(archive, workDir);
    workloads.push({
      id: `${lib.replace(/\.a$/, '')}-all`,
      description: `-noexec link of an entry object referencing one symbol in each of ${entry.forced} members of ${lib}`,
      noexec: true,
      inputs: [entry.object, archive],
      programArgs: undefined,
      expectedExit: 0,
      expectedStdout: undefined,
      members: { total: entry.total, forced: entry.forced },
      linkPhase: true,
    });
  }
  return workloads;
}

/**
 * Compiles (with clang-19) an entry object that references one global per
 * archive member, so a linker must link every member that defines anything.
 * @param {string} archive
 * @param {string} workDir
 */
export function allMembersEntry(archive, workDir) {
  const total = capture('ar', ['t', archive]).stdout.split('\n').filter(Boolean).length;
  const nm = capture('nm', ['-A', '--defined-only', '-g', archive]);
  if (nm.status !== 0 && !nm.stdout) throw new Error(`nm failed on ${archive}: ${nm.stderr}`);
  const picks = pickSymbolPerMember(parseNmArchive(nm.stdout));
  const base = archive.replace(/^.*\/lib/, 'entry-').replace(/\.a$/, '');
  const source = join(workDir, `${base}.c`);
  const object = join(workDir, `${base}.o`);
  writeFileSync(source, entrySource(picks.map((p) => p.symbol)));
  const cc = capture('clang-19', ['-c', '-O2', '-fPIC', '-w', source, '-o', object]);
  if (cc.status !== 0) throw new Error(`clang-19 failed on ${source}: ${cc.stderr}`);
  return { object, total, forced: picks.length };
}
