import {
  JITLinkError,
  Linkage,
  LinkedGraphsCheckerContext,
  LinkGraph,
  MemProt,
  runCheckFile,
  Scope,
  type DecodedInstruction,
  type InstructionDecoder,
} from '../src/index.js';
// The checker's parser and evaluator are not public API: tested from their module.
import {
  evaluateCheck,
  formatCheckExpression,
  parseCheckEquation,
  parseCheckExpression,
  scanCheckLines,
} from '../src/check/index.js';

/** A decoder for a toy encoding: 0xAA imm32 (size 5, one immediate), 0xBB (size 1, one register). */
const toyDecoder: InstructionDecoder = {
  decode(bytes: Uint8Array, address: bigint): DecodedInstruction {
    if (bytes[0] === 0xaa && bytes.length >= 5) {
      const imm = new DataView(bytes.buffer, bytes.byteOffset + 1, 4).getInt32(0, true);
      return { size: 5, operands: [BigInt(imm)], mnemonic: 'toyimm' };
    }
    if (bytes[0] === 0xbb) return { size: 1, operands: [{ register: 'r1' }], mnemonic: 'toyreg' };
    throw new JITLinkError('UnsupportedFeature', `unknown toy instruction at 0x${address.toString(16)}`);
  },
};

function buildContext(endianness: 'little' | 'big' = 'little'): LinkedGraphsCheckerContext {
  const graph = new LinkGraph({ name: '/tmp/dir/test.o', triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness });
  const text = graph.createSection('.text', MemProt.Read | MemProt.Exec);
  // insn: aa fc ff ff ff (imm -4); then bb.
  const code = new Uint8Array([0xaa, 0xfc, 0xff, 0xff, 0xff, 0xbb]);
  const block = graph.createContentBlock(text, code, 0x1000, 16, 0);
  graph.addDefinedSymbol(block, 0, 'insn', 5, Linkage.Strong, Scope.Default, true, true);
  graph.addDefinedSymbol(block, 5, 'reg_insn', 1, Linkage.Strong, Scope.Local, true, true);
  const data = graph.createSection('.data', MemProt.Read | MemProt.Write);
  const dataBlock = graph.createContentBlock(data, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 0x2000, 8, 0);
  graph.addDefinedSymbol(dataBlock, 0, 'data', 8, Linkage.Strong, Scope.Default, false, true);
  const bss = graph.createSection('.bss', MemProt.Read | MemProt.Write);
  const zero = graph.createZeroFillBlock(bss, 16, 0x3000, 8, 0);
  graph.addDefinedSymbol(zero, 0, 'zeros', 16, Linkage.Strong, Scope.Default, false, true);
  // An empty block at the address of a content block (as the GOT base sits on the first GOT entry).
  const got = graph.createSection('$__GOT', MemProt.Read | MemProt.Write);
  graph.createContentBlock(got, new Uint8Array(0), 0x4000, 8, 0);
  graph.createContentBlock(got, new Uint8Array([0x0d, 0xf0, 0xfe, 0xca, 0, 0, 0, 0]), 0x4000, 8, 0);
  graph.addAbsoluteSymbol('abs_sym', 0xffff_ffff_8000_0000 - 2 ** 64, 0, Linkage.Strong, Scope.Default, true);
  const ctx = new LinkedGraphsCheckerContext({ decoder: toyDecoder });
  ctx.recordGraph(graph, { gotEntries: new Map([['ext', 0x4000n]]), stubs: new Map([['ext', 0x5000n]]) });
  ctx.defineSymbol('ext', 0xcafef00dn);
  return ctx;
}

function value(expr: string, ctx = buildContext()): bigint {
  const failure = evaluateCheck(`${expr} = 0`, ctx);
  if (failure === undefined) return 0n;
  if (failure.lhs === undefined) throw new Error(failure.message);
  return failure.lhs;
}

describe('jitlink-check expression parser', () => {
  it('evaluates LLVM operators left to right at one precedence', () => {
    expect(value('1 + 2 & 1')).toBe(1n); // (1 + 2) & 1
    expect(value('1 | 2 << 2')).toBe(12n); // (1 | 2) << 2
    expect(value('0x10 >> 4 + 1')).toBe(2n);
    expect(formatCheckExpression(parseCheckExpression('a - b + c'))).toBe('((a - b) + c)');
  });

  it('binds the multiplicative extensions tighter and treats ~ as unary', () => {
    expect(value('1 + 2 * 3')).toBe(7n);
    expect(value('(1 + 2) * 3')).toBe(9n);
    expect(value('100 / 7 - 1')).toBe(13n);
    expect(value('~0')).toBe(0xffff_ffff_ffff_ffffn);
    expect(value('~0 & 0xff')).toBe(0xffn);
  });

  it('wraps to unsigned 64 bits and slices bits', () => {
    expect(value('0 - 1')).toBe(0xffff_ffff_ffff_ffffn);
    expect(value('0x123456789abcdef0[15:8]')).toBe(0xden);
    expect(value('(0 - 4)[31:0]')).toBe(0xffff_fffcn);
  });

  it('reads memory with a load whose address is the rest of the expression', () => {
    expect(value('*{1}data')).toBe(1n);
    expect(value('*{1}data + 1')).toBe(2n);
    expect(value('(*{1}data) + 1')).toBe(2n);
    expect(value('*{4}data')).toBe(0x04030201n);
    expect(value('*{8}data')).toBe(0x0807060504030201n);
    expect(value('*{8}zeros + 8')).toBe(0n);
    expect(value('*{2}data + 1', buildContext('big'))).toBe(0x0203n);
  });

  it('knows symbols, absolute symbols, GOT entries, stubs and sections by file base name', () => {
    expect(value('insn')).toBe(0x1000n);
    expect(value('abs_sym')).toBe(0xffff_ffff_8000_0000n);
    expect(value('ext')).toBe(0xcafef00dn);
    expect(value('got_addr(test.o, ext)')).toBe(0x4000n);
    expect(value('*{8}got_addr(test.o, ext)')).toBe(0xcafef00dn);
    expect(value('got_addr(/tmp/dir/test.o, ext)')).toBe(0x4000n);
    expect(value('stub_addr(test.o, ext)')).toBe(0x5000n);
    expect(value('stub_addr(test.o, .text, ext)')).toBe(0x5000n);
    expect(value('section_addr(test.o, .data)')).toBe(0x2000n);
  });

  it('decodes operands and the next pc', () => {
    expect(value('decode_operand(insn, 0)')).toBe(0xffff_ffff_ffff_fffcn);
    expect(value('next_pc(insn)')).toBe(0x1005n);
    expect(evaluateCheck('decode_operand(insn + 5, 0) = 0', buildContext())?.message).toMatch(/toyreg at 'insn \+ 5' is register %r1/);
  });

  it('reports failures with both sides in hex', () => {
    const ctx = buildContext();
    const failure = evaluateCheck('*{4}data = 0x04030200', ctx);
    expect(failure?.message).toBe("expression '*{4}data = 0x04030200' is false: 0x4030201 != 0x4030200");
    expect(failure?.lhs).toBe(0x04030201n);
    expect(failure?.rhs).toBe(0x04030200n);
  });

  it('reports evaluation and syntax errors without throwing', () => {
    const ctx = buildContext();
    expect(evaluateCheck('nope = 1', ctx)?.message).toMatch(/no known address for symbol 'nope'/);
    expect(evaluateCheck('.Lfoo = 1', ctx)?.message).toMatch(/assembler-local/);
    expect(evaluateCheck('decode_operand(reg_insn, 0) = 1', ctx)?.message).toMatch(/register %r1, not an immediate/);
    expect(evaluateCheck('decode_operand(insn, 3) = 1', ctx)?.message).toMatch(/invalid operand index 3 .* 1 operands/);
    expect(evaluateCheck('decode_operand(data, 0) = 1', ctx)?.message).toMatch(/unknown toy instruction at 0x2000/);
    expect(evaluateCheck('got_addr(test.o, missing) = 1', ctx)?.message).toMatch(/no GOT entry for 'missing' in 'test.o'/);
    expect(evaluateCheck('section_addr(other.o, .text) = 1', ctx)?.message).toMatch(/no section '.text' in 'other.o'/);
    expect(evaluateCheck('*{8}data + 4 = 1', ctx)?.message).toMatch(/only 4 bytes remain/);
    expect(evaluateCheck('*{8}0x9000 = 1', ctx)?.message).toMatch(/no linked block holds/);
    expect(evaluateCheck('*{9}data = 1', ctx)?.message).toMatch(/load size 9 is above 8/);
    expect(evaluateCheck('1 + = 1', ctx)?.message).toMatch(/unexpected end of expression at column 5/);
    expect(evaluateCheck('1 + ) = 1', ctx)?.message).toMatch(/expected '\(', '\*\{', a number or a symbol at column 5/);
    expect(evaluateCheck('(1 + 2 = 3', ctx)?.message).toMatch(/expected '\)'/);
    expect(evaluateCheck('1 2 = 3', ctx)?.message).toMatch(/unexpected token/);
    expect(evaluateCheck('1 / 0 = 3', ctx)?.message).toMatch(/division by zero/);
    expect(evaluateCheck('no equals', ctx)?.message).toMatch(/expected '<lhs> = <rhs>'/);
    expect(() => parseCheckEquation('0x1ffffffffffffffff = 1')).toThrow(/does not fit in 64 bits/);
  });
});

describe('check files', () => {
  it('finds checks behind any comment leader, joins continued lines, honours the check name', () => {
    const text = [
      '# jitlink-check: insn = 0x1000',
      '  // jitlink-check: next_pc(insn) = \\',
      '  // jitlink-check:     insn + 5',
      '; jitlink-check: 1 = 1',
      '@ jitlink-check: 2 = 2',
      '# other-check: 3 = 4',
      '# not a check: jitlink-check: 5 = 6',
    ].join('\n');
    expect(scanCheckLines(text)).toEqual([
      { line: 1, expression: 'insn = 0x1000' },
      { line: 2, expression: 'next_pc(insn) = insn + 5' },
      { line: 4, expression: '1 = 1' },
      { line: 5, expression: '2 = 2' },
    ]);
    expect(scanCheckLines(text, 'other-check')).toEqual([{ line: 6, expression: '3 = 4' }]);
    const report = runCheckFile(text, buildContext(), { file: 'x.s' });
    expect(report).toEqual({ file: 'x.s', checks: 4, failures: [] });
  });

  it('names file and line of each failure; a file without checks fails', () => {
    const report = runCheckFile('# jitlink-check: 1 = 1\n\n# jitlink-check: data = 0x2001\n', buildContext(), { file: 'y.s' });
    expect(report.checks).toBe(2);
    expect(report.failures).toEqual([
      { file: 'y.s', line: 3, expression: 'data = 0x2001', lhs: 0x2000n, rhs: 0x2001n, message: "expression 'data = 0x2001' is false: 0x2000 != 0x2001" },
    ]);
    const empty = runCheckFile('nothing here', buildContext(), { file: 'z.s', checkName: 'my-check' });
    expect(empty.failures.map((f) => f.message)).toEqual(["no 'my-check:' lines found"]);
  });
});
