/** Names from files in messages: decoded keeping every byte, escaped onto one printable line. */
import fc from 'fast-check';
import { JITLinkError, parseArchive } from '../src/index.js';
import { decodeName, escapeName } from '../src/internal/index.js';

const bytesOf = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));

const decode = (bytes: Uint8Array): string => decodeName(bytes, 0, bytes.length);

/** The bytes a decoded name came from: U+DC80-U+DCFF are the bytes decodeName kept, the rest is UTF-8. */
function encodeName(name: string): Uint8Array {
  const out: number[] = [];
  for (const c of name) {
    const code = c.charCodeAt(0);
    if (c.length === 1 && code >= 0xdc80 && code <= 0xdcff) out.push(code - 0xdc00);
    else out.push(...new TextEncoder().encode(c));
  }
  return Uint8Array.from(out);
}

/** One printable line: no control characters, line separators or lone surrogates. */
const ONE_PRINTABLE_LINE = /^[^\p{Cc}\p{Cs}\u2028\u2029]*$/u;

describe('decodeName', () => {
  test('ASCII and valid UTF-8 decode as text', () => {
    expect(decode(bytesOf('.text'))).toBe('.text');
    expect(decode(bytesOf('caf\u00e9_\u0192_\u{1f600}'))).toBe('caf\u00e9_\u0192_\u{1f600}');
    expect(decode(bytesOf('x'.repeat(20000)))).toBe('x'.repeat(20000));
    // A range within a larger buffer.
    expect(decodeName(bytesOf('ab\u00e9cd'), 1, 5)).toBe('b\u00e9c');
  });

  test('EF BB BF is U+FEFF of the name, not a byte-order mark to drop: names that differ by it stay different', () => {
    expect(decode(bytesOf([0xef, 0xbb, 0xbf], 'x'))).toBe('\ufeffx');
    expect(decode(bytesOf('a', [0xef, 0xbb, 0xbf], 'b'))).toBe('a\ufeffb');
    expect(decode(bytesOf('a', [0xef, 0xbb, 0xbf], 'b', [0xff]))).toBe('a\ufeffb\udcff');
    expect(decode(bytesOf('ab'))).not.toBe(decode(bytesOf('a', [0xef, 0xbb, 0xbf], 'b')));
  });

  test('bytes that are not UTF-8 are kept as U+DC80-U+DCFF, one per byte', () => {
    expect(decode(bytesOf('a', [0xff], 'b'))).toBe('a\udcffb');
    // Truncated sequence, overlong form, encoded surrogate, past U+10FFFF, stray continuation byte.
    expect(decode(bytesOf([0xe2, 0x82], 'x'))).toBe('\udce2\udc82x');
    expect(decode(bytesOf([0xc0, 0xaf]))).toBe('\udcc0\udcaf');
    expect(decode(bytesOf([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    expect(decode(bytesOf([0xf4, 0x90, 0x80, 0x80]))).toBe('\udcf4\udc90\udc80\udc80');
    expect(decode(bytesOf([0x80], '\u00e9'))).toBe('\udc80\u00e9');
  });

  test('property: decoding keeps every byte (encodeName inverts it), so different bytes give different names', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const name = decode(bytes);
        expect(encodeName(name)).toEqual(bytes);
        // Valid UTF-8 decodes exactly as the standard decoder does.
        let standard: string | undefined;
        try {
          standard = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          standard = undefined;
        }
        if (standard !== undefined) expect(name).toBe(standard);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('escapeName', () => {
  test('control characters, line separators and kept bytes become escapes; printable text stays', () => {
    expect(escapeName('plain .text')).toBe('plain .text');
    expect(escapeName('caf\u00e9 \u{1f600}')).toBe('caf\u00e9 \u{1f600}');
    expect(escapeName('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(escapeName('\x1b[31mred\x1b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(escapeName('\0\x7f')).toBe('\\x00\\x7f');
    expect(escapeName(decode(bytesOf('f', [0xff, 0xc0], 'g')))).toBe('f\\xff\\xc0g');
    expect(escapeName('\u0085\u2028\u2029')).toBe('\\u0085\\u2028\\u2029');
    expect(escapeName('\ud800x\udc00')).toBe('\\ud800x\\udc00');
    expect(escapeName('back\\slash')).toBe('back\\slash');
  });

  test('property: any decoded name escapes to one printable line, and escaping again changes nothing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 16 }), (bytes, text) => {
        for (const s of [decode(bytes), text]) {
          const escaped = escapeName(s);
          expect(escaped).toMatch(ONE_PRINTABLE_LINE);
          expect(escapeName(escaped)).toBe(escaped);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('JITLinkError', () => {
  test('escapes file, section and detail in its message and detail; file and section keep their values', () => {
    const section = decode(bytesOf('.te\nxt', [0xff]));
    const err = new JITLinkError('MalformedObject', `symbol ${decode(bytesOf('f\x1b[2J', [0xfe]))} is bad`, {
      file: 'dir/a\nb.o',
      section,
      offset: 0x40,
    });
    expect(err.message).toBe('dir/a\\nb.o, section .te\\nxt\\xff, offset 0x40: symbol f\\x1b[2J\\xfe is bad');
    expect(err.detail).toBe('symbol f\\x1b[2J\\xfe is bad');
    expect(err.file).toBe('dir/a\nb.o');
    expect(err.section).toBe(section);
  });
});

// ---- Archives whose member and symbol names hold such bytes -------------------

const latin1 = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** A 60-byte member header: `name` as raw bytes (space-padded to 16), then the size and `terminator`. */
function header(name: number[], size: number, terminator = '`\n'): number[] {
  const padded = [...name, ...Array<number>(16).fill(0x20)].slice(0, 16);
  return [...padded, ...latin1(`${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'644'.padEnd(8)}${String(size).padEnd(10)}${terminator}`)];
}

function archive(...parts: number[][]): Uint8Array {
  return Uint8Array.from([...latin1('!<arch>\n'), ...parts.flat()]);
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return (e as JITLinkError).message;
  }
  throw new Error('expected a JITLinkError');
}

describe('archive messages quote member and symbol names on one line', () => {
  const name = [0x61, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0x2f]; // "a\n\x1b[31m\xff/"

  test('a member header with a bad terminator', () => {
    const bytes = archive(header(name, 2, 'x\n'), [0, 0]);
    expect(messageOf(() => parseArchive(bytes, 'lib\n.a'))).toBe(
      'lib\\n.a, offset 0x8: member "a\\n\\x1b[31m\\xff/": bad header terminator (expected "`\\n")',
    );
  });

  test('a member whose size runs past the end', () => {
    const bytes = archive(header(name, 99), [0, 0]);
    expect(messageOf(() => parseArchive(bytes, 'lib.a'))).toBe(
      'lib.a, offset 0x8: member "a\\n\\x1b[31m\\xff/": size 99 extends past the end of the archive (2 bytes left)',
    );
  });

  test('a GNU long name and a symbol index entry', () => {
    // "//" table with one long name holding an escape character and a byte that is not UTF-8; a "/" index
    // naming a symbol "s\r\xfe" at an offset where no member starts.
    const longName = [...latin1('long_member_name\x1b_'), 0xc3, ...latin1('/\n'), 0x0a]; // padded to an even size
    const index = [0, 0, 0, 1, 0, 0, 0, 9, 0x73, 0x0d, 0xfe, 0];
    const bytes = archive(header(latin1('/'), index.length), index, header(latin1('//'), longName.length), longName, header(latin1('/0'), 2), [0, 0]);
    expect(messageOf(() => parseArchive(bytes, 'lib.a'))).toBe(
      'lib.a, offset 0x48: symbol index "/": symbol "s\\r\\xfe" refers to offset 0x9, which is not the start of a member',
    );
    // Without the index the member is read, its name kept byte for byte and escaped where a message quotes it.
    const noIndex = archive(header(latin1('//'), longName.length), longName, header(latin1('/0'), 2), [0, 0]);
    const member = parseArchive(noIndex, 'lib.a').members[0]!;
    expect(encodeName(member.name)).toEqual(Uint8Array.from(longName.slice(0, -3)));
    expect(messageOf(() => member.read(1, 2))).toBe('cannot read 2 bytes at 1 of member "long_member_name\\x1b_\\xc3" (2 bytes)');
  });

  test('a BSD long name', () => {
    const longName = [0x62, 0x09, 0x80, 0x2e, 0x6f];
    const bytes = archive(header(latin1('#1/5'), 8), longName, [0x30, 0x30, 0x30]);
    const member = parseArchive(bytes, 'lib.a').members[0]!;
    expect(escapeName(member.name)).toBe('b\\t\\x80.o');
  });

  test('property: archives with arbitrary name bytes fail, if they do, with one-line messages', () => {
    const nameBytes = fc.uint8Array({ minLength: 1, maxLength: 15 }).filter((b) => !b.includes(0x20) && b[0] !== 0x2f && b[0] !== 0x23);
    fc.assert(
      fc.property(
        nameBytes,
        fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => b.map((x) => x || 1)),
        fc.constantFrom('terminator', 'size', 'index', 'read'),
        (memberName, symbol, defect) => {
          const gnuName = [...memberName, 0x2f];
          let bytes: Uint8Array;
          if (defect === 'terminator') bytes = archive(header(gnuName, 2, '!\n'), [0, 0]);
          else if (defect === 'size') bytes = archive(header(gnuName, 1000), [0, 0]);
          else {
            // One symbol, at offset 9 (no member starts there) or at the member's header.
            const size = 8 + symbol.length + 1;
            const memberAt = defect === 'index' ? 9 : 8 + 60 + size + (size & 1);
            const index = [0, 0, 0, 1, memberAt >>> 24, (memberAt >>> 16) & 0xff, (memberAt >>> 8) & 0xff, memberAt & 0xff, ...symbol, 0];
            bytes = archive(header(latin1('/'), size), index, size & 1 ? [0x0a] : [], header(gnuName, 2), [0, 0]);
          }
          let message: string;
          try {
            const parsed = parseArchive(bytes, 'fuzz.a');
            expect(defect).toBe('read');
            message = messageOf(() => parsed.members[0]!.read(0, 3));
          } catch (e) {
            expect(e).toBeInstanceOf(JITLinkError);
            message = (e as JITLinkError).message;
          }
          expect(message).toMatch(ONE_PRINTABLE_LINE);
          expect(message).toContain(escapeName(decode(Uint8Array.from(defect === 'index' ? symbol : memberName))));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
