/**
 * An x86-64 instruction decoder for jitlink-check's decode_operand and
 * next_pc: the instruction forms compilers and assemblers emit around
 * relocations, with operands numbered as LLVM's MC layer numbers them.
 *
 * A memory operand is five operands: base register, scale (immediate),
 * index register, displacement (immediate), segment register. So
 * `leaq x(%rip), %rax` is [rax, rip, 1, -, disp, -] (displacement is operand
 * 4), `call *x(%rip)` is [rip, 1, -, disp, -] (operand 3), and two-address
 * arithmetic such as `addq x(%rip), %rax` repeats the destination as a tied
 * source: [rax, rax, rip, 1, -, disp, -]. Branches have the PC-relative
 * displacement as operand 0 (conditional ones the condition code as 1).
 * Immediates are sign-extended from their encoded width, as LLVM does.
 */
import { JITLinkError, type DecodedInstruction, type DecodedOperand, type InstructionDecoder } from '@jitlink/core';

const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const GPR8_REX = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const GPR8_LEGACY = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SEGMENTS: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs' };
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const NONE: DecodedOperand = { register: '' };

type Width = 8 | 16 | 32 | 64;

class Cursor {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly address: bigint,
  ) {}

  fail(reason: string): never {
    const shown = Array.from(this.bytes.subarray(0, Math.max(this.pos + 1, Math.min(this.bytes.length, 8))), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join(' ');
    throw new JITLinkError(
      'UnsupportedFeature',
      `cannot decode x86-64 instruction at 0x${this.address.toString(16)} (bytes ${shown || 'none'}): ${reason}`,
    );
  }
  u8(): number {
    if (this.pos >= this.bytes.length) this.fail('instruction is truncated');
    return this.bytes[this.pos++]!;
  }
  /** Little-endian signed immediate of `size` bytes. */
  signed(size: 1 | 2 | 4 | 8): bigint {
    if (this.pos + size > this.bytes.length) this.fail('instruction is truncated');
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[this.pos + i]!);
    this.pos += size;
    return BigInt.asIntN(size * 8, value);
  }
}

interface Prefixes {
  operandSize16: boolean;
  addressSize32: boolean;
  segment: string;
  rex: number;
}

function regName(n: number, width: Width, rex: number): string {
  if (width === 64) return GPR64[n]!;
  if (width === 32) return GPR32[n]!;
  if (width === 16) return GPR16[n]!;
  return rex !== 0 ? GPR8_REX[n]! : GPR8_LEGACY[n] ?? GPR8_REX[n]!;
}

interface ModRM {
  mod: number;
  /** ModRM.reg extended by REX.R. */
  reg: number;
  /** The opcode extension (ModRM.reg without REX.R). */
  digit: number;
  /** For mod = 3: the register operand; else the five memory operands. */
  rm: DecodedOperand[];
  isMemory: boolean;
}

function decodeModRM(c: Cursor, p: Prefixes, rmWidth: Width): ModRM {
  const modrm = c.u8();
  const mod = modrm >> 6;
  const digit = (modrm >> 3) & 7;
  const reg = digit | (p.rex & 4 ? 8 : 0);
  const rmLow = modrm & 7;
  const segment: DecodedOperand = p.segment ? { register: p.segment } : NONE;
  const addrRegs = p.addressSize32 ? GPR32 : GPR64;
  if (mod === 3) {
    return { mod, reg, digit, rm: [{ register: regName(rmLow | (p.rex & 1 ? 8 : 0), rmWidth, p.rex) }], isMemory: false };
  }
  let base: DecodedOperand;
  let index: DecodedOperand = NONE;
  let scale = 1n;
  let disp = 0n;
  if (rmLow === 4) {
    const sib = c.u8();
    scale = 1n << BigInt(sib >> 6);
    const indexReg = ((sib >> 3) & 7) | (p.rex & 2 ? 8 : 0);
    if (indexReg !== 4) index = { register: addrRegs[indexReg]! };
    const baseLow = sib & 7;
    if (baseLow === 5 && mod === 0) {
      base = NONE;
      disp = c.signed(4);
    } else base = { register: addrRegs[baseLow | (p.rex & 1 ? 8 : 0)]! };
  } else if (rmLow === 5 && mod === 0) {
    base = { register: p.addressSize32 ? 'eip' : 'rip' };
    disp = c.signed(4);
  } else base = { register: addrRegs[rmLow | (p.rex & 1 ? 8 : 0)]! };
  if (mod === 1) disp = c.signed(1);
  else if (mod === 2) disp = c.signed(4);
  return { mod, reg, digit, rm: [base, scale, index, disp, segment], isMemory: true };
}

function immediateOfWidth(c: Cursor, width: Width): bigint {
  // imm32 sign-extended for 64-bit operations, as encoded.
  return c.signed(width === 8 ? 1 : width === 16 ? 2 : 4);
}

function decodeInstruction(c: Cursor): DecodedInstruction {
  const p: Prefixes = { operandSize16: false, addressSize32: false, segment: '', rex: 0 };
  let opcode = c.u8();
  for (;;) {
    if (opcode === 0x66) p.operandSize16 = true;
    else if (opcode === 0x67) p.addressSize32 = true;
    else if (SEGMENTS[opcode] !== undefined) p.segment = SEGMENTS[opcode]!;
    else if (opcode !== 0xf0 && opcode !== 0xf2 && opcode !== 0xf3) break;
    opcode = c.u8();
  }
  if ((opcode & 0xf0) === 0x40) {
    p.rex = opcode & 0xf;
    opcode = c.u8();
  }
  const rexW = (p.rex & 8) !== 0;
  const width: Width = rexW ? 64 : p.operandSize16 ? 16 : 32;
  const suffix = width === 64 ? 'q' : width === 16 ? 'w' : 'l';
  const done = (mnemonic: string, operands: DecodedOperand[]): DecodedInstruction => ({ size: c.pos, operands, mnemonic });

  // Branches: the operand is the displacement from the end of the instruction.
  if (opcode === 0xe8) return done('call', [c.signed(4)]);
  if (opcode === 0xe9) return done('jmp', [c.signed(4)]);
  if (opcode === 0xeb) return done('jmp', [c.signed(1)]);
  if (opcode >= 0x70 && opcode <= 0x7f) return done('j' + CONDITIONS[opcode - 0x70], [c.signed(1), BigInt(opcode - 0x70)]);
  if (opcode === 0xc3) return done('ret', []);
  if (opcode === 0x90 && (p.rex & 1) === 0) return done('nop', []);
  if (opcode === 0xcc) return done('int3', []);
  // mov $imm, %reg: imm64 with REX.W (movabs), else imm32/imm16.
  if (opcode >= 0xb8 && opcode <= 0xbf) {
    const reg = { register: regName((opcode - 0xb8) | (p.rex & 1 ? 8 : 0), width, p.rex) };
    return done(rexW ? 'movabs' : 'mov' + suffix, [reg, rexW ? c.signed(8) : immediateOfWidth(c, width)]);
  }
  // ALU ops r/m,r and r,r/m (add, or, adc, sbb, and, sub, xor, cmp).
  if (opcode < 0x40 && (opcode & 7) < 4) {
    const name = ALU[opcode >> 3]!;
    const byteOp = (opcode & 1) === 0;
    const w: Width = byteOp ? 8 : width;
    const m = decodeModRM(c, p, w);
    const reg = { register: regName(m.reg, w, p.rex) };
    const mnemonic = name + (byteOp ? 'b' : suffix);
    if ((opcode & 2) === 0) {
      // r/m, r: memory destination is [mem, src]; a register destination is tied.
      if (m.isMemory) return done(mnemonic, [...m.rm, reg]);
      return done(mnemonic, name === 'cmp' ? [m.rm[0]!, reg] : [m.rm[0]!, m.rm[0]!, reg]);
    }
    return done(mnemonic, name === 'cmp' ? [reg, ...m.rm] : [reg, reg, ...m.rm]);
  }
  switch (opcode) {
    case 0x63: {
      const m = decodeModRM(c, p, 32);
      return done('movslq', [{ register: regName(m.reg, width, p.rex) }, ...m.rm]);
    }
    case 0x80:
    case 0x81:
    case 0x83: {
      const w: Width = opcode === 0x80 ? 8 : width;
      const m = decodeModRM(c, p, w);
      const imm = opcode === 0x81 ? immediateOfWidth(c, w) : c.signed(1);
      const name = ALU[m.digit]! + (w === 8 ? 'b' : suffix);
      if (m.isMemory) return done(name, [...m.rm, imm]);
      return done(name, ALU[m.digit] === 'cmp' ? [m.rm[0]!, imm] : [m.rm[0]!, m.rm[0]!, imm]);
    }
    case 0x84:
    case 0x85: {
      const w: Width = opcode === 0x84 ? 8 : width;
      const m = decodeModRM(c, p, w);
      return done('test' + (w === 8 ? 'b' : suffix), [...m.rm, { register: regName(m.reg, w, p.rex) }]);
    }
    case 0x88:
    case 0x89: {
      const w: Width = opcode === 0x88 ? 8 : width;
      const m = decodeModRM(c, p, w);
      return done('mov' + (w === 8 ? 'b' : suffix), [...m.rm, { register: regName(m.reg, w, p.rex) }]);
    }
    case 0x8a:
    case 0x8b:
    case 0x8d: {
      const w: Width = opcode === 0x8a ? 8 : width;
      const m = decodeModRM(c, p, w);
      if (opcode === 0x8d && !m.isMemory) c.fail('lea needs a memory operand');
      return done((opcode === 0x8d ? 'lea' : 'mov') + (w === 8 ? 'b' : suffix), [{ register: regName(m.reg, w, p.rex) }, ...m.rm]);
    }
    case 0xc6:
    case 0xc7: {
      const w: Width = opcode === 0xc6 ? 8 : width;
      const m = decodeModRM(c, p, w);
      if (m.digit !== 0) c.fail(`opcode ${opcode.toString(16)} /${m.digit} is not supported`);
      return done('mov' + (w === 8 ? 'b' : suffix), [...m.rm, immediateOfWidth(c, w)]);
    }
    case 0xf6:
    case 0xf7: {
      const w: Width = opcode === 0xf6 ? 8 : width;
      const m = decodeModRM(c, p, w);
      if (m.digit !== 0) c.fail(`opcode ${opcode.toString(16)} /${m.digit} is not supported`);
      return done('test' + (w === 8 ? 'b' : suffix), [...m.rm, immediateOfWidth(c, w)]);
    }
    case 0xff: {
      const m = decodeModRM(c, p, 64);
      if (m.digit === 2) return done('call', m.rm);
      if (m.digit === 4) return done('jmp', m.rm);
      if (m.digit === 6) return done('push', m.rm);
      return c.fail(`opcode ff /${m.digit} is not supported`);
    }
    case 0x0f: {
      const second = c.u8();
      if (second >= 0x80 && second <= 0x8f) return done('j' + CONDITIONS[second - 0x80], [c.signed(4), BigInt(second - 0x80)]);
      if (second === 0x1f) {
        const m = decodeModRM(c, p, width);
        return done('nop' + suffix, m.rm);
      }
      if (second === 0xb6 || second === 0xb7 || second === 0xbe || second === 0xbf) {
        const m = decodeModRM(c, p, second & 1 ? 16 : 8);
        return done((second < 0xb8 ? 'movz' : 'movs') + (second & 1 ? 'w' : 'b') + suffix, [{ register: regName(m.reg, width, p.rex) }, ...m.rm]);
      }
      return c.fail(`opcode 0f ${second.toString(16).padStart(2, '0')} is not supported`);
    }
  }
  return c.fail(`opcode ${opcode.toString(16).padStart(2, '0')} is not supported`);
}

/** Decodes the x86-64 instruction at the start of `bytes` (located at `address`). */
export function decodeX86_64Instruction(bytes: Uint8Array, address: bigint = 0n): DecodedInstruction {
  const c = new Cursor(bytes, address);
  const inst = decodeInstruction(c);
  if (inst.size > 15) c.fail('instruction is longer than 15 bytes');
  return inst;
}

export const x86_64InstructionDecoder: InstructionDecoder = { decode: decodeX86_64Instruction };
