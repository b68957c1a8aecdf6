/**
 * Tells functions from data by their Itanium C++ ABI mangled names.
 *
 * An object file's undefined symbols carry no type (STT_NOTYPE), yet taking
 * the address of an external function from non-PIC code may need a jump stub
 * as its canonical address, which would be wrong for data. The mangling says
 * which it is: a function's <encoding> is its <name> followed by its
 * parameter types, a variable's is the <name> alone; special names (vtables,
 * typeinfo, guard variables) are data, thunks and TLS wrappers are functions.
 *
 * The answer is 'unknown' for anything this does not fully understand (C
 * names, local names, lambdas, expressions in template arguments), so callers
 * can stay conservative.
 */
export type MangledNameKind = 'function' | 'data' | 'unknown';

const BUILTIN_TYPES = 'vwbcahstijlmxynofdegz';
// D-prefixed builtins: char32_t, char16_t, char8_t, auto, decltype(auto), nullptr_t, decimal and half floats.
const D_BUILTIN_TYPES = 'isuacnfdeh';

export function classifyMangledName(symbolName: string): MangledNameKind {
  if (!symbolName.startsWith('_Z')) return 'unknown';
  // Clone suffixes (.isra.0, .cold, .constprop.1) keep the original's kind.
  const dot = symbolName.indexOf('.');
  const name = dot < 0 ? symbolName : symbolName.slice(0, dot);
  const p = new MangledNameParser(name, 2);
  const c0 = p.peek(0);
  const c1 = p.peek(1);
  if (c0 === 'T') {
    if ('VTIS'.includes(c1)) return p.advance(2) && p.type() && p.atEnd() ? 'data' : 'unknown';
    if ('HW'.includes(c1)) return 'function'; // TLS init function / wrapper
    if ('hvc'.includes(c1)) return 'function'; // thunks
    return 'unknown';
  }
  if (c0 === 'G') return c1 === 'V' || c1 === 'R' ? 'data' : 'unknown';
  if (!p.name()) return 'unknown';
  return p.atEnd() ? 'data' : 'function';
}

/** A recursive-descent skipper over the parts of the grammar real symbols use; every method returns false when lost. */
class MangledNameParser {
  constructor(
    private readonly s: string,
    private i: number,
  ) {}

  peek(k: number): string {
    return this.s.charAt(this.i + k);
  }
  advance(n: number): boolean {
    this.i += n;
    return this.i <= this.s.length;
  }
  atEnd(): boolean {
    return this.i === this.s.length;
  }
  private isDigit(c: string): boolean {
    return c >= '0' && c <= '9';
  }
  private isLower(c: string): boolean {
    return c >= 'a' && c <= 'z';
  }

  /** <source-name> ::= <length> <identifier> */
  private sourceName(): boolean {
    let n = 0;
    if (!this.isDigit(this.peek(0))) return false;
    while (this.isDigit(this.peek(0))) {
      n = n * 10 + (this.s.charCodeAt(this.i) - 48);
      this.i++;
      if (n > this.s.length) return false;
    }
    return n > 0 && this.advance(n);
  }

  /** <name>: nested, std::-qualified, substituted or unscoped, with template arguments. */
  name(): boolean {
    const c = this.peek(0);
    if (c === 'N') return this.nestedName();
    if (c === 'Z') return false; // local names
    if (c === 'S') {
      if (this.peek(1) === 't') {
        if (!this.advance(2) || !this.unqualifiedName()) return false;
      } else if (!this.substitution()) return false;
    } else if (!this.unqualifiedName()) return false;
    return this.peek(0) === 'I' ? this.templateArgs() : true;
  }

  private nestedName(): boolean {
    this.i++; // N
    while ('rVK'.includes(this.peek(0)) && this.peek(0) !== '') this.i++;
    if (this.peek(0) === 'R' || this.peek(0) === 'O') this.i++;
    let components = 0;
    for (;;) {
      const c = this.peek(0);
      if (c === '') return false;
      if (c === 'E') {
        this.i++;
        return components > 0;
      }
      let ok: boolean;
      if (c === 'S') ok = this.peek(1) === 't' ? this.advance(2) : this.substitution();
      else if (c === 'T') ok = this.templateParam();
      else if (c === 'I') ok = components > 0 && this.templateArgs();
      else if (c === 'M')
        ok = this.advance(1); // prefix of a closure's data-member context
      else ok = this.unqualifiedName();
      if (!ok) return false;
      components++;
    }
  }

  private unqualifiedName(): boolean {
    const c = this.peek(0);
    let ok: boolean;
    if (this.isDigit(c)) ok = this.sourceName();
    else if (c === 'L')
      ok = this.advance(1) && this.sourceName(); // internal linkage
    else if (c === 'C') ok = this.ctorName();
    else if (c === 'D') ok = '01245'.includes(this.peek(1)) && this.peek(1) !== '' && this.advance(2);
    else if (this.isLower(c)) ok = this.operatorName();
    else ok = false; // unnamed types, lambdas, decltype prefixes
    while (ok && this.peek(0) === 'B') ok = this.advance(1) && this.sourceName(); // ABI tags
    return ok;
  }

  private ctorName(): boolean {
    const k = this.peek(1);
    if (k === 'I')
      return '12'.includes(this.peek(2)) && this.peek(2) !== '' && this.advance(3) && this.type();
    return '12345'.includes(k) && k !== '' && this.advance(2);
  }

  private operatorName(): boolean {
    const a = this.peek(0);
    const b = this.peek(1);
    if (a === 'c' && b === 'v') return this.advance(2) && this.type();
    if (a === 'l' && b === 'i') return this.advance(2) && this.sourceName();
    if (a === 'v' && this.isDigit(b)) return this.advance(2) && this.sourceName();
    return this.isLower(b) && this.advance(2);
  }

  /** S_, S<seq-id>_, or the abbreviations Sa Sb Ss Si So Sd. */
  private substitution(): boolean {
    this.i++; // S
    const c = this.peek(0);
    if ('abdios'.includes(c) && c !== '') return this.advance(1);
    while (this.isDigit(this.peek(0)) || (this.peek(0) >= 'A' && this.peek(0) <= 'Z')) this.i++;
    return this.peek(0) === '_' && this.advance(1);
  }

  /** T_ or T<n>_ */
  private templateParam(): boolean {
    this.i++;
    while (this.isDigit(this.peek(0))) this.i++;
    return this.peek(0) === '_' && this.advance(1);
  }

  private templateArgs(): boolean {
    this.i++; // I
    while (this.peek(0) !== 'E') {
      if (this.peek(0) === '' || !this.templateArg()) return false;
    }
    this.i++;
    return true;
  }

  private templateArg(): boolean {
    const c = this.peek(0);
    if (c === 'J') {
      this.i++;
      while (this.peek(0) !== 'E') if (this.peek(0) === '' || !this.templateArg()) return false;
      this.i++;
      return true;
    }
    if (c === 'L') {
      if (this.peek(1) === '_') return false; // external names as arguments
      if (!this.advance(1) || !this.type()) return false;
      while (this.peek(0) !== 'E') {
        if (!/[0-9a-fn]/.test(this.peek(0))) return false;
        this.i++;
      }
      this.i++;
      return true;
    }
    if (c === 'X') return false; // expressions
    return this.type();
  }

  type(): boolean {
    const c = this.peek(0);
    if (c === '') return false;
    if (BUILTIN_TYPES.includes(c)) return this.advance(1);
    switch (c) {
      case 'u':
        return this.advance(1) && this.sourceName();
      case 'D': {
        const k = this.peek(1);
        if (k === 'p') return this.advance(2) && this.type();
        if (k !== '' && D_BUILTIN_TYPES.includes(k)) return this.advance(2);
        return false;
      }
      case 'r':
      case 'V':
      case 'K':
      case 'P':
      case 'R':
      case 'O':
      case 'C':
      case 'G':
        return this.advance(1) && this.type();
      case 'F': {
        this.i++;
        if (this.peek(0) === 'Y') this.i++;
        if (!this.type()) return false;
        while (this.peek(0) !== 'E') {
          if (this.peek(0) === '') return false;
          if ((this.peek(0) === 'R' || this.peek(0) === 'O') && this.peek(1) === 'E') this.i++;
          else if (!this.type()) return false;
        }
        this.i++;
        return true;
      }
      case 'A': {
        this.i++;
        while (this.isDigit(this.peek(0))) this.i++;
        return this.peek(0) === '_' && this.advance(1) && this.type();
      }
      case 'M':
        return this.advance(1) && this.type() && this.type();
      case 'T':
        return this.templateParam() && (this.peek(0) === 'I' ? this.templateArgs() : true);
      case 'S':
      case 'N':
        return this.name();
      default:
        return this.isDigit(c) ? this.name() : false;
    }
  }
}
