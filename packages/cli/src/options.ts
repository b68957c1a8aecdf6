/**
 * Command-line options, spelled and parsed as llvm-jitlink does (LLVM's
 * command-line conventions): one or two dashes; values after '=' or as the
 * next word; -L and -l also accept the value joined (-L/usr/lib, -lz);
 * everything after -args goes to the program.
 */
import { JITLinkError } from '@jitlink/core';

export interface Input {
  kind: 'file' | 'library' | 'jd';
  value: string;
  /** Library search directories in effect (for 'library'). */
  searchPaths?: string[];
  /** True for inputs after -harness. */
  harness?: boolean;
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
  slabPageSize?: number;
  showGraphs: string[];
  checkFiles: string[];
  checkName: string;
  showAddrs: boolean;
  showTimes: boolean;
  verbose: boolean;
  help: boolean;
  version: boolean;
}

type Kind = 'flag' | 'value' | 'list';
interface OptionSpec {
  name: string;
  kind: Kind;
  group: string;
  help: string;
  valueName?: string;
}

export const OPTION_SPECS: OptionSpec[] = [
  { name: 'noexec', kind: 'flag', group: 'Linking', help: 'Link but do not run: stop after the entry point (and, with -noexec, every named object) is linked' },
  { name: 'entry', kind: 'value', group: 'Linking', valueName: 'symbol', help: 'Entry point symbol (default: main)' },
  { name: 'args', kind: 'flag', group: 'Linking', help: 'All following words are passed to the program as argv' },
  { name: 'abs', kind: 'list', group: 'Symbols', valueName: 'name=addr', help: 'Define an absolute symbol' },
  { name: 'phony-externals', kind: 'flag', group: 'Symbols', help: 'Resolve every missing symbol to address 0' },
  { name: 'no-process-syms', kind: 'flag', group: 'Symbols', help: 'Do not resolve symbols from the jitlink process (libc etc.)' },
  { name: 'L', kind: 'list', group: 'Libraries', valueName: 'dir', help: 'Add a directory to the library search path' },
  { name: 'l', kind: 'list', group: 'Libraries', valueName: 'name', help: 'Link static library lib<name>.a, found on the search path' },
  { name: 'jd', kind: 'list', group: 'Libraries', valueName: 'name', help: 'Put the following inputs in JITDylib <name>' },
  { name: 'slab-allocate', kind: 'value', group: 'Memory', valueName: 'size', help: 'Allocate from one slab of this size (e.g. 100Kb, 1Mb) instead of the in-process memory manager' },
  { name: 'slab-address', kind: 'value', group: 'Memory', valueName: 'addr', help: 'Target address of the slab (with -noexec, any address can be simulated)' },
  { name: 'slab-page-size', kind: 'value', group: 'Memory', valueName: 'bytes', help: 'Page size used to lay out the slab (default 4096)' },
  { name: 'show-graphs', kind: 'list', group: 'Diagnostics', valueName: 'regex', help: 'Print the link graphs whose name matches the regex, after fixups' },
  { name: 'check', kind: 'list', group: 'Diagnostics', valueName: 'file', help: "Evaluate the file's '# jitlink-check: <lhs> = <rhs>' lines after linking" },
  { name: 'check-name', kind: 'value', group: 'Diagnostics', valueName: 'name', help: "Check lines start '# <name>:' (default: jitlink-check)" },
  { name: 'show-addrs', kind: 'flag', group: 'Diagnostics', help: 'Print the address of every defined symbol after linking' },
  { name: 'show-times', kind: 'flag', group: 'Diagnostics', help: 'Print time spent loading, linking and running' },
  { name: 'verbose', kind: 'flag', group: 'Diagnostics', help: 'Print stack traces with errors' },
  { name: 'help', kind: 'flag', group: 'General', help: 'Print this help' },
  { name: 'version', kind: 'flag', group: 'General', help: 'Print the version' },
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

/** Parses a 64-bit address (decimal or 0x hex). */
export function parseAddress(text: string, what: string): bigint {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text.trim())) throw new UsageError(`invalid ${what} '${text}' (expected a decimal or 0x-prefixed hex number)`);
  const value = BigInt(text.trim());
  if (value >= 1n << 64n) throw new UsageError(`${what} '${text}' does not fit in 64 bits`);
  return value;
}

export function parseOptions(argv: readonly string[]): CliOptions {
  const opts: CliOptions = {
    inputs: [],
    programArgs: [],
    entry: 'main',
    noexec: false,
    absolutes: [],
    phonyExternals: false,
    noProcessSyms: false,
    showGraphs: [],
    checkFiles: [],
    checkName: 'jitlink-check',
    showAddrs: false,
    showTimes: false,
    verbose: false,
    help: false,
    version: false,
  };
  const searchPaths: string[] = [];
  let harness = false;

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      for (const rest of argv.slice(i + 1)) opts.inputs.push({ kind: 'file', value: rest, harness });
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      opts.inputs.push({ kind: 'file', value: word, harness });
      continue;
    }
    const body = word.startsWith('--') ? word.slice(2) : word.slice(1);
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let inlineValue = eq >= 0 ? body.slice(eq + 1) : undefined;

    if (name === 'args') {
      opts.programArgs = argv.slice(i + 1) as string[];
      break;
    }
    if (name === 'harness') {
      harness = true;
      continue;
    }
    // Joined prefix forms: -L/dir, -lname.
    if (!SPEC_BY_NAME.has(name) && (name.startsWith('L') || name.startsWith('l')) && name.length > 1 && inlineValue === undefined) {
      inlineValue = name.slice(1);
      name = name[0]!;
    }
    if (name === 'h') name = 'help';
    const spec = SPEC_BY_NAME.get(name);
    if (!spec) {
      const near = nearestOption(name);
      throw new UsageError(`unknown option '${word}'${near ? `; did you mean '-${near}'?` : ''} (see --help)`);
    }
    let value: string | undefined;
    if (spec.kind === 'flag') {
      if (inlineValue !== undefined && !/^(true|false|1|0)$/i.test(inlineValue)) {
        throw new UsageError(`option '-${name}' takes no value`);
      }
    } else {
      value = inlineValue ?? argv[++i];
      if (value === undefined) throw new UsageError(`option '-${name}' needs a value (${spec.valueName ?? 'value'})`);
    }
    const on = inlineValue === undefined || /^(true|1)$/i.test(inlineValue);

    switch (name) {
      case 'noexec':
        opts.noexec = on;
        break;
      case 'entry':
        opts.entry = value!;
        break;
      case 'abs': {
        const at = value!.indexOf('=');
        if (at <= 0) throw new UsageError(`-abs expects name=address, got '${value}'`);
        opts.absolutes.push({ name: value!.slice(0, at), address: parseAddress(value!.slice(at + 1), `address for ${value!.slice(0, at)}`) });
        break;
      }
      case 'phony-externals':
        opts.phonyExternals = on;
        break;
      case 'no-process-syms':
        opts.noProcessSyms = on;
        break;
      case 'L':
        searchPaths.push(value!);
        break;
      case 'l':
        opts.inputs.push({ kind: 'library', value: value!, searchPaths: [...searchPaths], harness });
        break;
      case 'jd':
        opts.inputs.push({ kind: 'jd', value: value! });
        break;
      case 'slab-allocate':
        opts.slabAllocate = parseSize(value!, 'slab size');
        break;
      case 'slab-address':
        opts.slabAddress = parseAddress(value!, 'slab address');
        break;
      case 'slab-page-size':
        opts.slabPageSize = parseSize(value!, 'slab page size');
        break;
      case 'show-graphs':
        opts.showGraphs.push(value!);
        break;
      case 'check':
        opts.checkFiles.push(value!);
        break;
      case 'check-name':
        opts.checkName = value!;
        break;
      case 'show-addrs':
        opts.showAddrs = on;
        break;
      case 'show-times':
        opts.showTimes = on;
        break;
      case 'verbose':
        opts.verbose = on;
        break;
      case 'help':
        opts.help = true;
        break;
      case 'version':
        opts.version = true;
        break;
    }
  }
  // -L given after -l applies too, as with llvm-jitlink's search of all -L paths.
  for (const input of opts.inputs) if (input.kind === 'library') input.searchPaths = [...searchPaths];
  if ((opts.slabAddress !== undefined || opts.slabPageSize !== undefined) && opts.slabAllocate === undefined) {
    throw new UsageError('-slab-address and -slab-page-size need -slab-allocate');
  }
  return opts;
}

export function helpText(): string {
  const lines = ['USAGE: jitlink [options] <objects and archives>... [-args <program arguments>...]', '', 'OPTIONS:'];
  const groups = [...new Set(OPTION_SPECS.map((s) => s.group))];
  for (const group of groups) {
    lines.push('', `${group} options:`);
    for (const s of OPTION_SPECS.filter((o) => o.group === group)) {
      const head = `  -${s.name}${s.kind === 'flag' ? '' : ` <${s.valueName ?? 'value'}>`}`;
      lines.push(head.padEnd(30) + ' - ' + s.help);
    }
  }
  lines.push('', '  -harness <files>...         - Following inputs form a test harness (its definitions override the test set)');
  return lines.join('\n') + '\n';
}
