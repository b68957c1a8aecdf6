/**
 * Names read from files (section, symbol and archive-member names) are bytes
 * that the file chose: they may hold newlines, terminal escapes or bytes that
 * are not UTF-8. Format readers decode them with `decodeName`, which keeps
 * every byte; `escapeName` shows such text on one printable line, and
 * JITLinkError applies it to every message it formats, so no reader has to.
 */

// Bytes that are not part of valid UTF-8 decode to U+DC80-U+DCFF (the
// "surrogateescape" of Python and others): a lone low surrogate never results
// from valid UTF-8, so no two byte strings decode to the same name and the
// byte is known again when the name is printed.
const ESCAPED_BYTE_BASE = 0xdc00;

// ignoreBOM: a name's bytes EF BB BF are its own (U+FEFF), not a byte-order mark to drop.
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes bytes[start, end) as a name: String.fromCharCode for ASCII, which is
 * nearly every symbol and section name; UTF-8 otherwise, with each byte that
 * is not part of a valid UTF-8 sequence kept as U+DC00 + byte (printed `\xNN`
 * by escapeName).
 */
export function decodeName(bytes: Uint8Array, start: number, end: number): string {
  let i = start;
  for (; i < end; i++) if (bytes[i]! >= 0x80) break;
  if (i === end) return asciiText(bytes, start, end);
  const rest = bytes.subarray(i, end);
  let tail: string;
  try {
    tail = utf8Strict.decode(rest);
  } catch {
    tail = decodeWithByteEscapes(rest);
  }
  return asciiText(bytes, start, i) + tail;
}

function asciiText(bytes: Uint8Array, start: number, end: number): string {
  // One call builds the string flat; appending a character at a time allocated a string per character.
  if (end - start <= 8192) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let s = '';
  for (let at = start; at < end; at += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(at, Math.min(end, at + 8192)) as unknown as number[]);
  }
  return s;
}

/**
 * bytes[start, end) as a string if every byte is ASCII, else undefined: one
 * native call for a whole table of names. Valid UTF-8 decodes to a character
 * per byte only if every byte is ASCII, so the length tells (faster than a
 * Latin-1 decode and a search for other characters).
 */
export function asciiTableText(bytes: Uint8Array, start: number, end: number): string | undefined {
  let text: string;
  try {
    text = utf8Strict.decode(bytes.subarray(start, end));
  } catch {
    return undefined; // not UTF-8, so not ASCII
  }
  return text.length === end - start ? text : undefined;
}

/** UTF-8 decoding (RFC 3629: no overlong forms, surrogates or values past U+10FFFF) that keeps invalid bytes. */
function decodeWithByteEscapes(bytes: Uint8Array): string {
  const units: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i++;
      continue;
    }
    // Sequence length and the allowed range of its second byte (which excludes overlong forms,
    // surrogates and values past U+10FFFF).
    let length = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    }
    let valid = length > 0 && i + length <= bytes.length;
    for (let k = 1; valid && k < length; k++) {
      const c = bytes[i + k]!;
      valid = k === 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf;
    }
    if (!valid) {
      units.push(ESCAPED_BYTE_BASE + b);
      i++;
      continue;
    }
    let cp = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    i += length;
  }
  let s = '';
  for (let at = 0; at < units.length; at += 8192) s += String.fromCharCode.apply(null, units.slice(at, at + 8192));
  return s;
}

// Control characters (C0, DEL, C1), the line and paragraph separators, and
// lone surrogates (the `u` flag matches a valid pair as one character, never as Cs).
const UNPRINTABLE = /[\p{Cc}\p{Cs}\u2028\u2029]/gu;

const NAMED_ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function escapeCharacter(c: string): string {
  const named = NAMED_ESCAPES[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  // C0 controls and DEL as bytes; bytes decodeName could not decode as bytes too.
  if (code < 0x80) return `\\x${hex2(code)}`;
  if (code >= ESCAPED_BYTE_BASE + 0x80 && code <= ESCAPED_BYTE_BASE + 0xff) return `\\x${hex2(code - ESCAPED_BYTE_BASE)}`;
  // Valid characters (C1 controls, U+2028/9) and other lone surrogates by code point.
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` on one printable line: tab, newline and carriage return as `\t`,
 * `\n`, `\r`; other control characters below 0x80 and bytes that are not
 * UTF-8 (as decodeName keeps them) as `\xNN`; C1 controls, U+2028/U+2029
 * and other lone surrogates as `\uNNNN`. Printable text, including non-ASCII
 * UTF-8, is unchanged, backslashes too (messages quote names; escaping them
 * would change every message that mentions one), so applying it twice
 * gives the same text.
 */
export function escapeName(text: string): string {
  UNPRINTABLE.lastIndex = 0;
  if (!UNPRINTABLE.test(text)) return text;
  return text.replace(UNPRINTABLE, escapeCharacter);
}
