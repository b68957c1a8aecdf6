// The benchmark workloads: corpus programs executed against Debian's static
// archives, -noexec links that pull in every member of one or several
// archives, and generated programs (many small sections; 1,000 small objects).
// Inputs that need building are built at bench time, only for the workloads
// selected.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LLVM_SET_SIZES_MB, MB, selectLlvmSets } from './archive-sets.mjs';
import {
  ATEXIT_SOURCE,
  DSO_HANDLE_SOURCE,
  manySectionsProgram,
  ORC_OBJECTS,
  orcFunction,
  orcObjectAsm,
  orcObjectName,
} from './generate.mjs';
import { capture, runAll } from './measure.mjs';
import { entrySource, entrySymbols } from './parse.mjs';

const LIBDIR = '/usr/lib/x86_64-linux-gnu';
const LLVM_LIBDIR = '/usr/lib/llvm-19/lib';
/** What llvm-jitlink-19 itself is linked against: the LLVM libraries' references to each other resolve there. */
export const LIBLLVM_SO = join(LIBDIR, 'libLLVM.so.19.1');
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
 *   inputBytes?: number,
 *   links?: number,
 *   objectsDir?: string,
 *   jitlinkExtra: string[],
 *   llvmExtra: string[],
 *   linkPhase: boolean,
 * }} Workload
 * `inputBytes`: summed size of the archives (all-members workloads).
 * `links`: objects linked per run (links per second = links / link phase).
 * `jitlinkExtra` / `llvmExtra`: arguments only that tool gets, before the
 * inputs: what its process lacks for this workload (see README).
 */

const ARCHIVE_LIBS = ['libsqlite3.a', 'libz.a', 'liblua5.4.a', 'libcrypto.a'];
const allId = (lib) => `${lib.replace(/\.a$/, '')}-all`;

/** Workload ids, in bench order. */
export const WORKLOAD_IDS = [
  'startup',
  'hello',
  'sqlite_driver',
  'lua_driver',
  'zlib_driver',
  'many-sections',
  ...ARCHIVE_LIBS.map(allId),
  ...LLVM_SET_SIZES_MB.map((s) => `llvm-${s}mb`),
  'orc-1000',
];

/**
 * @param {string} root repository root
 * @param {string} workDir scratch directory for generated inputs
 * @param {string[]} [only] workload ids to build (default: all)
 * @returns {Promise<Workload[]>}
 */
export async function buildWorkloads(root, workDir, only) {
  const unknown = (only ?? []).filter((id) => !WORKLOAD_IDS.includes(id));
  if (unknown.length)
    throw new Error(`unknown workload ${unknown.join(', ')} (known: ${WORKLOAD_IDS.join(', ')})`);
  const wanted = (id) => !only || only.includes(id);
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
  const base = { programArgs: undefined, jitlinkExtra: [], llvmExtra: [] };
  // The objects that give llvm-jitlink-19 what its process lacks, compiled once.
  const llvmOnly = lazy(() => ({
    dsoHandle: compileC(DSO_HANDLE_SOURCE, join(workDir, 'llvm-dso-handle'), ['-O2', '-fPIC']),
    atexit: compileC(ATEXIT_SOURCE, join(workDir, 'llvm-atexit'), ['-O2', '-fPIC']),
  }));

  /** @type {Workload[]} */
  const workloads = [];
  // Start-up and module loading alone: no link at all.
  if (wanted('startup')) {
    workloads.push({
      ...base,
      id: 'startup',
      description: '`-version`: process start-up and module loading, nothing linked',
      noexec: false,
      inputs: ['-version'],
      expectedExit: 0,
      expectedStdout: undefined,
      linkPhase: false,
    });
  }
  if (wanted('hello')) {
    const hello = program('hello');
    workloads.push({
      ...base,
      id: 'hello',
      description: `hello.o (${COMPILER} ${VARIANT}), executed`,
      noexec: false,
      inputs: hello.objects,
      expectedExit: hello.expectedExit,
      expectedStdout: hello.expectedStdout,
      linkPhase: true,
    });
  }
  for (const [name, lib] of [
    ['sqlite_driver', 'libsqlite3.a'],
    ['lua_driver', 'liblua5.4.a'],
    ['zlib_driver', 'libz.a'],
  ]) {
    if (!wanted(name)) continue;
    const p = program(name);
    workloads.push({
      ...base,
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
  if (wanted('many-sections')) workloads.push(await manySectionsWorkload(workDir));
  for (const lib of ARCHIVE_LIBS) {
    if (!wanted(allId(lib))) continue;
    const archive = join(LIBDIR, lib);
    const entry = allMembersEntry([archive], workDir, allId(lib));
    workloads.push({
      ...base,
      id: allId(lib),
      description: `-noexec link of an entry object referencing one symbol in each of ${entry.forced} members of ${lib}`,
      noexec: true,
      inputs: [entry.object, archive],
      expectedExit: 0,
      expectedStdout: undefined,
      members: { total: entry.total, forced: entry.forced },
      inputBytes: entry.bytes,
      // glibc exports no atexit; jitlink provides its own.
      llvmExtra: lib === 'libcrypto.a' ? [llvmOnly().atexit] : [],
      linkPhase: true,
    });
  }
  const llvmIds = LLVM_SET_SIZES_MB.map((s) => `llvm-${s}mb`).filter(wanted);
  if (llvmIds.length) {
    for (const set of await llvmSets()) {
      if (!llvmIds.includes(set.id)) continue;
      const archives = set.archives.map((a) => join(LLVM_LIBDIR, a));
      const entry = allMembersEntry(archives, workDir, set.id);
      const names = set.archives.map((a) => a.replace(/^libLLVM|\.a$/g, ''));
      workloads.push({
        ...base,
        id: set.id,
        description:
          `-noexec link of an entry object referencing one symbol in each of ${entry.forced} members of ` +
          `${set.archives.length} LLVM 19 static libraries (${(set.bytes / MB).toFixed(1)} MB: libLLVM{${names.join(',')}}.a)`,
        noexec: true,
        inputs: [entry.object, ...archives],
        expectedExit: 0,
        expectedStdout: undefined,
        members: { total: entry.total, forced: entry.forced },
        inputBytes: entry.bytes,
        jitlinkExtra: ['-preload', LIBLLVM_SO],
        // llvm-jitlink-19's process has no __dso_handle; jitlink defines one.
        llvmExtra: [llvmOnly().dsoHandle],
        linkPhase: true,
      });
    }
  }
  if (wanted('orc-1000')) {
    const { dir, objects, main } = await buildOrcObjects(workDir);
    workloads.push({
      ...base,
      id: 'orc-1000',
      description:
        `-noexec link of ${ORC_OBJECTS} small generated objects (llvm-mc-19), each calling the previous one's ` +
        `function and reading its data, plus a main calling the last`,
      noexec: true,
      inputs: [main, ...objects],
      expectedExit: 0,
      expectedStdout: undefined,
      links: ORC_OBJECTS,
      objectsDir: dir,
      linkPhase: true,
    });
  }
  return workloads;
}

/** Calls `f` once, on first use. */
function lazy(f) {
  let value;
  let done = false;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

/** Writes `<stem>.c` and compiles it with clang-19 into `<stem>.o`. */
function compileC(source, stem, flags) {
  writeFileSync(`${stem}.c`, source);
  const cc = capture('clang-19', ['-c', ...flags, '-w', `${stem}.c`, '-o', `${stem}.o`]);
  if (cc.status !== 0) throw new Error(`clang-19 failed on ${stem}.c: ${cc.stderr}`);
  return `${stem}.o`;
}

/**
 * Compiles (with clang-19) an entry object that references one global per
 * member of each archive, so a linker must link every member that defines
 * anything.
 * @param {string | string[]} archives
 * @param {string} workDir
 * @param {string} [name] file stem of the entry object (default: from the first archive)
 */
export function allMembersEntry(archives, workDir, name) {
  const list = typeof archives === 'string' ? [archives] : archives;
  let total = 0;
  let bytes = 0;
  const nmOutputs = [];
  for (const archive of list) {
    total += capture('ar', ['t', archive]).stdout.split('\n').filter(Boolean).length;
    bytes += statSync(archive).size;
    // Per archive: members of different archives may share a name.
    const nm = capture('nm', ['-A', '--defined-only', '-g', archive]);
    if (nm.status !== 0 && !nm.stdout) throw new Error(`nm failed on ${archive}: ${nm.stderr}`);
    nmOutputs.push(nm.stdout);
  }
  const symbols = entrySymbols(nmOutputs);
  const stem = `entry-${name ?? basename(list[0]).replace(/^lib/, '').replace(/\.a$/, '')}`;
  const object = compileC(entrySource(symbols), join(workDir, stem), ['-O2', '-fPIC']);
  return { object, total, forced: symbols.length, bytes };
}

/**
 * The llvm-* sets: the LLVM 19 static libraries (those with thread-local
 * relocations included), then selectLlvmSets.
 */
export async function llvmSets() {
  const archives = readdirSync(LLVM_LIBDIR)
    .filter((n) => /^libLLVM.*\.a$/.test(n))
    .sort()
    .map((name) => ({ name, bytes: statSync(join(LLVM_LIBDIR, name)).size }));
  return selectLlvmSets(archives);
}

/**
 * The many-sections program: generated C files compiled with
 * -ffunction-sections -fdata-sections (clang-19 -O1 -fPIC), and its expected
 * stdout from a native build (clang-19 linking it) run once.
 * @param {string} workDir
 * @returns {Promise<Workload>}
 */
async function manySectionsWorkload(workDir) {
  const dir = join(workDir, 'many-sections');
  mkdirSync(dir, { recursive: true });
  const files = manySectionsProgram();
  for (const f of files) writeFileSync(join(dir, f.name), f.text);
  const flags = ['-O1', '-fPIC', '-ffunction-sections', '-fdata-sections', '-w'];
  const objects = files.map((f) => join(dir, f.name.replace(/\.c$/, '.o')));
  await runAll(
    files.map((f, i) => ({ argv: ['clang-19', '-c', ...flags, join(dir, f.name), '-o', objects[i]] })),
  );
  const native = join(dir, 'native');
  const ld = capture('clang-19', [...objects, '-o', native]);
  if (ld.status !== 0) throw new Error(`clang-19 could not link the many-sections program: ${ld.stderr}`);
  const run = capture(native, []);
  if (run.status !== 0)
    throw new Error(`the natively linked many-sections program exited with ${run.status}`);
  let sections = 0;
  for (const o of objects) sections += countSections(readFileSync(o));
  return {
    id: 'many-sections',
    description:
      `${files.length} generated C files (${COMPILER} -O1 -fPIC -ffunction-sections -fdata-sections, ` +
      `${sections} sections in all), executed; stdout checked against the same program linked natively by ${COMPILER}`,
    noexec: false,
    inputs: objects,
    programArgs: undefined,
    expectedExit: 0,
    expectedStdout: run.stdout,
    jitlinkExtra: [],
    llvmExtra: [],
    linkPhase: true,
  };
}

/** Section count of an ELF64 object (e_shnum). */
function countSections(bytes) {
  return bytes.readUInt16LE(0x3c);
}

/**
 * The orc-1000 objects (one llvm-mc-19 per object, one per CPU at a time)
 * and a main object calling the last function.
 * @param {string} workDir
 */
export async function buildOrcObjects(workDir) {
  const dir = join(workDir, 'orc-1000');
  mkdirSync(dir, { recursive: true });
  const commands = [];
  const objects = [];
  for (let i = 0; i < ORC_OBJECTS; i++) {
    const object = join(dir, orcObjectName(i));
    const source = object.replace(/\.o$/, '.s');
    writeFileSync(source, orcObjectAsm(i));
    objects.push(object);
    commands.push({
      argv: ['llvm-mc-19', '-filetype=obj', '-triple', 'x86_64-linux-gnu', source, '-o', object],
    });
  }
  await runAll(commands);
  const last = orcFunction(ORC_OBJECTS - 1);
  const main = compileC(
    `int ${last}(int);\nint main(int argc, char **argv) { (void)argv; return ${last}(argc) != 0; }\n`,
    join(workDir, 'orc-main'),
    ['-O2', '-fPIC'],
  );
  return { dir, objects, main };
}

/**
 * The arguments one tool gets for a workload (without the program itself):
 * `extra` (e.g. -show-times), what only this tool needs, -noexec, the inputs,
 * and -args with the program's arguments.
 * @param {'jitlink' | 'llvm'} tool
 * @param {Workload} workload
 * @param {string[]} [extra]
 */
export function toolArguments(tool, workload, extra = []) {
  const own = tool === 'jitlink' ? workload.jitlinkExtra : workload.llvmExtra;
  const words = [...extra, ...own, ...(workload.noexec ? ['-noexec'] : []), ...workload.inputs];
  if (workload.programArgs) words.push('-args', ...workload.programArgs);
  return words;
}
