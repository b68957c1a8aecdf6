/**
 * Structure-aware mutations. A mutation is a plain tuple of integers
 * [op, a, b] interpreted against a seed's layout (the offsets and widths of its
 * header fields and table entries), so fast-check can generate and shrink it
 * and a campaign can record it; applying one never fails.
 */

/** Values that break parsers: zero, one-off sizes, sign bits, 2^36 (a huge .bss), all ones. */
const INTERESTING = [0n, 1n, 2n, 7n, 8n, 0x10n, 0x40n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn,
  0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 1n << 32n, 1n << 36n, (1n << 53n) - 1n, 1n << 53n, 1n << 63n, (1n << 64n) - 1n];

/** A field: `width` bytes at `at`. */
export function field(at, width) {
  return { at, width };
}

/** Writes `value` (a BigInt, truncated) into `width` bytes at `at`, little-endian unless `be`. */
export function writeInt(bytes, at, width, value, be = false) {
  let v = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width; i++) {
    const pos = be ? at + width - 1 - i : at + i;
    if (pos >= 0 && pos < bytes.length) bytes[pos] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export function readInt(bytes, at, width, be = false) {
  let v = 0n;
  for (let i = 0; i < width; i++) {
    const pos = be ? at + i : at + width - 1 - i;
    v = (v << 8n) | BigInt(pos < bytes.length ? bytes[pos] : 0);
  }
  return v;
}

/**
 * The value mutation `b` gives a field holding `old`: an interesting constant,
 * the old value nudged by a small amount, or the file size plus or minus a little.
 */
export function valueFor(b, old, fileSize) {
  const kind = b % 4;
  const n = Math.floor(b / 4);
  if (kind === 0) return INTERESTING[n % INTERESTING.length];
  if (kind === 1) return old + BigInt((n % 33) - 16);
  if (kind === 2) return BigInt(fileSize) + BigInt((n % 17) - 8);
  return old ^ (1n << BigInt(n % 64));
}

/** Sets an ASCII decimal field (archive member headers): a number, a sign, junk or blanks, space padded. */
function writeAscii(bytes, f, b) {
  const old = new TextDecoder().decode(bytes.subarray(f.at, f.at + f.width)).trim();
  const n = Math.floor(b / 6);
  const choices = [
    String(valueFor(n, BigInt(/^\d+$/.test(old) ? old : '0'), bytes.length)),
    '-' + String(n % 100),
    '',
    '9'.repeat(f.width),
    String(n % 10) + 'x',
    ' ' + String(n % 1000),
  ];
  const text = (choices[b % 6] ?? '').slice(0, f.width).padEnd(f.width, ' ');
  for (let i = 0; i < f.width && f.at + i < bytes.length; i++) bytes[f.at + i] = text.charCodeAt(i) & 0xff;
}

/**
 * Applies `mutations` to a copy of `seed.bytes`. `seed.fields` lists the
 * structure's integer fields (the targets build it from a parse of the seed);
 * ops: 0 set a field, 1 set a byte of a string table, 2 flip a bit anywhere,
 * 3 truncate, 4 copy one field's value into another.
 */
export function applyMutations(seed, mutations) {
  let bytes = seed.bytes.slice();
  const fields = seed.fields;
  const strings = seed.strings;
  for (const [op, a, b] of mutations) {
    switch (op % 5) {
      case 0: {
        const f = fields[a % fields.length];
        if (f.ascii) writeAscii(bytes, f, b);
        else writeInt(bytes, f.at, f.width, valueFor(b, readInt(bytes, f.at, f.width, f.be), bytes.length), f.be);
        break;
      }
      case 1: {
        if (strings.length === 0 || bytes.length === 0) break;
        const [lo, hi] = strings[a % strings.length];
        const at = lo + (b % Math.max(1, hi - lo));
        if (at < bytes.length) bytes[at] = [0, 0x2f, 0x0a, 0x20, 0x41, 0xff, 0x80][Math.floor(b / 7) % 7] ?? 0;
        break;
      }
      case 2:
        if (bytes.length > 0) bytes[a % bytes.length] ^= 1 << (b % 8);
        break;
      case 3:
        bytes = bytes.slice(0, a % (bytes.length + 1));
        break;
      case 4: {
        const from = fields[a % fields.length];
        const to = fields[b % fields.length];
        writeInt(bytes, to.at, to.width, readInt(bytes, from.at, from.width, from.be), to.be);
        break;
      }
    }
  }
  return bytes;
}
