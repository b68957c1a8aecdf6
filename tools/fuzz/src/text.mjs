/**
 * Fuzz targets for text the command reads: `jitlink-check` expressions
 * (evaluated against real linked graphs) and command lines (the option
 * parser). Inputs are UTF-8 bytes, so the engine's minimization and
 * regression files work unchanged; mutations work on characters and on
 * tokens of each language.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LinkedGraphsCheckerContext, runCheckFile, toBigInt } from '@jitlink/core';
import { scanCheckLines } from '@jitlink/core/internal';
import { createElfLinkGraph } from '@jitlink/elf';
import { x86_64LinkTarget, x86_64Tools } from '@jitlink/arch-x86-64';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { parseHostPort } from '@jitlink/executor-remote';
import { nearestOption, OPTION_SPECS, parseAddress, parseAlias, parseOptions, parseSectCreate, parseSize } from '@jitlink/cli';
import { guarded, linkWithTarget, repoRoot } from './targets.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Applies mutations to a text seed: [op, a, b] with op 0 replace a character
 * by a token, 1 insert a token, 2 delete a short run, 3 truncate, 4 copy a
 * run elsewhere. `seed.tokens` is the language's vocabulary.
 */
export function mutateText(seed, mutations) {
  let text = decoder.decode(seed.bytes);
  const tokens = seed.tokens;
  for (const [op, a, b] of mutations) {
    const at = text.length === 0 ? 0 : a % (text.length + 1);
    const token = tokens[b % tokens.length];
    switch (op % 5) {
      case 0:
        text = text.slice(0, at) + token + text.slice(at + 1);
        break;
      case 1:
        text = text.slice(0, at) + token + text.slice(at);
        break;
      case 2:
        text = text.slice(0, at) + text.slice(at + 1 + (b % 8));
        break;
      case 3:
        text = text.slice(0, at);
        break;
      case 4: {
        const run = text.slice(at, at + 1 + (b % 24));
        const to = text.length === 0 ? 0 : (a * 7 + b) % (text.length + 1);
        text = text.slice(0, to) + run + text.slice(to);
        break;
      }
    }
  }
  return encoder.encode(text);
}

/**
 * Mutations of a command line (words separated by NUL): [op, a, b] with op 0
 * replace word a by token b, 1 insert token b before word a, 2 delete word a,
 * 3 join word a with token b (an `=value` or a suffix), 4 edit one character
 * of word a (the character-level mutations of mutateText).
 */
export function mutateWords(seed, mutations) {
  const words = decoder.decode(seed.bytes).split('\0');
  const tokens = seed.tokens;
  for (const [op, a, b] of mutations) {
    const at = a % (words.length + 1);
    const token = tokens[b % tokens.length];
    switch (op % 5) {
      case 0:
        words[Math.min(at, words.length - 1)] = token;
        break;
      case 1:
        words.splice(at, 0, token);
        break;
      case 2:
        if (words.length > 1) words.splice(at % words.length, 1);
        break;
      case 3:
        words[at % words.length] += token;
        break;
      case 4: {
        const i = at % words.length;
        words[i] = decoder.decode(mutateText({ bytes: encoder.encode(words[i]), tokens: CHAR_TOKENS }, [[Math.floor(b / 7) % 5, a >> 3, b]]));
        break;
      }
    }
  }
  return encoder.encode(words.join('\0'));
}

const CHAR_TOKENS = ['=', '-', ':', ',', '@', '[', ']', '(', ')', '*', '\\', '0', '9', 'x', 'K', 'b', '\u00e9', ' ', ''];

// --- jitlink-check expressions ---------------------------------------------

const CHECK_OBJECTS = ['R_X86_64_PLT32', 'R_X86_64_GOTPCREL', 'R_X86_64_64', 'R_X86_64_PC32', 'R_X86_64_GOTPC64', 'R_X86_64_32S'];

const CHECK_TOKENS = [
  '(', ')', '[', ']', '{', '}', '*', '*{', '*{8}', '*{0}', '*{3}', '*{16}', '*{99999999999}', '~', '+', '-', '&', '|', '<<', '>>', '/', '/0',
  '0', '1', '2', '5', '9', '63', '64', '4096', '0x', '0x8000000000000000', '0xffffffffffffffff', '18446744073709551616', '99999999999999999999999', '-1',
  ':', ',', '=', '==', ' ', '\\\n# jitlink-check: ', '\n# jitlink-check: ', '\n', 'decode_operand(', 'next_pc(', 'got_addr(',
  'stub_addr(', 'section_addr(', 'main', 'extern_far', 'extern_near', '.text', '.got', '$__GOT', 'R_X86_64_PLT32.o', 'R_X86_64_GOTPCREL.o',
  '[63:0]', '[64:0]', '[0:63]', '[31:0]', '[99999999999:0]', '\0', '\u00e9', '\u{1F600}', '"', "'", '\t',
];

/** Tokens of a check expression by class, for mutations that keep it well-formed. */
const CHECK_CLASSES = {
  number: ['0', '1', '2', '3', '4', '5', '7', '8', '31', '63', '64', '65', '0x10', '0x7fffffff', '0x80000000', '0xffffffff', '0x100000000',
    '0x7fffffffffffffff', '0x8000000000000000', '0xffffffffffffffff'],
  name: ['main', 'extern_far', 'extern_near', 'extern_high', 'extern_low', 'call_local', 'call_far', 'jmp_far', 'gotpcrel_field', 'abs64_local',
    'pc32_data', 'pc32_load', 'gotpc64', 'movq_imm32s_high', 'mem_disp32s', '_GLOBAL_OFFSET_TABLE_', '.text', '.got', '.data',
    'R_X86_64_PLT32.o', 'R_X86_64_GOTPCREL.o', 'R_X86_64_64.o', 'R_X86_64_PC32.o', 'R_X86_64_GOTPC64.o', 'R_X86_64_32S.o', 'nowhere.o', 'no_such_symbol'],
  operator: ['+', '-', '&', '|', '<<', '>>', '*', '/'],
  load: ['*{1}', '*{2}', '*{4}', '*{8}', '*{0}', '*{3}', '*{9}', '*{16}'],
  builtin: ['decode_operand', 'next_pc', 'got_addr', 'stub_addr', 'section_addr'],
};
const CHECK_TOKEN = /(\*\{\d+\})|(0x[0-9a-fA-F]+|\d+)|([A-Za-z_.$][0-9A-Za-z:_.$]*)|(<<|>>|[-+&|*/])/g;

/**
 * Mutations of a check expression that mostly keep it well-formed: [op, a, b]
 * with op 0-2 replacing token a by one of its class (a number, a name, an
 * operator, a load width, a built-in), op 3-4 one of mutateText's edits.
 */
export function mutateCheck(seed, mutations) {
  let bytes = seed.bytes;
  for (const [op, a, b] of mutations) {
    if (op % 5 >= 3) {
      bytes = mutateText({ bytes, tokens: seed.tokens }, [[Math.floor(b / 3), a, b]]);
      continue;
    }
    const text = decoder.decode(bytes);
    const tokens = [...text.matchAll(CHECK_TOKEN)].filter((m) => m.index >= text.indexOf(':') + 1);
    if (tokens.length === 0) continue;
    const m = tokens[a % tokens.length];
    const cls = m[1] ? 'load' : m[2] ? 'number' : m[3] ? (CHECK_CLASSES.builtin.includes(m[3]) ? 'builtin' : 'name') : 'operator';
    const choices = CHECK_CLASSES[cls];
    bytes = encoder.encode(text.slice(0, m.index) + choices[b % choices.length] + text.slice(m.index + m[0].length));
  }
  return bytes;
}

let checkContext;

/** A checker context over the corpus's x86-64 assembler tests, linked into a slab once. */
export async function checkerContext() {
  if (checkContext) return checkContext;
  const ctx = new LinkedGraphsCheckerContext({ decoder: x86_64Tools.instructionDecoder });
  for (const [i, name] of CHECK_OBJECTS.entries()) {
    const file = path.join(repoRoot, 'test-corpus/obj/asm/x86_64', `${name}.o`);
    if (!fs.existsSync(file)) continue;
    const graph = createElfLinkGraph(new Uint8Array(fs.readFileSync(file)), x86_64Elf, { name: file });
    // Each object in its own slab low in the address space (the absolute 32-bit relocations of
    // R_X86_64_32S fit); its externals resolve 256 MiB above the slab, and the checks know them there.
    const base = 0x10_0000 + i * 0x200_0000;
    await linkWithTarget(graph, x86_64LinkTarget, 16 * 1024 * 1024, base);
    for (const sym of graph.externalSymbols()) if (sym.name !== undefined) ctx.defineSymbol(sym.name, BigInt(base + 0x1000_0000));
    const table = (kind) => {
      const entries = new Map();
      for (const sym of [...graph.externalSymbols(), ...graph.definedSymbols()]) {
        const entry = sym.name === undefined ? undefined : x86_64Tools.findTableEntry(graph, kind, sym.name);
        if (entry !== undefined) entries.set(sym.name, toBigInt(entry.address));
      }
      return entries;
    };
    ctx.recordGraph(graph, { gotEntries: table('got'), stubs: table('stub') });
  }
  checkContext = ctx;
  return ctx;
}

/** The check lines of the assembler tests, one seed each (mutations stay within one expression). */
function checkSeeds() {
  const seeds = [];
  for (const name of CHECK_OBJECTS) {
    const file = path.join(repoRoot, 'test-corpus/obj/asm/x86_64', `${name}.s`);
    if (!fs.existsSync(file)) continue;
    for (const line of scanCheckLines(fs.readFileSync(file, 'utf8'))) {
      seeds.push({ name: `${path.relative(repoRoot, file)}:${line.line}`, bytes: encoder.encode(`# jitlink-check: ${line.expression}`), tokens: CHECK_TOKENS });
    }
  }
  return seeds;
}

/** The check oracle: scan and evaluate every line against the linked graphs; failed checks are fine, other throws are not. */
async function runCheck(bytes) {
  const ctx = await checkerContext();
  let outcome = 'rejected';
  await guarded('runCheckFile', () => {
    const report = runCheckFile(decoder.decode(bytes), ctx, { file: 'fuzz.s' });
    // "linked": every check evaluated (true or false); "parsed": some did not evaluate.
    outcome = report.failures.every((f) => f.lhs !== undefined) ? 'linked' : 'parsed';
  });
  return outcome;
}

// --- command lines -----------------------------------------------------------

const OPTION_VALUES = [
  '', '0', '1', '4096', '1Kb', '1Mb', '64Mb', '1Gb', '1Tb', '0x', '0x10000', '-1', '99999999999999999999', '0x1ffffffffffffffff', 'abc',
  'a=b', 'jd:a=b', 'a=jd:b', ':=:', 'foo=0x1000', 'foo=', '=1', 'sect,file', 'sect,', ',', 'x@', 'sect,file@sym=0x10', 'sect,file@sym=',
  'hello.o', 'libfoo.a', '(', '[', '*', '.*', '(?<', '\\', '127.0.0.1:20000', ':', 'host:99999', 'x86_64', 'arm64-apple-macosx', '--', '-',
];

function optionTokens() {
  const words = [];
  for (const spec of OPTION_SPECS) {
    words.push(`-${spec.name}`, `--${spec.name}`);
    if (spec.kind !== 'flag') words.push(`-${spec.name}=`, `-${spec.name}=1Mb`, `--${spec.name}=a=b`);
  }
  return [...words, ...OPTION_VALUES, ...OPTION_VALUES.map((v) => `=${v}`)];
}

const COMMAND_LINES = [
  ['hello.o'],
  ['main.o', 'util.o', '-args', 'a', 'b', 'c'],
  ['-noexec', '-slab-allocate', '1Mb', '-slab-address', '0x10000', '-slab-page-size', '4096', 'foo.o'],
  ['-show-graphs', '.*', '-show-addrs', '-show-times', '-json', 'foo.o'],
  ['-phony-externals', 'test_code.o', '-harness', 'test_code_harness.o'],
  ['-oop-executor=/usr/bin/llvm-jitlink-executor', '-use-shared-memory', 'hello.o'],
  ['-oop-executor-connect=127.0.0.1:20000', 'hello.o'],
  ['-abs', 'foo=0x1000', '-alias', 'jd:bar=baz', '-sectcreate', 'sect,file@sym=0x10', '-jd', 'other', 'a.o', '-L', '/usr/lib', '-lz'],
  ['-entry', 'start', '-check', 'a.s', '-check-name', 'my-check', '-noexec', '-triple', 'x86_64', '-graph-budget', '32Mb', 'a.o'],
  ['--help'],
];

function optionSeeds() {
  const tokens = optionTokens();
  return COMMAND_LINES.map((argv) => ({ name: argv.join(' '), bytes: encoder.encode(argv.join('\0')), tokens }));
}

/**
 * The option oracle: parse the command line; the values the command uses
 * later (-show-graphs patterns, the -oop-executor-connect address) must then
 * be usable as the command uses them. Every word is also tried as each kind
 * of option value.
 */
async function runOptions(bytes) {
  const argv = decoder.decode(bytes).split('\0');
  let options;
  const parsed = await guarded('parseOptions', () => {
    options = parseOptions(argv);
  });
  if (options) {
    await guarded('-show-graphs pattern', () => options.showGraphs.forEach((p) => new RegExp(p)));
    if (options.oopExecutorConnect !== undefined) await guarded('-oop-executor-connect', () => parseHostPort(options.oopExecutorConnect));
  }
  for (const word of argv.slice(0, 16)) {
    await guarded('parseSize', () => parseSize(word, 'size'));
    await guarded('parseAddress', () => parseAddress(word, 'address'));
    await guarded('parseAlias', () => parseAlias(word));
    await guarded('parseSectCreate', () => parseSectCreate(word));
    await guarded('nearestOption', () => nearestOption(word.replace(/^-+/, '')));
  }
  return parsed ? 'linked' : 'rejected';
}

export const textTargets = {
  check: { description: 'jitlink-check expressions against linked x86-64 graphs', seeds: checkSeeds, run: runCheck, mutate: mutateCheck },
  options: { description: 'command lines of the jitlink command', seeds: optionSeeds, run: runOptions, mutate: mutateWords },
};
