import { JITLinkError } from '@jitlink/core';
import { aarch64InstructionDecoder, decodeAArch64Instruction, decodeAArch64Word } from '../src/index.js';
import { FORMS } from './forms.js';

function littleEndian(word: number): Uint8Array {
  return Uint8Array.of(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24);
}

describe('AArch64 decoder (LLVM MC operand numbering)', () => {
  it.each(FORMS.map((f) => [f.asm, f] as const))('%s', (_asm, form) => {
    const inst = decodeAArch64Instruction(littleEndian(form.word), 0x1000n);
    expect(inst.mnemonic).toBe(form.mnemonic);
    expect(inst.size).toBe(4);
    expect(inst.operands).toEqual(form.operands);
  });

  it('reads instructions little-endian and ignores bytes past the first word', () => {
    const bytes = Uint8Array.of(0x00, 0x00, 0x00, 0x94, 0xff, 0xff, 0xff, 0xff);
    expect(aarch64InstructionDecoder.decode(bytes, 0n)).toEqual({ size: 4, mnemonic: 'bl', operands: [0n] });
    expect(decodeAArch64Word(0x94000000)).toEqual(aarch64InstructionDecoder.decode(bytes, 0n));
  });

  it.each([
    ['00000000', 'not a form this decoder knows'],
    ['d4000001', 'not a form this decoder knows'], // svc #0
    ['12c00000', '32-bit move-wide with shift 32'], // movn w0, hw = 2
    ['32800000', 'unallocated move-wide opcode'], // opc 01
    ['b9c00000', 'unallocated load/store (unsigned offset) form'], // size 10, opc 11
    ['f8600820', 'reserved register-offset extend option 0'], // option 000
    ['dc000000', 'unallocated load-literal form'], // V = 1, opc 11
    ['91800000', 'not a form this decoder knows'], // add-immediate class with shift 1x (addg)
    ['54000010', 'not a form this decoder knows'], // bc.eq
  ])('rejects %s with a JITLinkError naming address and word', (hex, reason) => {
    const decode = () => decodeAArch64Instruction(littleEndian(parseInt(hex, 16)), 0x2000n);
    expect(decode).toThrow(JITLinkError);
    expect(decode).toThrow(`cannot decode AArch64 instruction at 0x2000 (word 0x${hex}): ${reason}`);
  });

  it('rejects truncated input', () => {
    expect(() => decodeAArch64Instruction(Uint8Array.of(0x1f, 0x20, 0x03), 0x10n)).toThrow(
      /at 0x10 \(bytes 1f 20 03\): instruction is truncated/,
    );
    expect(() => decodeAArch64Instruction(new Uint8Array(0), 0x10n)).toThrow(/\(bytes none\)/);
  });
});
