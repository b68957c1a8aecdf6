/**
 * One instance of every decoded form: its assembly, the word llvm-mc-19
 * assembles it to (checked by the llvm-objdump agreement test), and the
 * operands LLVM's MC layer gives it.
 */
import type { DecodedOperand } from '@jitlink/core';

export interface Form {
  asm: string;
  word: number;
  mnemonic: string;
  operands: DecodedOperand[];
}

const r = (register: string): DecodedOperand => ({ register });

export const FORMS: Form[] = [
  // adrp: pages; adr: bytes.
  { asm: 'adrp x0, #4096', word: 0xb0000000, mnemonic: 'adrp', operands: [r('x0'), 1n] },
  { asm: 'adrp x16, #-8192', word: 0xd0fffff0, mnemonic: 'adrp', operands: [r('x16'), -2n] },
  { asm: 'adr x2, #-12', word: 0x10ffffa2, mnemonic: 'adr', operands: [r('x2'), -12n] },
  { asm: 'adr x3, #1048575', word: 0x707fffe3, mnemonic: 'adr', operands: [r('x3'), 1048575n] },
  // add/sub immediate: [Rd, Rn, imm12, shift].
  { asm: 'add x0, x1, #31', word: 0x91007c20, mnemonic: 'add', operands: [r('x0'), r('x1'), 31n, 0n] },
  { asm: 'add x0, sp, #0', word: 0x910003e0, mnemonic: 'add', operands: [r('x0'), r('sp'), 0n, 0n] },
  {
    asm: 'add sp, x1, #1, lsl #12',
    word: 0x9140043f,
    mnemonic: 'add',
    operands: [r('sp'), r('x1'), 1n, 12n],
  },
  {
    asm: 'adds x0, x1, #4095, lsl #12',
    word: 0xb17ffc20,
    mnemonic: 'adds',
    operands: [r('x0'), r('x1'), 4095n, 12n],
  },
  { asm: 'sub w3, w4, #12', word: 0x51003083, mnemonic: 'sub', operands: [r('w3'), r('w4'), 12n, 0n] },
  { asm: 'add w5, wsp, #8', word: 0x110023e5, mnemonic: 'add', operands: [r('w5'), r('wsp'), 8n, 0n] },
  { asm: 'subs wzr, w1, #1', word: 0x7100043f, mnemonic: 'subs', operands: [r('wzr'), r('w1'), 1n, 0n] },
  // Unsigned-offset loads and stores: imm12 is the offset divided by the access size.
  { asm: 'ldr x28, [x27, #40]', word: 0xf940177c, mnemonic: 'ldr', operands: [r('x28'), r('x27'), 5n] },
  { asm: 'ldr w0, [x1, #16380]', word: 0xb97ffc20, mnemonic: 'ldr', operands: [r('w0'), r('x1'), 4095n] },
  { asm: 'ldrb w0, [x1, #4095]', word: 0x397ffc20, mnemonic: 'ldrb', operands: [r('w0'), r('x1'), 4095n] },
  { asm: 'ldrh w2, [x3, #8190]', word: 0x797ffc62, mnemonic: 'ldrh', operands: [r('w2'), r('x3'), 4095n] },
  { asm: 'ldrsb x0, [x1, #1]', word: 0x39800420, mnemonic: 'ldrsb', operands: [r('x0'), r('x1'), 1n] },
  { asm: 'ldrsb w0, [x1, #2]', word: 0x39c00820, mnemonic: 'ldrsb', operands: [r('w0'), r('x1'), 2n] },
  { asm: 'ldrsh x0, [x1, #4]', word: 0x79800820, mnemonic: 'ldrsh', operands: [r('x0'), r('x1'), 2n] },
  { asm: 'ldrsh w0, [sp, #2]', word: 0x79c007e0, mnemonic: 'ldrsh', operands: [r('w0'), r('sp'), 1n] },
  { asm: 'ldrsw x0, [x1, #8]', word: 0xb9800820, mnemonic: 'ldrsw', operands: [r('x0'), r('x1'), 2n] },
  { asm: 'strb w0, [x1, #7]', word: 0x39001c20, mnemonic: 'strb', operands: [r('w0'), r('x1'), 7n] },
  { asm: 'strh wzr, [x1, #6]', word: 0x79000c3f, mnemonic: 'strh', operands: [r('wzr'), r('x1'), 3n] },
  { asm: 'str w0, [x1, #12]', word: 0xb9000c20, mnemonic: 'str', operands: [r('w0'), r('x1'), 3n] },
  { asm: 'str x0, [sp, #32760]', word: 0xf93fffe0, mnemonic: 'str', operands: [r('x0'), r('sp'), 4095n] },
  { asm: 'ldr b1, [x1, #1]', word: 0x3d400421, mnemonic: 'ldr', operands: [r('b1'), r('x1'), 1n] },
  { asm: 'ldr h1, [x1, #2]', word: 0x7d400421, mnemonic: 'ldr', operands: [r('h1'), r('x1'), 1n] },
  { asm: 'ldr s1, [x1, #4]', word: 0xbd400421, mnemonic: 'ldr', operands: [r('s1'), r('x1'), 1n] },
  { asm: 'ldr d1, [x1, #8]', word: 0xfd400421, mnemonic: 'ldr', operands: [r('d1'), r('x1'), 1n] },
  { asm: 'ldr q0, [x1, #65520]', word: 0x3dfffc20, mnemonic: 'ldr', operands: [r('q0'), r('x1'), 4095n] },
  { asm: 'str b3, [x1, #3]', word: 0x3d000c23, mnemonic: 'str', operands: [r('b3'), r('x1'), 3n] },
  { asm: 'str h3, [x1, #2]', word: 0x7d000423, mnemonic: 'str', operands: [r('h3'), r('x1'), 1n] },
  { asm: 'str s3, [x1, #4]', word: 0xbd000423, mnemonic: 'str', operands: [r('s3'), r('x1'), 1n] },
  { asm: 'str d3, [x1, #16]', word: 0xfd000823, mnemonic: 'str', operands: [r('d3'), r('x1'), 2n] },
  { asm: 'str q3, [x1, #32]', word: 0x3d800823, mnemonic: 'str', operands: [r('q3'), r('x1'), 2n] },
  { asm: 'prfm pldl1keep, [x0, #8]', word: 0xf9800400, mnemonic: 'prfm', operands: [0n, r('x0'), 1n] },
  // Load literal: [Rt, imm19 words].
  { asm: 'ldr w0, #-4', word: 0x18ffffe0, mnemonic: 'ldr', operands: [r('w0'), -1n] },
  { asm: 'ldr x0, #1048572', word: 0x587fffe0, mnemonic: 'ldr', operands: [r('x0'), 0x3ffffn] },
  { asm: 'ldrsw x1, #8', word: 0x98000041, mnemonic: 'ldrsw', operands: [r('x1'), 2n] },
  { asm: 'ldr s2, #-1048576', word: 0x1c800002, mnemonic: 'ldr', operands: [r('s2'), -0x40000n] },
  { asm: 'ldr d3, #4', word: 0x5c000023, mnemonic: 'ldr', operands: [r('d3'), 1n] },
  { asm: 'ldr q1, #16', word: 0x9c000081, mnemonic: 'ldr', operands: [r('q1'), 4n] },
  { asm: 'prfm pldl1strm, #8', word: 0xd8000041, mnemonic: 'prfm', operands: [1n, 2n] },
  // Register offset: [Rt, Xn, Rm, signed, shifted].
  {
    asm: 'ldr x0, [x1, x2]',
    word: 0xf8626820,
    mnemonic: 'ldr',
    operands: [r('x0'), r('x1'), r('x2'), 0n, 0n],
  },
  {
    asm: 'ldr x0, [x1, x2, lsl #3]',
    word: 0xf8627820,
    mnemonic: 'ldr',
    operands: [r('x0'), r('x1'), r('x2'), 0n, 1n],
  },
  {
    asm: 'ldr w0, [x1, w2, sxtw]',
    word: 0xb862c820,
    mnemonic: 'ldr',
    operands: [r('w0'), r('x1'), r('w2'), 1n, 0n],
  },
  {
    asm: 'ldr w0, [x1, w2, uxtw #2]',
    word: 0xb8625820,
    mnemonic: 'ldr',
    operands: [r('w0'), r('x1'), r('w2'), 0n, 1n],
  },
  {
    asm: 'ldrb w0, [x1, x2, lsl #0]',
    word: 0x38627820,
    mnemonic: 'ldrb',
    operands: [r('w0'), r('x1'), r('x2'), 0n, 1n],
  },
  {
    asm: 'ldrsh x4, [x1, x2, sxtx #1]',
    word: 0x78a2f824,
    mnemonic: 'ldrsh',
    operands: [r('x4'), r('x1'), r('x2'), 1n, 1n],
  },
  {
    asm: 'strh w0, [x1, w2, uxtw #1]',
    word: 0x78225820,
    mnemonic: 'strh',
    operands: [r('w0'), r('x1'), r('w2'), 0n, 1n],
  },
  {
    asm: 'str x0, [sp, x30, lsl #3]',
    word: 0xf83e7be0,
    mnemonic: 'str',
    operands: [r('x0'), r('sp'), r('x30'), 0n, 1n],
  },
  {
    asm: 'ldr q0, [x1, x2, sxtx #4]',
    word: 0x3ce2f820,
    mnemonic: 'ldr',
    operands: [r('q0'), r('x1'), r('x2'), 1n, 1n],
  },
  {
    asm: 'str d0, [x1, w2, uxtw]',
    word: 0xfc224820,
    mnemonic: 'str',
    operands: [r('d0'), r('x1'), r('w2'), 0n, 0n],
  },
  // Branches: offsets in words.
  { asm: 'b #-4', word: 0x17ffffff, mnemonic: 'b', operands: [-1n] },
  { asm: 'b #0', word: 0x14000000, mnemonic: 'b', operands: [0n] },
  { asm: 'bl #134217724', word: 0x95ffffff, mnemonic: 'bl', operands: [0x1ffffffn] },
  { asm: 'bl #-134217728', word: 0x96000000, mnemonic: 'bl', operands: [-0x2000000n] },
  { asm: 'b.ne #8', word: 0x54000041, mnemonic: 'b.ne', operands: [1n, 2n] },
  { asm: 'b.eq #-4', word: 0x54ffffe0, mnemonic: 'b.eq', operands: [0n, -1n] },
  { asm: 'b.al #-1048576', word: 0x5480000e, mnemonic: 'b.al', operands: [14n, -0x40000n] },
  { asm: 'cbz x0, #16', word: 0xb4000080, mnemonic: 'cbz', operands: [r('x0'), 4n] },
  { asm: 'cbnz w3, #-16', word: 0x35ffff83, mnemonic: 'cbnz', operands: [r('w3'), -4n] },
  { asm: 'tbz w0, #3, #8', word: 0x36180040, mnemonic: 'tbz', operands: [r('w0'), 3n, 2n] },
  { asm: 'tbnz x1, #63, #-32768', word: 0xb7fc0001, mnemonic: 'tbnz', operands: [r('x1'), 63n, -0x2000n] },
  { asm: 'tbz x2, #32, #32764', word: 0xb603ffe2, mnemonic: 'tbz', operands: [r('x2'), 32n, 0x1fffn] },
  // Move wide: [Rd, (Rd,) imm16, shift].
  { asm: 'movz x0, #0x1234, lsl #16', word: 0xd2a24680, mnemonic: 'movz', operands: [r('x0'), 0x1234n, 16n] },
  { asm: 'movz x0, #0, lsl #16', word: 0xd2a00000, mnemonic: 'movz', operands: [r('x0'), 0n, 16n] },
  { asm: 'movz w1, #0xffff', word: 0x529fffe1, mnemonic: 'movz', operands: [r('w1'), 0xffffn, 0n] },
  { asm: 'movn x0, #0x1234, lsl #32', word: 0x92c24680, mnemonic: 'movn', operands: [r('x0'), 0x1234n, 32n] },
  { asm: 'movn w0, #0xffff', word: 0x129fffe0, mnemonic: 'movn', operands: [r('w0'), 0xffffn, 0n] },
  {
    asm: 'movk x0, #0xbeef, lsl #48',
    word: 0xf2f7dde0,
    mnemonic: 'movk',
    operands: [r('x0'), r('x0'), 0xbeefn, 48n],
  },
  { asm: 'movk w0, #0x1', word: 0x72800020, mnemonic: 'movk', operands: [r('w0'), r('w0'), 1n, 0n] },
  {
    asm: 'movk w2, #0x8000, lsl #16',
    word: 0x72b00002,
    mnemonic: 'movk',
    operands: [r('w2'), r('w2'), 0x8000n, 16n],
  },
  // Around stubs and PLT entries.
  { asm: 'nop', word: 0xd503201f, mnemonic: 'nop', operands: [] },
  { asm: 'ret', word: 0xd65f03c0, mnemonic: 'ret', operands: [r('x30')] },
  { asm: 'br x16', word: 0xd61f0200, mnemonic: 'br', operands: [r('x16')] },
  { asm: 'blr x1', word: 0xd63f0020, mnemonic: 'blr', operands: [r('x1')] },
  { asm: 'ret x3', word: 0xd65f0060, mnemonic: 'ret', operands: [r('x3')] },
];
