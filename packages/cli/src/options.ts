/**
 * Command-line options, spelled and parsed as llvm-jitlink does (LLVM's
 * command-line conventions): one or two dashes; values after '=' or as the
 * next word; -L and -l also accept the value joined (-L/usr/lib, -lz);
 * everything after -args goes to the program.
 */
import { JITLinkError, type InputLimits } from '@jitlink/core';

export interface Input {
  /**
   * 'file' and 'library' are objects and archives; 'jd' switches the JITDylib
   * later inputs go to; 'alias' (<alias>=<target>) and 'sectcreate'
   * (<section>,<file>[@<sym>=<offset>,...]) apply to the current JITDylib.
   */
  kind: 'file' | 'library' | 'jd' | 'alias' | 'sectcreate';
  value: string;
  /** Library search directories in effect (for 'library'). */
  searchPaths?: string[];
  /** True for inputs after -harness. */
  harness?: boolean;
  /** Archive members are linked with hidden visibility (-hidden-l, -load_hidden). */
  hidden?: boolean;
}

export interface CliOptions {
  inputs: Input[];
  programArgs: string[];
  entry: string;
  noexec: boolean;
  absolutes: { name: string; address: bigint }[];
  phonyExternals: boolean;
  noProcessSyms: boolean;
  slabAllocate?: number;
  slabAddress?: bigint;
  /** -triple: the slice taken from universal MachO files. */
  triple?: string;
  /** -graph-budget: the ObjectLinkingLayer's graph budget in bytes. */
  graphBudget?: number;
  /** -decode-threads: worker threads decoding archive members ahead of their graphs (unset or 0: none). */
  decodeThreads?: number;
  slabPageSize?: number;
  /** -max-input-size, -max-sections, -max-relocations, -max-archive-members: caps on each object (and archive). */
  limits: InputLimits;
  /** -max-reserved-memory: working memory the -slab-allocate slab may hold at once. */
  maxReservedMemory?: number;
  showGraphs: string[];
  checkFiles: string[];
  checkName: string;
  showAddrs: boolean;
  showTimes: boolean;
  showSizes: boolean;
  showRelocatedSectionContents: boolean;
  showInitES: boolean;
  showEntryES: boolean;
  addSelfRelocations: boolean;
  /** Shared libraries loaded into the process before linking. */
  preload: string[];
  /** -oop-executor (true: the default executor) or -oop-executor=<path>: run the code in a child process. */
  oopExecutor?: string | true;
  /** -oop-executor-connect=<host>:<port>: run the code in an executor listening there. */
  oopExecutorConnect?: string;
  /** -use-shared-memory: an out-of-process executor's memory is shared with this process, not copied. */
  useSharedMemory: boolean;
  /** -debugger-support: register linked objects with the executor's GDB JIT interface (default: !-noexec). */
  debuggerSupport: boolean;
  /** Whether -debugger-support was given (then an executor without the interface is an error). */
  debuggerSupportGiven: boolean;
  /** -perf-support: perf map lines and jitdump records for linked functions. */
  perfSupport: boolean;
  /** Diagnostics (-show-addrs, -show-graphs, -show-times, -show-sizes) as one JSON document on stdout. */
  json: boolean;
  /** --watch: run the program and re-link each input that changes on disk into it. */
  watch: boolean;
  /** --compile: the compiler command (e.g. 'cc -O1 -fPIC') that turns --watch's source inputs into objects. */
  compile?: string;
  verbose: boolean;
  help: boolean;
  version: boolean;
}

/** 'optional-value': a value only after '=' (`-oop-executor`, `-oop-executor=<path>`). */
type Kind = 'flag' | 'value' | 'optional-value' | 'list';
export interface OptionSpec {
  name: string;
  kind: Kind;
  group: string;
  help: string;
  valueName?: string;
}

export const OPTION_SPECS: OptionSpec[] = [
  // llvm-jitlink's "JITLink Options" category, with its spellings and meanings.
  { name: 'L', kind: 'list', group: 'JITLink', valueName: 'dir', help: 'Add dir to the list of library search paths' },
  { name: 'abs', kind: 'list', group: 'JITLink', valueName: 'name=addr', help: 'Inject absolute symbol definitions (syntax: <name>=<addr>)' },
  { name: 'add-self-relocations', kind: 'flag', group: 'JITLink', help: 'Add relocations to function pointers to the current function' },
  { name: 'alias', kind: 'list', group: 'JITLink', valueName: 'alias=target', help: 'Inject symbol aliases (syntax: [<jd>:]<alias-name>=[<jd>:]<aliasee>)' },
  { name: 'args', kind: 'flag', group: 'JITLink', help: '<program arguments>... (all following words are the program\'s argv)' },
  { name: 'check', kind: 'list', group: 'JITLink', valueName: 'file', help: "File containing verifier checks ('# jitlink-check: <lhs> = <rhs>' lines)" },
  { name: 'debugger-support', kind: 'flag', group: 'JITLink', help: 'Enable debugger suppport (default = !-noexec)' },
  { name: 'check-name', kind: 'value', group: 'JITLink', valueName: 'name', help: 'Name of checks to match against (default: jitlink-check)' },
  { name: 'entry', kind: 'value', group: 'JITLink', valueName: 'symbol', help: 'Symbol to call as main entry point (default: main)' },
  { name: 'hidden-l', kind: 'list', group: 'JITLink', valueName: 'name', help: 'Link against library X in the library search paths with hidden visibility' },
  { name: 'jd', kind: 'list', group: 'JITLink', valueName: 'name', help: 'Specifies the JITDylib to be used for any subsequent input file, -L<search-path>, and -l<library> arguments' },
  { name: 'l', kind: 'list', group: 'JITLink', valueName: 'name', help: 'Link against library X (libX.a) in the library search paths' },
  { name: 'load_hidden', kind: 'list', group: 'JITLink', valueName: 'path', help: 'Link against library X with hidden visibility' },
  { name: 'no-process-syms', kind: 'flag', group: 'JITLink', help: 'Do not resolve to jitlink process symbols (libc etc.)' },
  { name: 'noexec', kind: 'flag', group: 'JITLink', help: 'Do not execute loaded code (every named object is still linked)' },
  { name: 'oop-executor', kind: 'optional-value', group: 'JITLink', valueName: 'path', help: 'Run the code in a child executor process (default: jitlink-executor, else llvm-jitlink-executor)' },
  { name: 'oop-executor-connect', kind: 'value', group: 'JITLink', valueName: 'host:port', help: 'Run the code in the executor listening at <host>:<port>' },
  { name: 'perf-support', kind: 'flag', group: 'JITLink', help: 'Enable perf profiling support' },
  { name: 'phony-externals', kind: 'flag', group: 'JITLink', help: 'Resolve all otherwise unresolved externals to null' },
  { name: 'preload', kind: 'list', group: 'JITLink', valueName: 'lib', help: 'Pre-load dynamic libraries into the process before linking' },
  { name: 'sectcreate', kind: 'list', group: 'JITLink', valueName: 'sect,file[@sym=off,...]', help: 'Add the content of <file> to a new section <sect>, with optional symbols at offsets' },
  { name: 'use-shared-memory', kind: 'flag', group: 'JITLink', help: 'Use shared memory to transfer generated code and data to an out-of-process executor' },
  { name: 'show-addrs', kind: 'flag', group: 'JITLink', help: 'Print registered symbol addresses' },
  { name: 'show-entry-es', kind: 'flag', group: 'JITLink', help: 'Print ExecutionSession state after resolving entry point' },
  { name: 'show-graphs', kind: 'list', group: 'JITLink', valueName: 'regex', help: 'Print the link graphs of all files matching the regex after fixups have been applied' },
  { name: 'show-init-es', kind: 'flag', group: 'JITLink', help: 'Print ExecutionSession state before resolving entry point' },
  { name: 'show-relocated-section-contents', kind: 'flag', group: 'JITLink', help: 'Show section contents after fixups have been applied' },
  { name: 'show-sizes', kind: 'flag', group: 'JITLink', help: 'Show total block sizes before pruning and after fixups' },
  { name: 'show-times', kind: 'flag', group: 'JITLink', help: 'Show times for jitlink phases' },
  { name: 'slab-address', kind: 'value', group: 'JITLink', valueName: 'addr', help: 'Set slab target address (requires -slab-allocate and -noexec)' },
  { name: 'slab-allocate', kind: 'value', group: 'JITLink', valueName: 'size', help: 'Allocate from a slab of the given size (allowable suffixes: Kb, Mb, Gb)' },
  { name: 'slab-page-size', kind: 'value', group: 'JITLink', valueName: 'bytes', help: 'Set page size for slab (requires -slab-allocate; default 4096)' },
  // Options of this command only.
  { name: 'max-archive-members', kind: 'value', group: 'jitlink-ts', valueName: 'n', help: 'Refuse an archive of more than n members' },
  { name: 'max-input-size', kind: 'value', group: 'jitlink-ts', valueName: 'size', help: 'Refuse an object (or archive member) larger than this (suffixes Kb, Mb, Gb)' },
  { name: 'max-relocations', kind: 'value', group: 'jitlink-ts', valueName: 'n', help: 'Refuse an object with more than n relocation entries' },
  { name: 'max-reserved-memory', kind: 'value', group: 'jitlink-ts', valueName: 'size', help: 'Working memory the -slab-allocate slab may hold at once (default 1Gb; suffixes Kb, Mb, Gb)' },
  { name: 'max-sections', kind: 'value', group: 'jitlink-ts', valueName: 'n', help: 'Refuse an object with more than n sections' },
  { name: 'graph-budget', kind: 'value', group: 'jitlink-ts', valueName: 'size', help: 'Object bytes beyond which linking works for memory rather than speed, keeping parses for at most half of it until their graphs are built (default 32Mb; suffixes Kb, Mb, Gb)' },
  { name: 'decode-threads', kind: 'value', group: 'jitlink-ts', valueName: 'n', help: 'Worker threads decoding archive members ahead of their graphs, while the link goes on (default 0: none)' },
  { name: 'triple', kind: 'value', group: 'jitlink-ts', valueName: 'triple', help: 'Architecture slice to link from universal MachO files, named by a target triple or an architecture (e.g. arm64-apple-macosx, x86_64)' },
  { name: 'json', kind: 'flag', group: 'jitlink-ts', help: 'Print -show-addrs, -show-graphs, -show-sizes and -show-times as one JSON document on stdout (meant with -noexec)' },
  { name: 'verbose', kind: 'flag', group: 'jitlink-ts', help: 'Print stack traces with errors' },
  { name: 'watch', kind: 'flag', group: 'jitlink-ts', help: 'Run the program and, when an input changes on disk, replace it in the running program (objects, and C/C++/assembly sources with --compile)' },
  { name: 'compile', kind: 'value', group: 'jitlink-ts', valueName: 'command', help: "With --watch: the compiler command for source inputs, run as '<command> -c <source> -o <object>' (default: cc -O1 -fPIC)" },
  // LLVM's "Generic Options".
  { name: 'help', kind: 'flag', group: 'Generic', help: 'Display available options' },
  { name: 'version', kind: 'flag', group: 'Generic', help: 'Display the version of this program' },
];

const SPEC_BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

export class UsageError extends JITLinkError {
  constructor(detail: string) {
    super('InvalidArgument', detail);
    this.name = 'UsageError';
  }
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function nearestOption(name: string): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const spec of OPTION_SPECS) {
    const d = distance(name, spec.name);
    if (d < bestScore) {
      bestScore = d;
      best = spec.name;
    }
  }
  return bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Parses sizes such as 4096, 0x1000, 100Kb, 1Mb, 2Gb. */
export function parseSize(text: string, what: string): number {
  const m = /^(0x[0-9a-f]+|[0-9]+)\s*(kb|mb|gb|k|m|g|b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid ${what} '${text}' (expected a number with an optional Kb/Mb/Gb suffix)`);
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  const value = Number(BigInt(m[1]!)) * scale;
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`invalid ${what} '${text}'`);
  return value;
}

/** Parses a count (decimal or 0x hex, zero allowed) for the -max-* options. */
export function parseCount(text: string, what: string): number {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text.trim())) throw new UsageError(`invalid ${what} '${text}' (expected a decimal or 0x-prefixed hex number)`);
  const value = Number(BigInt(text.trim()));
  if (!Number.isSafeInteger(value)) throw new UsageError(`invalid ${what} '${text}' (too large)`);
  return value;
}

/** Parses a 64-bit address (decimal or 0x hex). */
export function parseAddress(text: string, what: string): bigint {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text.trim())) throw new UsageError(`invalid ${what} '${text}' (expected a decimal or 0x-prefixed hex number)`);
  const value = BigInt(text.trim());
  if (value >= 1n << 64n) throw new UsageError(`${what} '${text}' does not fit in 64 bits`);
  return value;
}

function defaultOptions(): CliOptions {
  return {
    inputs: [],
    programArgs: [],
    entry: 'main',
    noexec: false,
    absolutes: [],
    phonyExternals: false,
    noProcessSyms: false,
    limits: {},
    showGraphs: [],
    checkFiles: [],
    checkName: 'jitlink-check',
    showAddrs: false,
    showTimes: false,
    showSizes: false,
    showRelocatedSectionContents: false,
    showInitES: false,
    showEntryES: false,
    addSelfRelocations: false,
    preload: [],
    useSharedMemory: false,
    debuggerSupport: false,
    debuggerSupportGiven: false,
    perfSupport: false,
    json: false,
    watch: false,
    verbose: false,
    help: false,
    version: false,
  };
}

/** The options being parsed, with what earlier words put in effect for later inputs. */
interface ParseState {
  opts: CliOptions;
  /** -L directories so far. */
  searchPaths: string[];
  /** After -harness, inputs are harness objects. */
  harness: boolean;
}

type BooleanField = { [K in keyof CliOptions]: CliOptions[K] extends boolean ? K : never }[keyof CliOptions];

/** Flags, with the field each sets (`-flag`, or `-flag=true|false|1|0`). */
const FLAG_FIELDS: Readonly<Record<string, BooleanField>> = {
  noexec: 'noexec',
  'phony-externals': 'phonyExternals',
  'no-process-syms': 'noProcessSyms',
  'add-self-relocations': 'addSelfRelocations',
  'use-shared-memory': 'useSharedMemory',
  'debugger-support': 'debuggerSupport',
  'perf-support': 'perfSupport',
  'show-addrs': 'showAddrs',
  'show-times': 'showTimes',
  'show-sizes': 'showSizes',
  'show-relocated-section-contents': 'showRelocatedSectionContents',
  'show-init-es': 'showInitES',
  'show-entry-es': 'showEntryES',
  json: 'json',
  watch: 'watch',
  verbose: 'verbose',
  help: 'help',
  version: 'version',
};

/** Options with a value, with what each does with it. */
const VALUE_HANDLERS: Readonly<Record<string, (value: string, state: ParseState) => void>> = {
  entry: (v, { opts }) => void (opts.entry = v),
  compile: (v, { opts }) => void (opts.compile = v),
  abs: (v, { opts }) => {
    const at = v.indexOf('=');
    if (at <= 0) throw new UsageError(`-abs expects name=address, got '${v}'`);
    opts.absolutes.push({ name: v.slice(0, at), address: parseAddress(v.slice(at + 1), `address for ${v.slice(0, at)}`) });
  },
  L: (v, state) => void state.searchPaths.push(v),
  l: (v, { opts, harness }) => void opts.inputs.push({ kind: 'library', value: v, harness }),
  'hidden-l': (v, { opts, harness }) => void opts.inputs.push({ kind: 'library', value: v, harness, hidden: true }),
  load_hidden: (v, { opts, harness }) => void opts.inputs.push({ kind: 'file', value: v, harness, hidden: true }),
  // -alias and -sectcreate are checked now and applied in command-line order with the inputs.
  alias: (v, { opts }) => {
    parseAlias(v);
    opts.inputs.push({ kind: 'alias', value: v });
  },
  sectcreate: (v, { opts }) => {
    parseSectCreate(v);
    opts.inputs.push({ kind: 'sectcreate', value: v });
  },
  jd: (v, { opts }) => void opts.inputs.push({ kind: 'jd', value: v }),
  preload: (v, { opts }) => void opts.preload.push(v),
  'oop-executor': (v, { opts }) => void (opts.oopExecutor = v === '' ? true : v),
  'oop-executor-connect': (v, { opts }) => void (opts.oopExecutorConnect = v),
  'graph-budget': (v, { opts }) => void (opts.graphBudget = parseSize(v, 'graph budget')),
  'decode-threads': (v, { opts }) => {
    if (!/^[0-9]{1,3}$/.test(v.trim())) throw new UsageError(`invalid decode thread count '${v}' (expected a number from 0 to 999)`);
    opts.decodeThreads = Number(v.trim());
  },
  triple: (v, { opts }) => void (opts.triple = v),
  'slab-allocate': (v, { opts }) => void (opts.slabAllocate = parseSize(v, 'slab size')),
  'slab-address': (v, { opts }) => void (opts.slabAddress = parseAddress(v, 'slab address')),
  'slab-page-size': (v, { opts }) => void (opts.slabPageSize = parseSize(v, 'slab page size')),
  'max-input-size': (v, { opts }) => void (opts.limits.maxInputBytes = parseSize(v, 'input size limit')),
  'max-sections': (v, { opts }) => void (opts.limits.maxSections = parseCount(v, 'section limit')),
  'max-relocations': (v, { opts }) => void (opts.limits.maxRelocations = parseCount(v, 'relocation limit')),
  'max-archive-members': (v, { opts }) => void (opts.limits.maxArchiveMembers = parseCount(v, 'archive member limit')),
  'max-reserved-memory': (v, { opts }) => void (opts.maxReservedMemory = parseSize(v, 'reserved memory limit')),
  'show-graphs': (v, { opts }) => {
    // Compiled when graphs are shown: a pattern that does not compile is a usage error now, not a failure after linking.
    try {
      new RegExp(v);
    } catch (e) {
      throw new UsageError(`-show-graphs '${v}' is not a valid regular expression: ${(e as Error).message}`);
    }
    opts.showGraphs.push(v);
  },
  check: (v, { opts }) => void opts.checkFiles.push(v),
  'check-name': (v, { opts }) => void (opts.checkName = v),
};

/**
 * An option word's name and its value given after '=' (`-name=value`), with
 * the joined forms -L/dir, -lname and -hidden-lname split, and -h as -help.
 */
function splitOptionWord(word: string): { name: string; inlineValue: string | undefined } {
  const body = word.startsWith('--') ? word.slice(2) : word.slice(1);
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  const inlineValue = eq >= 0 ? body.slice(eq + 1) : undefined;
  if (!SPEC_BY_NAME.has(name) && inlineValue === undefined) {
    const prefix = ['hidden-l', 'L', 'l'].find((p) => name.startsWith(p) && name.length > p.length);
    if (prefix) return { name: prefix, inlineValue: name.slice(prefix.length) };
  }
  return { name: name === 'h' ? 'help' : name, inlineValue };
}

/**
 * Applies the option word at `argv[i]` (with its value, inline or the next
 * word); returns the index of the last word it used.
 */
function applyOption(argv: readonly string[], i: number, state: ParseState): number {
  const word = argv[i]!;
  const { name, inlineValue } = splitOptionWord(word);
  const spec = SPEC_BY_NAME.get(name);
  if (!spec) {
    const near = nearestOption(name);
    throw new UsageError(`unknown option '${word}'${near ? `; did you mean '-${near}'?` : ''} (see --help)`);
  }
  if (spec.kind === 'flag') {
    if (inlineValue !== undefined && !/^(true|false|1|0)$/i.test(inlineValue)) {
      throw new UsageError(`option '-${name}' takes no value`);
    }
    const field = FLAG_FIELDS[name];
    if (field !== undefined) state.opts[field] = inlineValue === undefined || /^(true|1)$/i.test(inlineValue);
    if (field === 'debuggerSupport') state.opts.debuggerSupportGiven = true;
    return i;
  }
  if (spec.kind === 'optional-value') {
    VALUE_HANDLERS[name]!(inlineValue ?? '', state);
    return i;
  }
  const value = inlineValue ?? argv[i + 1];
  if (value === undefined) throw new UsageError(`option '-${name}' needs a value (${spec.valueName ?? 'value'})`);
  VALUE_HANDLERS[name]!(value, state);
  return inlineValue === undefined ? i + 1 : i;
}

/** Checks across options, once all are read. */
function finishOptions({ opts, searchPaths }: ParseState): CliOptions {
  // -L given after -l applies too, as with llvm-jitlink's search of all -L paths.
  for (const input of opts.inputs) if (input.kind === 'library') input.searchPaths = [...searchPaths];
  // As llvm-jitlink: debugger support is on unless the code is not run.
  if (!opts.debuggerSupportGiven) opts.debuggerSupport = !opts.noexec;
  if ((opts.slabAddress !== undefined || opts.slabPageSize !== undefined) && opts.slabAllocate === undefined) {
    throw new UsageError('-slab-address and -slab-page-size need -slab-allocate');
  }
  if (opts.maxReservedMemory !== undefined && opts.slabAllocate === undefined) {
    throw new UsageError('-max-reserved-memory needs -slab-allocate (the executor\'s own memory managers have caps of their own)');
  }
  if (opts.watch) {
    if (opts.noexec) throw new UsageError('--watch runs the program: it cannot be combined with -noexec');
    const other = opts.inputs.find((i) => i.kind !== 'file' || i.harness);
    if (other) throw new UsageError(`--watch takes object and source files only (not -${other.harness ? 'harness' : other.kind})`);
  } else if (opts.compile !== undefined) {
    throw new UsageError('--compile is for --watch');
  }
  return opts;
}

/** How --help shows an option's value: none, ` <value>`, or `[=<value>]` when the value is optional. */
function optionValueHead(spec: OptionSpec): string {
  if (spec.kind === 'flag') return '';
  const value = `<${spec.valueName ?? 'value'}>`;
  return spec.kind === 'optional-value' ? `[=${value}]` : ` ${value}`;
}

export function parseOptions(argv: readonly string[]): CliOptions {
  const state: ParseState = { opts: defaultOptions(), searchPaths: [], harness: false };
  const { opts } = state;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      for (const rest of argv.slice(i + 1)) opts.inputs.push({ kind: 'file', value: rest, harness: state.harness });
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      opts.inputs.push({ kind: 'file', value: word, harness: state.harness });
      continue;
    }
    const { name } = splitOptionWord(word);
    // -args: the rest is the program's argv; -harness: later inputs are the harness.
    if (name === 'args') {
      opts.programArgs = argv.slice(i + 1) as string[];
      break;
    }
    if (name === 'harness') {
      state.harness = true;
      continue;
    }
    i = applyOption(argv, i, state);
  }
  return finishOptions(state);
}

export interface AliasSpec {
  /** JITDylib the alias is defined in (undefined: the current one). */
  aliasDylib?: string;
  alias: string;
  /** JITDylib the target is looked up in (undefined: the alias's dylib). */
  targetDylib?: string;
  target: string;
}

/** Parses -alias's [<jd>:]<alias>=[<jd>:]<target>, as llvm-jitlink does. */
export function parseAlias(text: string): AliasSpec {
  const eq = text.indexOf('=');
  const bad = () => new UsageError(`-alias expects [<jd>:]<alias>=[<jd>:]<target>, got '${text}'`);
  if (eq < 0 || eq === text.length - 1) throw bad();
  const split = (part: string): [string | undefined, string] => {
    const colon = part.indexOf(':');
    return colon < 0 ? [undefined, part] : [part.slice(0, colon), part.slice(colon + 1)];
  };
  const [aliasDylib, alias] = split(text.slice(0, eq));
  const [targetDylib, target] = split(text.slice(eq + 1));
  if (alias === '' || target === '') throw bad();
  return { aliasDylib, alias, targetDylib: targetDylib ?? aliasDylib, target };
}

export interface SectCreateSpec {
  section: string;
  file: string;
  symbols: { name: string; offset: number }[];
}

/** Parses -sectcreate's <section>,<file>[@<sym>=<offset>,...], as llvm-jitlink does. */
export function parseSectCreate(text: string): SectCreateSpec {
  const at = text.indexOf('@');
  const head = at < 0 ? text : text.slice(0, at);
  const comma = head.lastIndexOf(',');
  const section = comma < 0 ? '' : head.slice(0, comma);
  const file = comma < 0 ? head : head.slice(comma + 1);
  if (section === '') throw new UsageError(`In -sectcreate=${text}, section name component cannot be empty (syntax: <section>,<file>[@<sym>=<offset>,...])`);
  if (file === '') throw new UsageError(`In -sectcreate=${text}, filename component cannot be empty`);
  const symbols: { name: string; offset: number }[] = [];
  if (at >= 0) {
    for (const pair of text.slice(at + 1).split(',')) {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const offsetText = eq < 0 ? '' : pair.slice(eq + 1);
      if (name === '' || !/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(offsetText)) {
        throw new UsageError(`In -sectcreate=${text}, '${offsetText}' is not a valid integer`);
      }
      const offset = /^0[0-7]+$/.test(offsetText) ? parseInt(offsetText, 8) : Number(offsetText);
      if (!Number.isSafeInteger(offset)) throw new UsageError(`In -sectcreate=${text}, offset ${offsetText} is too large`);
      symbols.push({ name, offset });
    }
  }
  return { section, file, symbols };
}

const GROUP_TITLES: Record<string, string> = {
  Generic: 'Generic Options',
  JITLink: 'JITLink Options',
  'jitlink-ts': 'jitlink-ts Options',
};

/** Help in llvm-jitlink's layout: option categories, each sorted by name. */
export function helpText(): string {
  const lines = [
    'OVERVIEW: jitlink, a JIT linker with llvm-jitlink\'s options',
    'USAGE: jitlink [options] <input files>... [-args <program arguments>...] [-harness <test harness files>...]',
    '       jitlink graph <object> [--format dot|svg|html] [-o file] [--section regex] [--symbol regex] [--collapse] [--linked]',
    '',
    'OPTIONS:',
  ];
  const rows = [
    ...OPTION_SPECS.map((s) => ({ group: s.group, name: s.name, head: `-${s.name}${optionValueHead(s)}`, help: s.help })),
    { group: 'JITLink', name: 'harness', head: '-harness <files>...', help: 'Test harness files: their definitions override the test set\'s' },
  ];
  for (const group of ['Generic', 'JITLink', 'jitlink-ts']) {
    lines.push('', `${GROUP_TITLES[group]}:`, '');
    const inGroup = rows.filter((r) => r.group === group).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const r of inGroup) lines.push(`  ${r.head}`.padEnd(36) + ' - ' + r.help);
  }
  return lines.join('\n') + '\n';
}
