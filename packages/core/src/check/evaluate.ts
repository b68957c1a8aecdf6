/** Evaluation of jitlink-check expressions: unsigned 64-bit arithmetic over a CheckerContext. */
import { JITLinkError } from '../errors.js';
import type { CheckExpression } from './expression.js';
import type { CheckerContext, DecodedInstruction } from './types.js';

const MASK64 = (1n << 64n) - 1n;
/** Longest instruction any supported architecture encodes (x86-64: 15 bytes). */
const MAX_INSTRUCTION_BYTES = 15;

export function formatCheckValue(value: bigint): string {
  return '0x' + (value & MASK64).toString(16);
}

function missing(detail: string): never {
  throw new JITLinkError('SymbolsNotFound', detail);
}

function symbolAddress(ctx: CheckerContext, name: string): bigint {
  const address = ctx.symbolAddress(name);
  if (address !== undefined) return address & MASK64;
  const hint = /^\.?L/.test(name) ? ' (assembler-local labels are not in the symbol table; use a label without the L prefix)' : '';
  return missing(`no known address for symbol '${name}'${hint}`);
}

/** Reads `size` bytes of linked memory at `address` as an unsigned integer. */
export function readLinkedMemory(ctx: CheckerContext, address: bigint, size: number): bigint {
  const bytes = ctx.contentAt(address & MASK64);
  if (bytes === undefined || bytes.length < size) {
    throw new JITLinkError(
      'InvalidArgument',
      `cannot read ${size} byte${size === 1 ? '' : 's'} at ${formatCheckValue(address)}: ` +
        (bytes === undefined ? 'no linked block holds that address' : `only ${bytes.length} bytes remain in its block`),
    );
  }
  let value = 0n;
  for (let i = 0; i < size; i++) {
    const byte = BigInt(bytes[ctx.endianness === 'little' ? size - 1 - i : i]!);
    value = (value << 8n) | byte;
  }
  return value;
}

/** Decodes the instruction at `symbol + offset`. */
export function decodeInstructionAtSymbol(ctx: CheckerContext, symbol: string, offset: bigint): { address: bigint; inst: DecodedInstruction } {
  const address = (symbolAddress(ctx, symbol) + offset) & MASK64;
  if (ctx.decoder === undefined) {
    throw new JITLinkError('UnsupportedFeature', `cannot decode '${symbol}': no instruction decoder for this target`);
  }
  const bytes = ctx.contentAt(address);
  if (bytes === undefined || bytes.length === 0) {
    throw new JITLinkError('InvalidArgument', `cannot decode '${symbol}': no linked content at ${formatCheckValue(address)}`);
  }
  const inst = ctx.decoder.decode(bytes.subarray(0, MAX_INSTRUCTION_BYTES), address);
  return { address, inst };
}

export function evaluateCheckExpression(expr: CheckExpression, ctx: CheckerContext): bigint {
  switch (expr.kind) {
    case 'number':
      return expr.value;
    case 'symbol':
      return symbolAddress(ctx, expr.name);
    case 'binary': {
      const a = evaluateCheckExpression(expr.lhs, ctx);
      const b = evaluateCheckExpression(expr.rhs, ctx);
      switch (expr.op) {
        case '+':
          return (a + b) & MASK64;
        case '-':
          return (a - b) & MASK64;
        case '&':
          return a & b;
        case '|':
          return a | b;
        case '<<':
          return b >= 64n ? 0n : (a << b) & MASK64;
        case '>>':
          return b >= 64n ? 0n : a >> b;
        case '*':
          return (a * b) & MASK64;
        case '/':
          if (b === 0n) throw new JITLinkError('InvalidArgument', 'division by zero');
          return a / b;
      }
      break;
    }
    case 'not':
      return ~evaluateCheckExpression(expr.operand, ctx) & MASK64;
    case 'slice': {
      const value = evaluateCheckExpression(expr.operand, ctx);
      const width = BigInt(expr.high - expr.low + 1);
      return (value >> BigInt(expr.low)) & ((1n << width) - 1n);
    }
    case 'load':
      return readLinkedMemory(ctx, evaluateCheckExpression(expr.address, ctx), expr.size);
    case 'decode_operand': {
      const { inst } = decodeInstructionAtSymbol(ctx, expr.symbol, expr.offset);
      const where = `'${expr.symbol}${expr.offset !== 0n ? ` + ${expr.offset}` : ''}'`;
      if (expr.index >= inst.operands.length) {
        throw new JITLinkError(
          'InvalidArgument',
          `invalid operand index ${expr.index} for instruction ${inst.mnemonic} at ${where}: it has ${inst.operands.length} operands`,
        );
      }
      const operand = inst.operands[expr.index]!;
      if (typeof operand !== 'bigint') {
        throw new JITLinkError(
          'InvalidArgument',
          `operand ${expr.index} of instruction ${inst.mnemonic} at ${where} is ${operand.register ? `register %${operand.register}` : 'an absent register'}, not an immediate`,
        );
      }
      return operand & MASK64;
    }
    case 'next_pc': {
      const { address, inst } = decodeInstructionAtSymbol(ctx, expr.symbol, 0n);
      return (address + BigInt(inst.size) + (ctx.nextPCBias ?? 0n)) & MASK64;
    }
    case 'got_addr': {
      const address = ctx.gotEntryAddress(expr.file, expr.symbol);
      if (address === undefined) missing(`no GOT entry for '${expr.symbol}' in '${expr.file}'`);
      return address & MASK64;
    }
    case 'stub_addr': {
      let target = expr.symbol;
      let kind = expr.third;
      // The three-argument form is (file, section, symbol) when the middle argument names a section.
      if (expr.third !== undefined && ctx.sectionAddress(expr.file, expr.symbol) !== undefined) {
        target = expr.third;
        kind = undefined;
      }
      const address = ctx.stubAddress(expr.file, target, kind);
      if (address === undefined) missing(`no stub for '${target}' in '${expr.file}'${kind !== undefined ? ` of kind '${kind}'` : ''}`);
      return address & MASK64;
    }
    case 'section_addr': {
      const address = ctx.sectionAddress(expr.file, expr.section);
      if (address === undefined) missing(`no section '${expr.section}' in '${expr.file}'`);
      return address & MASK64;
    }
  }
  throw new JITLinkError('InvalidArgument', 'unknown expression');
}
