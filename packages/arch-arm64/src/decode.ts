/**
 * An AArch64 instruction decoder for jitlink-check's decode_operand and
 * next_pc: the instruction forms compilers and assemblers emit around
 * relocations, with operands numbered and scaled as LLVM's MC layer (its
 * AArch64 disassembler) numbers and scales them.
 *
 * Immediates are the encoded fields, not the byte values they stand for:
 * PC-relative branch and literal offsets are in 4-byte words, ADRP's is in
 * 4 KiB pages, unsigned-offset loads and stores carry imm12 before scaling by
 * the access size; signed fields are sign-extended. Operand lists:
 *
 *   adr/adrp Xd, label                [Xd, imm21]
 *   add/adds/sub/subs Rd, Rn, #imm    [Rd, Rn, imm12, shift (0 or 12)]
 *   ldr/str Rt, [Xn, #imm]            [Rt, Xn, imm12]       (prfm: Rt is the prefetch op)
 *   ldr/str Rt, [Xn, Rm, ext #s]      [Rt, Xn, Rm, signed (0/1), shifted (0/1)]
 *   ldr Rt, label (literal)           [Rt, imm19]
 *   b/bl label                        [imm26]
 *   b.cond label                      [cond, imm19]
 *   cbz/cbnz Rt, label                [Rt, imm19]
 *   tbz/tbnz Rt, #bit, label          [Rt, bit, imm14]
 *   movz/movn Rd, #imm, lsl #s        [Rd, imm16, s (0/16/32/48)]
 *   movk Rd, #imm, lsl #s             [Rd, Rd (tied), imm16, s]
 *   br/blr/ret Xn                     [Xn];  nop: []
 *
 * Instructions are always stored little-endian on AArch64, also on
 * big-endian (aarch64_be) targets, where only data is big-endian; so the
 * decoder reads every word little-endian whatever the target's endianness.
 */
import {
  JITLinkError,
  type DecodedInstruction,
  type DecodedOperand,
  type InstructionDecoder,
} from '@jitlink/core';

export const AARCH64_INSTRUCTION_SIZE = 4;

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

function registerNames(prefix: string, reg31: string): readonly DecodedOperand[] {
  return Array.from({ length: 32 }, (_, n) => ({ register: n === 31 ? reg31 : `${prefix}${n}` }));
}
/** Register operands by number, shared so decoding allocates no register objects. */
const X = registerNames('x', 'xzr');
const XSP = registerNames('x', 'sp');
const W = registerNames('w', 'wzr');
const WSP = registerNames('w', 'wsp');
const B = registerNames('b', 'b31');
const H = registerNames('h', 'h31');
const S = registerNames('s', 's31');
const D = registerNames('d', 'd31');
const Q = registerNames('q', 'q31');

/** A load/store form of the (size, V, opc) table shared by the unsigned-offset and register-offset classes. */
interface LoadStoreForm {
  mnemonic: string;
  /** Register file of Rt; undefined for prfm, whose Rt is an immediate prefetch operation. */
  rt: readonly DecodedOperand[] | undefined;
  /** log2 of the access size: imm12 and the register-offset shift are scaled by it. */
  scale: number;
}

/** Indexed by V << 4 | size << 2 | opc; holes are unallocated. */
const LOAD_STORE_FORMS: (LoadStoreForm | undefined)[] = new Array(32);
function defineLoadStore(
  v: number,
  size: number,
  opc: number,
  mnemonic: string,
  rt: readonly DecodedOperand[] | undefined,
  scale: number,
): void {
  LOAD_STORE_FORMS[(v << 4) | (size << 2) | opc] = { mnemonic, rt, scale };
}
defineLoadStore(0, 0, 0, 'strb', W, 0);
defineLoadStore(0, 0, 1, 'ldrb', W, 0);
defineLoadStore(0, 0, 2, 'ldrsb', X, 0);
defineLoadStore(0, 0, 3, 'ldrsb', W, 0);
defineLoadStore(0, 1, 0, 'strh', W, 1);
defineLoadStore(0, 1, 1, 'ldrh', W, 1);
defineLoadStore(0, 1, 2, 'ldrsh', X, 1);
defineLoadStore(0, 1, 3, 'ldrsh', W, 1);
defineLoadStore(0, 2, 0, 'str', W, 2);
defineLoadStore(0, 2, 1, 'ldr', W, 2);
defineLoadStore(0, 2, 2, 'ldrsw', X, 2);
defineLoadStore(0, 3, 0, 'str', X, 3);
defineLoadStore(0, 3, 1, 'ldr', X, 3);
defineLoadStore(0, 3, 2, 'prfm', undefined, 3);
defineLoadStore(1, 0, 0, 'str', B, 0);
defineLoadStore(1, 0, 1, 'ldr', B, 0);
defineLoadStore(1, 0, 2, 'str', Q, 4);
defineLoadStore(1, 0, 3, 'ldr', Q, 4);
defineLoadStore(1, 1, 0, 'str', H, 1);
defineLoadStore(1, 1, 1, 'ldr', H, 1);
defineLoadStore(1, 2, 0, 'str', S, 2);
defineLoadStore(1, 2, 1, 'ldr', S, 2);
defineLoadStore(1, 3, 0, 'str', D, 3);
defineLoadStore(1, 3, 1, 'ldr', D, 3);

/** Load-literal forms, indexed by V << 2 | opc. */
const LITERAL_FORMS: (LoadStoreForm | undefined)[] = [
  { mnemonic: 'ldr', rt: W, scale: 2 },
  { mnemonic: 'ldr', rt: X, scale: 3 },
  { mnemonic: 'ldrsw', rt: X, scale: 2 },
  { mnemonic: 'prfm', rt: undefined, scale: 3 },
  { mnemonic: 'ldr', rt: S, scale: 2 },
  { mnemonic: 'ldr', rt: D, scale: 3 },
  { mnemonic: 'ldr', rt: Q, scale: 4 },
  undefined,
];

function signExtend(value: number, bits: number): bigint {
  const shift = 32 - bits;
  return BigInt((value << shift) >> shift);
}

function field(word: number, low: number, width: number): number {
  return (word >>> low) & ((1 << width) - 1);
}

function unsupported(word: number, address: bigint, reason: string): never {
  throw new JITLinkError(
    'UnsupportedFeature',
    `cannot decode AArch64 instruction at 0x${address.toString(16)} (word 0x${word.toString(16).padStart(8, '0')}): ${reason}`,
  );
}

function done(mnemonic: string, operands: DecodedOperand[]): DecodedInstruction {
  return { size: AARCH64_INSTRUCTION_SIZE, operands, mnemonic };
}

/** Decodes one 32-bit instruction word located at `address`. */
export function decodeAArch64Word(word: number, address: bigint = 0n): DecodedInstruction {
  word >>>= 0;
  const rd = word & 31;
  const rn = field(word, 5, 5);
  const sf = word >>> 31;

  // ADR / ADRP: immhi:immlo, in bytes (adr) or 4 KiB pages (adrp).
  if ((word & 0x1f000000) === 0x10000000) {
    const imm = (field(word, 5, 19) << 2) | field(word, 29, 2);
    return done(sf ? 'adrp' : 'adr', [X[rd]!, signExtend(imm, 21)]);
  }
  // Add/subtract immediate (shift field 0x: no shift or lsl #12; 1x is another class).
  if ((word & 0x1f800000) === 0x11000000) {
    const sub = (word >>> 30) & 1;
    const setFlags = (word >>> 29) & 1;
    const mnemonic = (sub ? 'sub' : 'add') + (setFlags ? 's' : '');
    const dest = sf ? (setFlags ? X : XSP) : setFlags ? W : WSP;
    const source = sf ? XSP : WSP;
    return done(mnemonic, [
      dest[rd]!,
      source[rn]!,
      BigInt(field(word, 10, 12)),
      BigInt(12 * ((word >>> 22) & 1)),
    ]);
  }
  // Move wide immediate: movn (opc 00), movz (10), movk (11).
  if ((word & 0x1f800000) === 0x12800000) {
    const opc = field(word, 29, 2);
    const hw = field(word, 21, 2);
    if (opc === 1) unsupported(word, address, 'unallocated move-wide opcode');
    if (!sf && hw >= 2) unsupported(word, address, `32-bit move-wide with shift ${hw * 16}`);
    const reg = (sf ? X : W)[rd]!;
    const imm = BigInt(field(word, 5, 16));
    const shift = BigInt(hw * 16);
    if (opc === 3) return done('movk', [reg, reg, imm, shift]);
    return done(opc === 2 ? 'movz' : 'movn', [reg, imm, shift]);
  }
  // B / BL: imm26 words.
  if ((word & 0x7c000000) === 0x14000000) return done(sf ? 'bl' : 'b', [signExtend(word & 0x3ffffff, 26)]);
  // B.cond: [cond, imm19 words]. Bit 4 set is BC.cond, not decoded here.
  if ((word & 0xff000010) === 0x54000000) {
    return done('b.' + CONDITIONS[word & 15]!, [BigInt(word & 15), signExtend(field(word, 5, 19), 19)]);
  }
  // CBZ / CBNZ: [Rt, imm19 words].
  if ((word & 0x7e000000) === 0x34000000) {
    return done((word >>> 24) & 1 ? 'cbnz' : 'cbz', [(sf ? X : W)[rd]!, signExtend(field(word, 5, 19), 19)]);
  }
  // TBZ / TBNZ: [Rt, bit number b5:b40, imm14 words]; b5 selects the X register.
  if ((word & 0x7e000000) === 0x36000000) {
    const bit = (sf << 5) | field(word, 19, 5);
    return done((word >>> 24) & 1 ? 'tbnz' : 'tbz', [
      (sf ? X : W)[rd]!,
      BigInt(bit),
      signExtend(field(word, 5, 14), 14),
    ]);
  }
  // Load/store, unsigned scaled 12-bit offset: [Rt, Xn|sp, imm12].
  if ((word & 0x3b000000) === 0x39000000) {
    const form = LOAD_STORE_FORMS[(((word >>> 26) & 1) << 4) | ((word >>> 30) << 2) | ((word >>> 22) & 3)];
    if (form === undefined) unsupported(word, address, 'unallocated load/store (unsigned offset) form');
    return done(form.mnemonic, [form.rt ? form.rt[rd]! : BigInt(rd), XSP[rn]!, BigInt(field(word, 10, 12))]);
  }
  // Load/store, register offset: [Rt, Xn|sp, Wm|Xm, signed, shifted]; option<1> must be set.
  if ((word & 0x3b200c00) === 0x38200800) {
    const form = LOAD_STORE_FORMS[(((word >>> 26) & 1) << 4) | ((word >>> 30) << 2) | ((word >>> 22) & 3)];
    if (form === undefined) unsupported(word, address, 'unallocated load/store (register offset) form');
    const option = field(word, 13, 3);
    if ((option & 2) === 0) unsupported(word, address, `reserved register-offset extend option ${option}`);
    const rm = ((option & 1) !== 0 ? X : W)[field(word, 16, 5)]!;
    return done(form.mnemonic, [
      form.rt ? form.rt[rd]! : BigInt(rd),
      XSP[rn]!,
      rm,
      BigInt(option >>> 2),
      BigInt((word >>> 12) & 1),
    ]);
  }
  // Load literal: [Rt, imm19 words].
  if ((word & 0x3b000000) === 0x18000000) {
    const form = LITERAL_FORMS[(((word >>> 26) & 1) << 2) | (word >>> 30)];
    if (form === undefined) unsupported(word, address, 'unallocated load-literal form');
    return done(form.mnemonic, [form.rt ? form.rt[rd]! : BigInt(rd), signExtend(field(word, 5, 19), 19)]);
  }
  if (word === 0xd503201f) return done('nop', []);
  // Branch to register: br, blr, ret.
  switch ((word & 0xfffffc1f) >>> 0) {
    case 0xd61f0000:
      return done('br', [X[rn]!]);
    case 0xd63f0000:
      return done('blr', [X[rn]!]);
    case 0xd65f0000:
      return done('ret', [X[rn]!]);
  }
  return unsupported(word, address, 'not a form this decoder knows');
}

/** Decodes the AArch64 instruction at the start of `bytes` (located at `address`). */
export function decodeAArch64Instruction(bytes: Uint8Array, address: bigint = 0n): DecodedInstruction {
  if (bytes.length < AARCH64_INSTRUCTION_SIZE) {
    const shown = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new JITLinkError(
      'UnsupportedFeature',
      `cannot decode AArch64 instruction at 0x${address.toString(16)} (bytes ${shown || 'none'}): instruction is truncated`,
    );
  }
  const word = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  return decodeAArch64Word(word, address);
}

export const aarch64InstructionDecoder: InstructionDecoder = { decode: decodeAArch64Instruction };
