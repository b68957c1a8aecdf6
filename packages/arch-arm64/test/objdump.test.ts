/**
 * The decoder against llvm-objdump-19: every form of forms.ts (assembled by
 * llvm-mc-19, whose words must equal the committed ones) and random words
 * from each decoded instruction class. For each instruction the decoded size,
 * mnemonic, registers and immediates must equal what llvm-objdump prints,
 * converted with LLVM's scaling (branch targets to word offsets, ADRP targets
 * to page deltas, load/store byte offsets to imm12); where llvm-objdump prints
 * `<unknown>`, the decoder must reject the word.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JITLinkError, type DecodedInstruction, type DecodedOperand } from '@jitlink/core';
import { decodeAArch64Instruction } from '../src/index.js';
import { FORMS } from './forms.js';
import { needs, tool } from '@jitlink/test-support';

const llvmTools = needs(tool('llvm-mc-19', 'llvm-19'), tool('llvm-objdump-19', 'llvm-19'), tool('llvm-objcopy-19', 'llvm-19'));

const CONDITIONS = [
  'eq',
  'ne',
  'hs',
  'lo',
  'mi',
  'pl',
  'vs',
  'vc',
  'hi',
  'ls',
  'ge',
  'lt',
  'gt',
  'le',
  'al',
  'nv',
];
/** Access size in bytes by mnemonic, or by the first letter of Rt for ldr/str. */
const ACCESS_SIZE: Record<string, number> = {
  ldrb: 1,
  strb: 1,
  ldrsb: 1,
  ldrh: 2,
  strh: 2,
  ldrsh: 2,
  ldrsw: 4,
  prfm: 8,
};
const REGISTER_SIZE: Record<string, number> = { w: 4, x: 8, b: 1, h: 2, s: 4, d: 8, q: 16 };

interface Listing {
  address: bigint;
  word: number;
  text: string;
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Assembles `lines` at address 0 and returns the raw .text bytes and llvm-objdump's listing. */
function assembleAndDisassemble(
  lines: string[],
  dir: string,
  name: string,
): { text: Uint8Array; listing: Listing[] } {
  const source = join(dir, `${name}.s`);
  const object = join(dir, `${name}.o`);
  const raw = join(dir, `${name}.bin`);
  writeFileSync(source, `.text\n${lines.join('\n')}\n`);
  run('llvm-mc-19', ['-triple=aarch64', '-filetype=obj', source, '-o', object]);
  run('llvm-objcopy-19', ['-O', 'binary', '--only-section=.text', object, raw]);
  const listing: Listing[] = [];
  for (const line of run('llvm-objdump-19', ['-d', '--triple=aarch64', object]).split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/.exec(line);
    if (!m) continue;
    listing.push({
      address: BigInt('0x' + m[1]),
      word: parseInt(m[2]!, 16),
      text: m[3]!.replace(/\s*\/\/.*$/, '').trim(),
    });
  }
  return { text: new Uint8Array(readFileSync(raw)), listing };
}

const reg = (register: string): DecodedOperand => ({ register });

function immediate(text: string): bigint {
  const m = /^#(-?)0x([0-9a-f]+)$/.exec(text);
  if (!m) throw new Error(`not an immediate: ${text}`);
  return (m[1] ? -1n : 1n) * BigInt('0x' + m[2]);
}

/** A printed PC-relative target: `0x1234 <sym+0x...>`. */
function target(text: string): bigint {
  const m = /^0x([0-9a-f]+)(?: <.*>)?$/.exec(text);
  if (!m) throw new Error(`not a target: ${text}`);
  return BigInt.asIntN(64, BigInt('0x' + m[1]));
}

const words = (from: bigint, to: bigint) => (to - from) / 4n;

/**
 * The operands llvm-objdump's text implies, by LLVM MC index: what the
 * decoder must return there. Aliases (mov, cmp, cmn) are mapped back to the
 * instruction they print.
 */
function expectedOperands(
  text: string,
  address: bigint,
  inst: DecodedInstruction,
): Map<number, DecodedOperand> {
  const [mnemonic, rest = ''] = text.split(/\s+(.*)/s) as [string, string?];
  const memory = /\[(.*)\]/.exec(rest);
  const args = rest
    .replace(/\[.*\]/, '[]')
    .split(/,\s*/)
    .filter((a) => a !== '');
  const expected = new Map<number, DecodedOperand>();
  const set = (index: number, value: DecodedOperand) => expected.set(index, value);
  const lslAmount = (list: string[]) => {
    const shift = list.find((a) => a.startsWith('lsl #'));
    return shift === undefined ? 0n : BigInt(shift.slice(5));
  };
  if (mnemonic === 'adrp') {
    set(0, reg(args[0]!));
    set(1, BigInt.asIntN(64, target(args[1]!) - (address & ~0xfffn)) >> 12n);
  } else if (mnemonic === 'adr') {
    set(0, reg(args[0]!));
    set(1, target(args[1]!) - address);
  } else if (mnemonic === 'b' || mnemonic === 'bl') {
    set(0, words(address, target(args[0]!)));
  } else if (mnemonic.startsWith('b.')) {
    set(0, BigInt(CONDITIONS.indexOf(mnemonic.slice(2))));
    set(1, words(address, target(args[0]!)));
  } else if (mnemonic === 'cbz' || mnemonic === 'cbnz') {
    set(0, reg(args[0]!));
    set(1, words(address, target(args[1]!)));
  } else if (mnemonic === 'tbz' || mnemonic === 'tbnz') {
    set(0, reg(args[0]!));
    set(1, immediate(args[1]!));
    set(2, words(address, target(args[2]!)));
  } else if (/^(ldr|str|prfm)/.test(mnemonic) && memory === null) {
    // Load literal.
    if (mnemonic !== 'prfm') set(0, reg(args[0]!));
    set(1, words(address, target(args[1]!)));
  } else if (/^(ldr|str|prfm)/.test(mnemonic)) {
    const size = ACCESS_SIZE[mnemonic] ?? REGISTER_SIZE[args[0]![0]!]!;
    const [base, offset, extend] = memory![1]!.split(/,\s*/);
    if (mnemonic !== 'prfm') set(0, reg(args[0]!));
    set(1, reg(base!));
    if (offset === undefined || offset.startsWith('#')) {
      const bytes = offset === undefined ? 0n : immediate(offset);
      if (bytes % BigInt(size) !== 0n) throw new Error(`${text}: offset not a multiple of ${size}`);
      set(2, bytes / BigInt(size));
    } else {
      set(2, reg(offset));
      const [kind = 'lsl', amount] = extend?.split(' #') ?? [];
      set(3, kind.startsWith('s') ? 1n : 0n);
      set(4, amount === undefined ? 0n : 1n);
      if (amount !== undefined && BigInt(amount) !== BigInt(Math.log2(size)))
        throw new Error(`${text}: shift is not log2(${size})`);
    }
  } else if (
    /^(add|sub|cmp|cmn|mov)/.test(mnemonic) &&
    (inst.mnemonic.startsWith('add') || inst.mnemonic.startsWith('sub'))
  ) {
    if (mnemonic === 'mov') {
      // mov to or from sp: add #0.
      set(0, reg(args[0]!));
      set(1, reg(args[1]!));
      set(2, 0n);
      set(3, 0n);
    } else {
      const compare = mnemonic === 'cmp' || mnemonic === 'cmn';
      const operands = compare
        ? [args[0]!.startsWith('x') || args[0] === 'sp' ? 'xzr' : 'wzr', ...args]
        : args;
      set(0, reg(operands[0]!));
      set(1, reg(operands[1]!));
      set(2, immediate(operands[2]!));
      set(3, lslAmount(operands));
    }
  } else if (mnemonic === 'movz' || mnemonic === 'movn' || mnemonic === 'movk') {
    const base = mnemonic === 'movk' ? 1 : 0;
    set(0, reg(args[0]!));
    if (mnemonic === 'movk') set(1, reg(args[0]!));
    set(base + 1, immediate(args[1]!));
    set(base + 2, lslAmount(args));
  } else if (mnemonic === 'mov') {
    // movz/movn printed as the value they produce.
    set(0, reg(args[0]!));
    const width = args[0]!.startsWith('x') ? 64 : 32;
    const [imm, shift] = [inst.operands[1] as bigint, inst.operands[2] as bigint];
    const produced = inst.mnemonic === 'movz' ? imm << shift : ~(imm << shift);
    if (BigInt.asUintN(width, produced) !== BigInt.asUintN(width, immediate(args[1]!))) {
      throw new Error(`${text}: decoded ${inst.mnemonic} #${imm}, lsl #${shift} produces another value`);
    }
    // LLVM prints the alias only where one (imm16, shift) produces the value, so both are checked.
    set(1, imm);
    set(2, shift);
  } else if (mnemonic === 'br' || mnemonic === 'blr' || mnemonic === 'ret') {
    set(0, reg(args[0] ?? 'x30'));
  } else if (mnemonic !== 'nop') {
    throw new Error(`llvm-objdump printed a form the comparison does not know: ${text}`);
  }
  return expected;
}

const ALIASES = new Set(['mov', 'cmp', 'cmn']);

/** Compares one listed instruction; returns the number of operands compared. */
function compare(listing: Listing, bytes: Uint8Array): number {
  const where = `0x${listing.address.toString(16)} ${listing.word.toString(16).padStart(8, '0')} '${listing.text}'`;
  if (listing.text === '<unknown>') {
    let error: unknown;
    try {
      decodeAArch64Instruction(bytes, listing.address);
    } catch (e) {
      error = e;
    }
    expect([where, error instanceof JITLinkError]).toEqual([where, true]);
    return 0;
  }
  const inst = decodeAArch64Instruction(bytes, listing.address);
  expect([where, inst.size]).toEqual([where, 4]);
  const printed = listing.text.split(/\s+/)[0]!;
  if (!ALIASES.has(printed)) expect([where, inst.mnemonic]).toEqual([where, printed]);
  const expected = expectedOperands(listing.text, listing.address, inst);
  for (const [index, value] of expected)
    expect([where, index, inst.operands[index]]).toEqual([where, index, value]);
  return expected.size;
}

/** Instruction classes the decoder handles: fixed bits and their values. */
const CLASSES: Array<[name: string, mask: number, value: number]> = [
  ['adr/adrp', 0x1f000000, 0x10000000],
  ['add/sub immediate', 0x1f800000, 0x11000000],
  ['move wide', 0x1f800000, 0x12800000],
  ['b/bl', 0x7c000000, 0x14000000],
  ['b.cond', 0xff000010, 0x54000000],
  ['cbz/cbnz', 0x7e000000, 0x34000000],
  ['tbz/tbnz', 0x7e000000, 0x36000000],
  ['load/store unsigned offset', 0x3b000000, 0x39000000],
  ['load/store register offset', 0x3b204c00, 0x38204800],
  ['load/store register offset, reserved extend options', 0x3b204c00, 0x38200800],
  ['load literal', 0x3b000000, 0x18000000],
  ['br', 0xfffffc1f, 0xd61f0000],
  ['blr', 0xfffffc1f, 0xd63f0000],
  ['ret', 0xfffffc1f, 0xd65f0000],
];
const PER_CLASS = 64;

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

llvmTools.describe('AArch64 decoder against llvm-objdump-19', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jitlink-arm64-decode-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees on every form of the unit tests, assembled by llvm-mc-19 to the committed words', () => {
    const { text, listing } = assembleAndDisassemble(
      FORMS.map((f) => f.asm),
      dir,
      'forms',
    );
    expect(listing.map((l) => l.word)).toEqual(FORMS.map((f) => f.word));
    let compared = 0;
    for (const [i, l] of listing.entries()) compared += compare(l, text.subarray(i * 4, i * 4 + 4));
    // Every operand of every form except prfm's prefetch operation is checked.
    const total = FORMS.reduce((n, f) => n + f.operands.length - (f.mnemonic === 'prfm' ? 1 : 0), 0);
    expect(compared).toBe(total);
  });

  it(`agrees on ${PER_CLASS} random words of each decoded instruction class (rejecting what llvm-objdump cannot decode)`, () => {
    const next = random32(0x6a17);
    const lines: string[] = [];
    for (const [, mask, value] of CLASSES) {
      for (let i = 0; i < PER_CLASS; i++)
        lines.push(`.inst 0x${(((next() & ~mask) | value) >>> 0).toString(16)}`);
    }
    const { text, listing } = assembleAndDisassemble(lines, dir, 'random');
    expect(listing.length).toBe(lines.length);
    const decodedPerClass = CLASSES.map(() => 0);
    for (const [i, l] of listing.entries()) {
      compare(l, text.subarray(i * 4, i * 4 + 4));
      if (l.text !== '<unknown>') decodedPerClass[Math.floor(i / PER_CLASS)]!++;
    }
    // Each class has decodable words among its random ones (the reserved options none).
    for (const [c, [name]] of CLASSES.entries()) {
      if (name.includes('reserved')) expect([name, decodedPerClass[c]]).toEqual([name, 0]);
      else expect([name, decodedPerClass[c]! > PER_CLASS / 4]).toEqual([name, true]);
    }
  });
});
