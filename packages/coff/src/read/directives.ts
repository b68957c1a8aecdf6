/**
 * The linker directives of a `.drectve` section (`/alternatename:`,
 * `/include:`, `/defaultlib:`, `-aligncomm:` ...), split as the MSVC linker
 * splits them: by spaces, with double quotes around arguments that hold spaces.
 */
export interface CoffDirectives {
  /** `/alternatename:from=to`: `from` resolves to `to` when nothing defines it. */
  alternateNames: Map<string, string>;
  /** `/include:sym`: symbols the object asks to be kept (and resolved). */
  includes: string[];
  /** `/defaultlib:lib`: libraries the object asks for; exposed to the caller, not searched. */
  defaultLibs: string[];
  /** `-aligncomm:sym,log2`: alignment of common symbols. */
  commonAlignments: Map<string, number>;
  /** Every directive as written, for tools. */
  all: string[];
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let any = false;
  for (const c of text) {
    if (c === '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\0')) {
      if (any) out.push(current);
      current = '';
      any = false;
    } else {
      current += c;
      any = true;
    }
  }
  if (any) out.push(current);
  return out;
}

export function parseDirectives(text: string): CoffDirectives {
  const directives: CoffDirectives = {
    alternateNames: new Map(),
    includes: [],
    defaultLibs: [],
    commonAlignments: new Map(),
    all: [],
  };
  // Some producers start the section with a UTF-8 byte-order mark.
  const body = text.startsWith('\xef\xbb\xbf') ? text.slice(3) : text;
  for (const token of tokenize(body)) {
    directives.all.push(token);
    if (!token.startsWith('/') && !token.startsWith('-')) continue;
    const colon = token.indexOf(':');
    const option = (colon < 0 ? token.slice(1) : token.slice(1, colon)).toLowerCase();
    const value = colon < 0 ? '' : token.slice(colon + 1);
    if (option === 'alternatename') {
      const eq = value.indexOf('=');
      if (eq > 0) directives.alternateNames.set(value.slice(0, eq), value.slice(eq + 1));
    } else if (option === 'include') directives.includes.push(value);
    else if (option === 'defaultlib') directives.defaultLibs.push(value);
    else if (option === 'aligncomm') {
      const comma = value.lastIndexOf(',');
      const log2 = Number(value.slice(comma + 1));
      if (comma > 0 && Number.isInteger(log2) && log2 >= 0 && log2 <= 15) directives.commonAlignments.set(value.slice(0, comma), log2);
    }
  }
  return directives;
}
