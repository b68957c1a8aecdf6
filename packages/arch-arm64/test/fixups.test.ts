/**
 * applyFixup for every AArch64 edge kind: in range, at both boundaries, out
 * of range and misaligned, on real instruction words (encoded by llvm-mc-19:
 * see the comments), with the errors' kinds and what they name.
 */
import { JITLinkError, Linkage, MemProt, Scope, type EdgeKind } from '@jitlink/core';
import { AArch64EdgeKinds as K, aarch64EdgeKinds, applyFixup, getAArch64EdgeKindName } from '../src/index.js';
import { aarch64Graph } from './helpers.js';

const P = 0x10_0000; // the fixup address (block at P - 8, edge at offset 8)
const HIGH = -0x8000_0000_0000; // 0xffff800000000000 read as signed

/** Applies one edge of `kind` at P to `bytes` (at offset 8 of a 24-byte block) targeting T; returns the bytes. */
function fix(kind: EdgeKind, bytes: Uint8Array, T: number, A = 0, p = P, endianness: 'little' | 'big' = 'little') {
  const graph = aarch64Graph('fixups.o');
  if (endianness === 'big') (graph as { endianness: string }).endianness = 'big';
  const section = graph.createSection('.text', MemProt.Read | MemProt.Exec);
  const content = new Uint8Array(24);
  content.set(bytes, 8);
  const block = graph.createMutableContentBlock(section, content, p - 8, 4, 0);
  const target = graph.addAbsoluteSymbol('target', T, 0, Linkage.Strong, Scope.Default, true);
  block.appendEdge(kind, 8, target, A);
  const edge = block.edges[0]!;
  applyFixup(graph, block, edge, content, new DataView(content.buffer));
  return content.subarray(8, 8 + bytes.length);
}

const le32 = (w: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, w >>> 0, true);
  return b;
};
const word = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
const fixWord = (kind: EdgeKind, w: number, T: number, A = 0, p = P) => word(fix(kind, le32(w), T, A, p));

function expectError(f: () => unknown, code: string, ...parts: (string | RegExp)[]): JITLinkError {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(JITLinkError);
  const e = error as JITLinkError;
  expect(e.code).toBe(code);
  for (const part of parts) expect(e.message).toMatch(part);
  return e;
}

const BL = 0x94000000; // bl .
const B = 0x14000000; // b .
const ADRP_X0 = 0x90000000; // adrp x0, 0
const ADR_X0 = 0x10000000; // adr x0, .
const ADD_X0 = 0x91000000; // add x0, x0, #0
const LDRB = 0x39400000; // ldrb w0, [x0]
const LDRH = 0x79400000; // ldrh w0, [x0]
const LDR_W = 0xb9400000; // ldr w0, [x0]
const LDR_X = 0xf9400000; // ldr x0, [x0]
const LDR_Q = 0x3dc00000; // ldr q0, [x0]
const LDR_LIT = 0x58000000; // ldr x0, .
const BEQ = 0x54000000; // b.eq .
const CBZ = 0xb4000000; // cbz x0, .
const TBZ = 0x36180000; // tbz w0, #3, .
const MOVZ = 0xd2800000; // movz x0, #0
const MOVK_G1 = 0xf2a00000; // movk x0, #0, lsl #16
const MOVN_G2 = 0x92c00000; // movn x0, #0, lsl #32
const MOVZ_G3 = 0xd2e00000; // movz x0, #0, lsl #48
const NOP = 0xd503201f;

describe('data kinds', () => {
  const readLE = (b: Uint8Array) => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  };
  const bits = (v: number, n: number) => BigInt.asUintN(n, BigInt(v));

  it.each([
    ['Pointer64', K.Pointer64, 8, 0x1_2345_6789, -0x10, (T: number, A: number) => T + A],
    ['Pointer64 (high half)', K.Pointer64, 8, HIGH + 0x1000, 8, (T: number, A: number) => T + A],
    ['Pointer32', K.Pointer32, 4, 0xffff_fff0, 0xf, (T: number, A: number) => T + A],
    ['Pointer32 (negative)', K.Pointer32, 4, -0x8000_0000, 0, (T: number, A: number) => T + A],
    ['Pointer16', K.Pointer16, 2, 0xfff0, 0xf, (T: number, A: number) => T + A],
    ['Delta64', K.Delta64, 8, HIGH, 4, (T: number, A: number) => T - P + A],
    ['Delta32', K.Delta32, 4, P - 0x8000_0000, 0, (T: number, A: number) => T - P + A],
    ['Delta16', K.Delta16, 2, P + 0x7fff, 0, (T: number, A: number) => T - P + A],
    ['NegDelta64', K.NegDelta64, 8, P + 0x1234_5678_9a, 0, (T: number, A: number) => P - T + A],
    ['NegDelta32', K.NegDelta32, 4, P - 0x7fff_ffff, 0, (T: number, A: number) => P - T + A],
  ] as const)('%s writes its formula', (_n, kind, width, T, A, formula) => {
    const out = fix(kind, new Uint8Array(width), T, A);
    expect(readLE(out)).toBe(bits(formula(T, A), width * 8));
  });

  it('writes data big-endian in big-endian graphs', () => {
    const out = fix(K.Pointer32, new Uint8Array(4), 0x11223344, 0, P, 'big');
    expect([...out]).toEqual([0x11, 0x22, 0x33, 0x44]);
  });

  it.each([
    ['Pointer32', K.Pointer32, 0x1_0000_0000, 'int32/uint32'],
    ['Pointer32', K.Pointer32, -0x8000_0001, 'int32/uint32'],
    ['Pointer16', K.Pointer16, 0x1_0000, 'int16/uint16'],
    ['Pointer16', K.Pointer16, -0x8001, 'int16/uint16'],
    ['Delta32', K.Delta32, P + 0x1_0000_0000, 'int32/uint32'],
    ['Delta16', K.Delta16, P - 0x8001, 'int16/uint16'],
    ['NegDelta32', K.NegDelta32, P - 0x8000_0000, 'int32'],
  ] as const)('%s out of range (%#x) is FixupOutOfRange', (name, kind, T, range) => {
    expectError(() => fix(kind, new Uint8Array(8), T), 'FixupOutOfRange', name, range, 'fixups.o', 'section .text', 'targeting target');
  });

  it('64-bit values beyond 2^53 are computed exactly from exact operands', () => {
    expect(readLE(fix(K.Pointer64, new Uint8Array(8), 2 ** 53 - 1, 1))).toBe(2n ** 53n);
    // MachO arm64 C++ type_info names: the name's address with bit 63 set (an addend of -2^63).
    expect(readLE(fix(K.Pointer64, new Uint8Array(8), 0x1_2345_6789, -(2 ** 63)))).toBe(0x8000_0001_2345_6789n);
    expect(readLE(fix(K.Delta64, new Uint8Array(8), P + 0x10, -(2 ** 63)))).toBe(0x8000_0000_0000_0010n);
  });
});

describe('PC-relative instruction fields', () => {
  // [kind, word, field extractor, bits, scale]
  const imm26 = (w: number) => (w << 6) >> 6;
  const imm19 = (w: number) => (w << 8) >> 13;
  const imm14 = (w: number) => (w << 13) >> 18;
  const imm21 = (w: number) => (((w << 8) >> 13) << 2) | ((w >>> 29) & 3);
  const cases = [
    ['Branch26PCRel (bl)', K.Branch26PCRel, BL, imm26, 26, 2],
    ['Branch26PCRel (b)', K.Branch26PCRel, B, imm26, 26, 2],
    ['LDRLiteral19', K.LDRLiteral19, LDR_LIT, imm19, 19, 2],
    ['CondBranch19PCRel (b.eq)', K.CondBranch19PCRel, BEQ, imm19, 19, 2],
    ['CondBranch19PCRel (cbz)', K.CondBranch19PCRel, CBZ, imm19, 19, 2],
    ['TestAndBranch14PCRel', K.TestAndBranch14PCRel, TBZ, imm14, 14, 2],
    ['ADRLiteral21', K.ADRLiteral21, ADR_X0, imm21, 21, 0],
  ] as const;

  it.each(cases)('%s: in range, at both boundaries, and keeps the other bits', (_n, kind, w, field, bits, scale) => {
    const max = 2 ** (bits - 1 + scale) - 2 ** scale;
    const min = -(2 ** (bits - 1 + scale));
    for (const delta of [0x100, -0x100, max, min]) {
      const out = fixWord(kind, w, P + delta - 4, 4);
      expect(field(out)).toBe(delta / 2 ** scale);
      // Register, condition and bit-number fields are untouched.
      const fieldMask = kind === K.ADRLiteral21 ? 0x60ffffe0 : kind === K.Branch26PCRel ? 0x03ffffff : kind === K.TestAndBranch14PCRel ? 0x0007ffe0 : 0x00ffffe0;
      expect((out & ~fieldMask) >>> 0).toBe((w & ~fieldMask) >>> 0);
    }
  });

  it.each(cases)('%s: one step beyond either boundary is FixupOutOfRange', (name, kind, w, _f, bits, scale) => {
    const limit = 2 ** (bits - 1 + scale);
    expectError(() => fixWord(kind, w, P + limit), 'FixupOutOfRange', name.split(' ')[0]!, 'out of range', '0x0000000000100000');
    expectError(() => fixWord(kind, w, P - limit - 2 ** scale), 'FixupOutOfRange', 'out of range');
  });

  it.each(cases.filter((c) => c[5] > 0))('%s: a misaligned target is FixupOutOfRange (not aligned)', (_n, kind, w) => {
    expectError(() => fixWord(kind, w, P + 6), 'FixupOutOfRange', '4-byte aligned');
  });

  it.each(cases)('%s on another instruction is MalformedObject', (_n, kind) => {
    expectError(() => fixWord(kind, NOP, P + 8), 'MalformedObject', 'instruction 0xd503201f is not');
  });

  it('Branch26PCRel reaches high-half addresses from high-half code', () => {
    const p = HIGH + 0x10_0000;
    expect(imm26(fixWord(K.Branch26PCRel, BL, p - 0x800_0000, 0, p))).toBe(-0x200_0000);
  });
});

describe('Page21 and PageOffset12', () => {
  const adrpImm = (w: number) => ((((w << 8) >> 13) << 2) | ((w >>> 29) & 3));
  it('Page21 is the page delta, at both ends of ±4 GiB', () => {
    expect(adrpImm(fixWord(K.Page21, ADRP_X0, P + 0x1234_5678))).toBe((P + 0x1234_5678 - (P & ~0xfff)) >> 12);
    expect(adrpImm(fixWord(K.Page21, ADRP_X0, P + 2 ** 32 - 1))).toBe(2 ** 20 - 1);
    expect(adrpImm(fixWord(K.Page21, ADRP_X0, P - 2 ** 32))).toBe(-(2 ** 20));
    // Same page: 0, whatever the low bits.
    expect(adrpImm(fixWord(K.Page21, ADRP_X0, P + 0xfff))).toBe(0);
    expect(adrpImm(fixWord(K.Page21, ADRP_X0, HIGH + 0x5000, 0, HIGH + 0x1000))).toBe(4);
  });
  it('Page21 beyond ±4 GiB, or on an ADR, fails', () => {
    expectError(() => fixWord(K.Page21, ADRP_X0, P + 2 ** 32), 'FixupOutOfRange', 'Page21', '±4 GiB');
    expectError(() => fixWord(K.Page21, ADRP_X0, P - 2 ** 32 - 0x1000), 'FixupOutOfRange');
    expectError(() => fixWord(K.Page21, ADR_X0, P), 'MalformedObject', 'not an ADRP');
  });

  const imm12 = (w: number) => (w >>> 10) & 0xfff;
  it.each([
    ['add', ADD_X0, 0],
    ['ldrb', LDRB, 0],
    ['ldrh', LDRH, 1],
    ['ldr w', LDR_W, 2],
    ['ldr x', LDR_X, 3],
    ['ldr q', LDR_Q, 4],
  ] as const)('PageOffset12 on %s: low 12 bits scaled by the access size; misaligned fails', (_n, w, scale) => {
    const T = 0x12_3000 + 0xff0;
    expect(imm12(fixWord(K.PageOffset12, w, T))).toBe(0xff0 >> scale);
    expect(imm12(fixWord(K.PageOffset12, w, 0x12_3000))).toBe(0);
    expect(imm12(fixWord(K.PageOffset12, w, HIGH + 0x1ff0))).toBe(0xff0 >> scale);
    if (scale > 0) {
      expectError(() => fixWord(K.PageOffset12, w, T + 2 ** (scale - 1)), 'FixupOutOfRange', `${2 ** scale}-byte aligned`);
    }
  });
  it('PageOffset12 on a branch is MalformedObject', () => {
    expectError(() => fixWord(K.PageOffset12, BL, P), 'MalformedObject', 'not an ADD (immediate) or a load/store');
  });
});

describe('move-wide kinds (the shift from the instruction)', () => {
  const imm16 = (w: number) => (w >>> 5) & 0xffff;
  const opc = (w: number) => (w >>> 29) & 3;
  const V = 0x1f_5678_9abc_def0;
  it('MoveWide16 takes the halfword named by hw, without a range check', () => {
    expect(imm16(fixWord(K.MoveWide16, MOVZ, V))).toBe(0xdef0);
    expect(imm16(fixWord(K.MoveWide16, MOVK_G1, V))).toBe(0x9abc);
    expect(imm16(fixWord(K.MoveWide16, MOVZ_G3, V))).toBe(0x001f);
    expect(imm16(fixWord(K.MoveWide16, MOVZ_G3, HIGH))).toBe(0xffff);
    expect(opc(fixWord(K.MoveWide16, MOVK_G1, V))).toBe(3);
  });
  it('MoveWide16Unsigned checks that the value fits 16·(hw+1) bits', () => {
    expect(imm16(fixWord(K.MoveWide16Unsigned, MOVZ, 0xffff))).toBe(0xffff);
    expectError(() => fixWord(K.MoveWide16Unsigned, MOVZ, 0x1_0000), 'FixupOutOfRange', 'uint16');
    expect(imm16(fixWord(K.MoveWide16Unsigned, MOVK_G1, 0xffff_ffff))).toBe(0xffff);
    expectError(() => fixWord(K.MoveWide16Unsigned, MOVK_G1, 0x1_0000_0000), 'FixupOutOfRange', 'uint32');
    expectError(() => fixWord(K.MoveWide16Unsigned, MOVZ, -1), 'FixupOutOfRange');
  });
  it('MoveWide16Signed writes MOVZ for values >= 0 and MOVN of the complement below', () => {
    let w = fixWord(K.MoveWide16Signed, MOVZ, -0x1235);
    expect([opc(w), imm16(w)]).toEqual([0, 0x1234]);
    w = fixWord(K.MoveWide16Signed, MOVZ, -0x1_0000);
    expect([opc(w), imm16(w)]).toEqual([0, 0xffff]);
    w = fixWord(K.MoveWide16Signed, MOVN_G2, 0xffff_1234_5678);
    expect([opc(w), imm16(w)]).toEqual([2, 0xffff]);
    expectError(() => fixWord(K.MoveWide16Signed, MOVZ, 0x1_0000), 'FixupOutOfRange', '±2^16');
    expectError(() => fixWord(K.MoveWide16Signed, MOVZ, -0x1_0001), 'FixupOutOfRange', '±2^16');
  });
  it('MoveWide16PCRel and MoveWide16PCRelSigned measure from P', () => {
    expect(imm16(fixWord(K.MoveWide16PCRel, MOVK_G1, P + 0x1234_0000))).toBe(0x1234);
    const w = fixWord(K.MoveWide16PCRelSigned, MOVZ, P - 0x10);
    expect([opc(w), imm16(w)]).toEqual([0, 0xf]);
    expectError(() => fixWord(K.MoveWide16PCRelSigned, MOVZ, P + 0x1_0000), 'FixupOutOfRange');
  });
  it('a non-move instruction is MalformedObject', () => {
    expectError(() => fixWord(K.MoveWide16, ADD_X0, 0), 'MalformedObject', 'not a MOVZ, MOVN or MOVK');
  });
});

describe('thread-local offsets in ADD/LDR imm12 (High12, Imm12Low)', () => {
  it('High12 writes bits 23:12 of the value into an ADD (LSL #12)', () => {
    expect(fixWord(K.High12, ADD_X0 | (1 << 22), 0x12358)).toBe((ADD_X0 | (1 << 22) | (0x12 << 10)) >>> 0);
  });
  it('High12 refuses a value of 2^24 or more, or a negative one', () => {
    const ADD_X0_LSL12 = 0x91400000; // add x0, x0, #0, lsl #12
    expectError(() => fixWord(K.High12, ADD_X0_LSL12, 0x100_0000), 'FixupOutOfRange', 'out of range of [0, 2^24)');
    expectError(() => fixWord(K.High12, ADD_X0_LSL12, -0x10), 'FixupOutOfRange', 'out of range of [0, 2^24)');
    expectError(() => fixWord(K.High12, LDR_X, 0x1000), 'MalformedObject', 'not an ADD (immediate)');
  });
  it('Imm12Low writes the value, scaled by the access size, and refuses 4096 or more', () => {
    expect(fixWord(K.Imm12Low, ADD_X0, 0x358)).toBe((ADD_X0 | (0x358 << 10)) >>> 0);
    expect(fixWord(K.Imm12Low, LDR_X, 0x30)).toBe((LDR_X | (6 << 10)) >>> 0);
    expectError(() => fixWord(K.Imm12Low, ADD_X0, 0x1000), 'FixupOutOfRange', 'out of range of [0, 4096)');
    expectError(() => fixWord(K.Imm12Low, LDR_X, 0x34), 'FixupOutOfRange', 'not 8-byte aligned');
  });
});

describe('kinds that never reach applyFixup', () => {
  it('request kinds must be lowered by the GOT/PLT pass', () => {
    expectError(() => fixWord(K.RequestGOTAndTransformToPage21, ADRP_X0, 0), 'InvalidGraphOperation', 'must be lowered');
  });
  it('unsupported thread-local kinds are UnsupportedFeature naming the relocation', () => {
    const tls = aarch64EdgeKinds().find((k) => k.name === 'TLS_TLSDESC_OFF_G1')!;
    expectError(() => fixWord(tls.kind, ADRP_X0, 0), 'UnsupportedFeature', 'thread-local relocation R_AARCH64_TLSDESC_OFF_G1 is not supported yet');
  });
  it('supported thread-local kinds must be lowered by the thread-local storage passes', () => {
    const tls = aarch64EdgeKinds().find((k) => k.name === 'TLS_TLSIE_ADR_GOTTPREL_PAGE21')!;
    expectError(() => fixWord(tls.kind, ADRP_X0, 0), 'InvalidGraphOperation', 'must be lowered by the aarch64 thread-local storage passes');
    expectError(() => fixWord(K.TPOff64, ADRP_X0, 0), 'InvalidGraphOperation', 'thread-local storage passes');
  });
  it('GotPageOffset15 without a GOT base is InvalidGraphOperation', () => {
    expectError(() => fixWord(K.GotPageOffset15, LDR_X, 0), 'InvalidGraphOperation', '_GLOBAL_OFFSET_TABLE_');
  });
  it('an edge past the end of its block is InvalidGraphOperation', () => {
    const graph = aarch64Graph('short.o');
    const content = new Uint8Array(12);
    const block = graph.createMutableContentBlock(graph.createSection('.data', MemProt.Read), content, 0x1000, 8, 0);
    block.appendEdge(K.Pointer64, 8, graph.addAbsoluteSymbol('t', 0, 0, Linkage.Strong, Scope.Default, true), 0);
    expectError(
      () => applyFixup(graph, block, block.edges[0]!, content, new DataView(content.buffer)),
      'InvalidGraphOperation',
      'Pointer64 edge at block offset 8 does not fit in the 12-byte block',
    );
  });
});

describe('the edge-kind table', () => {
  it('names every kind, gives each a value and a width', () => {
    for (const info of aarch64EdgeKinds()) {
      expect(getAArch64EdgeKindName(info.kind)).toBe(info.name);
      expect(info.value.length).toBeGreaterThan(0);
      expect([2, 4, 8]).toContain(info.width);
    }
  });
});
