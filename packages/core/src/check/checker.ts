/**
 * Running check files: every line whose comment reads `<name>: <expr>`
 * (name `jitlink-check` unless told otherwise; comment leader `#`, `//`, `;`
 * or `@`) is a check `<lhs> = <rhs>`. A line ending in `\` continues on the
 * next check line, as in LLVM's test files.
 */
import { JITLinkError } from '../errors.js';
import { evaluateCheckExpression, formatCheckValue } from './evaluate.js';
import { parseCheckEquation } from './expression.js';
import type { CheckerContext } from './types.js';

export const DEFAULT_CHECK_NAME = 'jitlink-check';

export interface CheckLine {
  /** 1-based line of the check's first line. */
  line: number;
  expression: string;
}

/** One `jitlink-check:` line that did not hold, with both sides when they evaluated. */
export interface CheckFailure {
  file: string;
  line: number;
  expression: string;
  /** Evaluated sides, when both evaluated and differ. */
  lhs?: bigint;
  rhs?: bigint;
  message: string;
}

/** The outcome of one check file: how many checks ran and which failed. */
export interface CheckReport {
  file: string;
  checks: number;
  failures: CheckFailure[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Extracts the checks of a file, joining continued lines. */
export function scanCheckLines(text: string, checkName: string = DEFAULT_CHECK_NAME): CheckLine[] {
  const pattern = new RegExp(`^\\s*(?:#|//|;|@)\\s*${escapeRegExp(checkName)}:(.*)$`);
  const checks: CheckLine[] = [];
  let pending: CheckLine | undefined;
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const m = pattern.exec(lines[i]!);
    if (!m) continue;
    let body = m[1]!.trimEnd();
    const continues = body.endsWith('\\');
    if (continues) body = body.slice(0, -1);
    if (pending === undefined) pending = { line: i + 1, expression: body.trim() };
    else pending.expression += ' ' + body.trim();
    if (!continues) {
      checks.push(pending);
      pending = undefined;
    }
  }
  if (pending !== undefined) checks.push(pending);
  return checks;
}

/** Evaluates one `<lhs> = <rhs>` check; undefined when it holds. */
export function evaluateCheck(expression: string, ctx: CheckerContext): Omit<CheckFailure, 'file' | 'line'> | undefined {
  try {
    const { lhs, rhs } = parseCheckEquation(expression);
    const left = evaluateCheckExpression(lhs, ctx);
    const right = evaluateCheckExpression(rhs, ctx);
    if (left === right) return undefined;
    return {
      expression,
      lhs: left,
      rhs: right,
      message: `expression '${expression}' is false: ${formatCheckValue(left)} != ${formatCheckValue(right)}`,
    };
  } catch (e) {
    if (!(e instanceof JITLinkError)) throw e;
    return { expression, message: `error evaluating expression '${expression}': ${e.detail}` };
  }
}

/** Runs every check in `text` (the contents of check file `file`). A file without checks fails. */
export function runCheckFile(
  text: string,
  ctx: CheckerContext,
  options: { file: string; checkName?: string },
): CheckReport {
  const checkName = options.checkName ?? DEFAULT_CHECK_NAME;
  const lines = scanCheckLines(text, checkName);
  const failures: CheckFailure[] = [];
  for (const { line, expression } of lines) {
    const failure = evaluateCheck(expression, ctx);
    if (failure !== undefined) failures.push({ file: options.file, line, ...failure });
  }
  if (lines.length === 0) {
    failures.push({ file: options.file, line: 0, expression: '', message: `no '${checkName}:' lines found` });
  }
  return { file: options.file, checks: lines.length, failures };
}

/** `file:line: message`, one line per failure. */
export function formatCheckFailure(failure: CheckFailure): string {
  return failure.line > 0 ? `${failure.file}:${failure.line}: ${failure.message}` : `${failure.file}: ${failure.message}`;
}
