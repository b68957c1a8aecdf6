import { JITLinkError } from '@jitlink/core';
import { decodeX86_64Instruction } from '../src/index.js';

function decode(hex: string) {
  const bytes = Uint8Array.from(hex.split(' ').map((b) => parseInt(b, 16)));
  return decodeX86_64Instruction(bytes, 0x1000n);
}

const rip = { register: 'rip' };
const none = { register: '' };

describe('x86-64 decoder (LLVM MC operand numbering)', () => {
  it.each([
    ['e8 fc ff ff ff', 'call', 5, [-4n]],
    ['e9 10 00 00 00', 'jmp', 5, [16n]],
    ['eb fe', 'jmp', 2, [-2n]],
    ['0f 85 00 01 00 00', 'jne', 6, [0x100n, 5n]],
    ['74 01', 'je', 2, [1n, 4n]],
    ['67 e8 01 00 00 00', 'call', 6, [1n]],
    ['ff 15 f8 ff ff ff', 'call', 6, [rip, 1n, none, -8n, none]],
    ['ff 25 00 00 00 00', 'jmp', 6, [rip, 1n, none, 0n, none]],
    ['48 8d 05 78 56 34 12', 'leaq', 7, [{ register: 'rax' }, rip, 1n, none, 0x12345678n, none]],
    ['4c 8d 25 00 00 00 80', 'leaq', 7, [{ register: 'r12' }, rip, 1n, none, -0x80000000n, none]],
    ['44 8b 0d 04 00 00 00', 'movl', 7, [{ register: 'r9d' }, rip, 1n, none, 4n, none]],
    ['48 89 15 04 00 00 00', 'movq', 7, [rip, 1n, none, 4n, none, { register: 'rdx' }]],
    ['66 8b 05 04 00 00 00', 'movw', 7, [{ register: 'ax' }, rip, 1n, none, 4n, none]],
    ['48 3b 35 04 00 00 00', 'cmpq', 7, [{ register: 'rsi' }, rip, 1n, none, 4n, none]],
    ['83 3d 04 00 00 00 07', 'cmpl', 7, [rip, 1n, none, 4n, none, 7n]],
    ['66 81 3d 00 00 00 00 34 12', 'cmpw', 9, [rip, 1n, none, 0n, none, 0x1234n]],
    ['48 03 05 04 00 00 00', 'addq', 7, [{ register: 'rax' }, { register: 'rax' }, rip, 1n, none, 4n, none]],
    ['48 85 05 04 00 00 00', 'testq', 7, [rip, 1n, none, 4n, none, { register: 'rax' }]],
    ['67 8d 05 04 00 00 00', 'leal', 7, [{ register: 'eax' }, { register: 'eip' }, 1n, none, 4n, none]],
    ['48 b8 88 77 66 55 44 33 22 11', 'movabs', 10, [{ register: 'rax' }, 0x1122334455667788n]],
    ['bb 00 00 00 80', 'movl', 5, [{ register: 'ebx' }, -0x80000000n]],
    ['49 c7 c2 00 10 00 00', 'movq', 7, [{ register: 'r10' }, 0x1000n]],
    ['c7 05 f8 ff ff ff 78 56 34 12', 'movl', 10, [rip, 1n, none, -8n, none, 0x12345678n]],
    ['48 c7 44 24 10 00 20 00 00', 'movq', 9, [{ register: 'rsp' }, 1n, none, 16n, none, 0x2000n]],
    ['48 8b 84 c8 00 01 00 00', 'movq', 8, [{ register: 'rax' }, { register: 'rax' }, 8n, { register: 'rcx' }, 0x100n, none]],
    ['64 48 8b 04 25 28 00 00 00', 'movq', 9, [{ register: 'rax' }, none, 1n, none, 0x28n, { register: 'fs' }]],
  ])('%s is %s', (hex, mnemonic, size, operands) => {
    const inst = decode(hex);
    expect(inst.mnemonic).toBe(mnemonic);
    expect(inst.size).toBe(size);
    expect(inst.operands).toEqual(operands);
  });

  it('names the address and bytes of what it cannot decode', () => {
    expect(() => decode('0f 0b')).toThrow(JITLinkError);
    expect(() => decode('0f 0b')).toThrow(/at 0x1000 \(bytes 0f 0b\): opcode 0f 0b is not supported/);
    expect(() => decode('48 8d 05 00 00')).toThrow(/instruction is truncated/);
    expect(() => decodeX86_64Instruction(new Uint8Array(0), 0x20n)).toThrow(/at 0x20 \(bytes none\)/);
    expect(() => decode('48 8d c0')).toThrow(/lea needs a memory operand/);
  });
});
