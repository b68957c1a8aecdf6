/**
 * The jitlink-check expression language (that of LLVM's RuntimeDyldChecker):
 *
 *   check   := expr '=' expr                  split at the first '='
 *   expr    := term (op term)*                op: + - & | << >>, all of one
 *                                             precedence, left to right
 *   term    := unary (('*' | '/') unary)*     multiply/divide bind tighter
 *   unary   := '~' unary | primary slice?     slice: '[' high ':' low ']'
 *   primary := number | symbol | '(' expr ')'
 *            | '*{' size '}' expr             load: the address is the whole
 *                                             rest of the expression
 *            | decode_operand(symbol [+ offset], index) | next_pc(symbol)
 *            | got_addr(file, symbol) | stub_addr(file, symbol [, kind])
 *            | stub_addr(file, section, symbol) | section_addr(file, section)
 *
 * LLVM's language has the first precedence level, loads, slices and the
 * built-ins; `*`, `/` and `~` are additions that never change the value of
 * an expression LLVM accepts.
 */
import { JITLinkError } from '../errors.js';

export type BinaryOperator = '+' | '-' | '&' | '|' | '<<' | '>>' | '*' | '/';

export type CheckExpression =
  | { kind: 'number'; value: bigint }
  | { kind: 'symbol'; name: string }
  | { kind: 'binary'; op: BinaryOperator; lhs: CheckExpression; rhs: CheckExpression }
  | { kind: 'not'; operand: CheckExpression }
  | { kind: 'slice'; operand: CheckExpression; high: number; low: number }
  | { kind: 'load'; size: number; address: CheckExpression }
  | { kind: 'decode_operand'; symbol: string; offset: bigint; index: number }
  | { kind: 'next_pc'; symbol: string }
  | { kind: 'got_addr'; file: string; symbol: string }
  /** `third` is a stub kind for (file, symbol, kind), or the symbol for (file, section, symbol). */
  | { kind: 'stub_addr'; file: string; symbol: string; third?: string }
  | { kind: 'section_addr'; file: string; section: string };

export interface CheckEquation {
  lhs: CheckExpression;
  rhs: CheckExpression;
}

const SYMBOL_START = /[A-Za-z_.$]/;
const SYMBOL_CHAR = /[0-9A-Za-z:_.$]/;
const BUILTINS = new Set(['decode_operand', 'next_pc', 'got_addr', 'stub_addr', 'section_addr']);

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  fail(message: string, at = this.pos): never {
    const near = at >= this.text.length ? 'end of expression' : `'${this.text.slice(at, at + 12)}'`;
    throw new JITLinkError('InvalidArgument', `${message} at column ${at + 1} (near ${near}) in '${this.text}'`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private peek(token: string): boolean {
    this.skipSpace();
    return this.text.startsWith(token, this.pos);
  }

  private accept(token: string): boolean {
    if (!this.peek(token)) return false;
    this.pos += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.accept(token)) this.fail(`expected '${token}'`);
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  expression(): CheckExpression {
    let lhs = this.term();
    for (;;) {
      const op = this.additiveOperator();
      if (op === undefined) return lhs;
      lhs = { kind: 'binary', op, lhs, rhs: this.term() };
    }
  }

  private additiveOperator(): BinaryOperator | undefined {
    this.skipSpace();
    for (const op of ['<<', '>>', '+', '-', '&', '|'] as const) {
      if (this.text.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    return undefined;
  }

  private term(): CheckExpression {
    let lhs = this.unary();
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      if (c !== '*' && c !== '/') return lhs;
      this.pos++;
      lhs = { kind: 'binary', op: c, lhs, rhs: this.unary() };
    }
  }

  private unary(): CheckExpression {
    if (this.accept('~')) return { kind: 'not', operand: this.unary() };
    const operand = this.primary();
    if (!this.accept('[')) return operand;
    const high = this.smallNumber('slice high bit', 63);
    this.expect(':');
    const low = this.smallNumber('slice low bit', 63);
    this.expect(']');
    if (low > high) this.fail(`slice [${high}:${low}] has its low bit above its high bit`);
    return { kind: 'slice', operand, high, low };
  }

  private primary(): CheckExpression {
    this.skipSpace();
    const start = this.pos;
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of expression');
    if (c === '(') {
      this.pos++;
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    if (c === '*') {
      this.pos++;
      this.expect('{');
      const size = this.smallNumber('load size', 8);
      if (size < 1) this.fail('load size must be 1 to 8 bytes', start);
      this.expect('}');
      return { kind: 'load', size, address: this.expression() };
    }
    if (/[0-9]/.test(c)) return { kind: 'number', value: this.number() };
    if (SYMBOL_START.test(c)) {
      const name = this.symbol();
      if (BUILTINS.has(name) && this.peek('(')) return this.builtin(name);
      return { kind: 'symbol', name };
    }
    return this.fail("expected '(', '*{', a number or a symbol");
  }

  private builtin(name: string): CheckExpression {
    this.expect('(');
    switch (name) {
      case 'decode_operand': {
        const symbol = this.requiredSymbol();
        let offset = 0n;
        if (this.accept('+')) offset = this.number();
        this.expect(',');
        const index = this.smallNumber('operand index', 255);
        this.expect(')');
        return { kind: 'decode_operand', symbol, offset, index };
      }
      case 'next_pc': {
        const symbol = this.requiredSymbol();
        this.expect(')');
        return { kind: 'next_pc', symbol };
      }
      case 'got_addr':
      case 'stub_addr': {
        const file = this.rawArgument(',');
        this.expect(',');
        const symbol = this.requiredSymbol();
        let third: string | undefined;
        if (this.accept(',')) third = this.rawArgument(')');
        this.expect(')');
        if (name === 'got_addr') {
          if (third !== undefined) this.fail('got_addr takes (file, symbol)');
          return { kind: 'got_addr', file, symbol };
        }
        return { kind: 'stub_addr', file, symbol, ...(third !== undefined ? { third } : {}) };
      }
      default: {
        const file = this.rawArgument(',');
        this.expect(',');
        const section = this.rawArgument(')');
        this.expect(')');
        return { kind: 'section_addr', file, section };
      }
    }
  }

  /** File and section names may hold any character but the terminator. */
  private rawArgument(terminator: string): string {
    this.skipSpace();
    const end = this.text.indexOf(terminator, this.pos);
    if (end < 0) this.fail(`expected '${terminator}'`);
    const value = this.text.slice(this.pos, end).trim();
    if (value === '') this.fail('expected a name');
    this.pos = end;
    return value;
  }

  private symbol(): string {
    const start = this.pos;
    while (this.pos < this.text.length && SYMBOL_CHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private requiredSymbol(): string {
    this.skipSpace();
    if (!SYMBOL_START.test(this.text[this.pos] ?? '')) this.fail('expected a symbol name');
    return this.symbol();
  }

  private number(): bigint {
    this.skipSpace();
    const m = /^(0x[0-9a-fA-F]+|[0-9]+)/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a number');
    const value = BigInt(m[1]!);
    if (value >= 1n << 64n) this.fail(`number ${m[1]} does not fit in 64 bits`);
    this.pos += m[1]!.length;
    if (/[0-9A-Za-z_$]/.test(this.text[this.pos] ?? '')) this.fail('malformed number');
    return value;
  }

  private smallNumber(what: string, max: number): number {
    const at = this.pos;
    const value = this.number();
    if (value > BigInt(max)) this.fail(`${what} ${value} is above ${max}`, at);
    return Number(value);
  }
}

/** Parses one expression (no '='). */
export function parseCheckExpression(text: string): CheckExpression {
  const parser = new Parser(text);
  const expr = parser.expression();
  if (!parser.atEnd()) parser.fail('unexpected token');
  return expr;
}

/** Parses `<lhs> = <rhs>`. */
export function parseCheckEquation(text: string): CheckEquation {
  const eq = text.indexOf('=');
  if (eq < 0) throw new JITLinkError('InvalidArgument', `expected '<lhs> = <rhs>' in '${text.trim()}'`);
  return { lhs: parseCheckExpression(text.slice(0, eq)), rhs: parseCheckExpression(text.slice(eq + 1)) };
}

/** Prints an expression back in the language (fully parenthesized binary operations). */
export function formatCheckExpression(expr: CheckExpression): string {
  switch (expr.kind) {
    case 'number':
      return '0x' + expr.value.toString(16);
    case 'symbol':
      return expr.name;
    case 'binary':
      return `(${formatCheckExpression(expr.lhs)} ${expr.op} ${formatCheckExpression(expr.rhs)})`;
    case 'not':
      return `~${formatCheckExpression(expr.operand)}`;
    case 'slice':
      return `${formatCheckExpression(expr.operand)}[${expr.high}:${expr.low}]`;
    case 'load':
      return `*{${expr.size}}(${formatCheckExpression(expr.address)})`;
    case 'decode_operand':
      return `decode_operand(${expr.symbol}${expr.offset !== 0n ? ` + ${expr.offset}` : ''}, ${expr.index})`;
    case 'next_pc':
      return `next_pc(${expr.symbol})`;
    case 'got_addr':
      return `got_addr(${expr.file}, ${expr.symbol})`;
    case 'stub_addr':
      return `stub_addr(${expr.file}, ${expr.symbol}${expr.third !== undefined ? `, ${expr.third}` : ''})`;
    case 'section_addr':
      return `section_addr(${expr.file}, ${expr.section})`;
  }
}
