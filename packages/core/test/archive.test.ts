import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianLibrary, have, needs, tool, prng } from '@jitlink/test-support';
import { Archive, JITLinkError, parseArchive, type ArchiveSource } from '../src/index.js';

const ar = tool('ar', 'binutils');
const nm = tool('nm', 'binutils');
const llvmAr = tool('llvm-ar-19', 'llvm-19');
const llvmNm = tool('llvm-nm-19', 'llvm-19');
const libz = debianLibrary('libz.a');

function run(tool: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Buffer {
  const result = spawnSync(tool, args, { cwd: options.cwd, env: options.env, maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return result.stdout;
}

function lines(output: Buffer): string[] {
  return output
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/** (symbol, member) pairs from `nm --print-armap` or `llvm-nm --print-armap`, in index order. */
function armap(tool: string, archivePath: string): [string, string][] {
  const result = spawnSync(tool, ['--print-armap', archivePath], { maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  const out = result.stdout.toString('utf8').split('\n');
  const start = out.findIndex((line) => line === 'Archive index:' || line === 'Archive map');
  expect(start).toBeGreaterThanOrEqual(0);
  const pairs: [string, string][] = [];
  for (let i = start + 1; i < out.length && out[i] !== ''; i++) {
    const match = /^(.*) in (.*)$/.exec(out[i]!);
    if (match) pairs.push([match[1]!, match[2]!]);
  }
  return pairs;
}

function expectIndexMatches(archive: Archive, pairs: [string, string][]): void {
  expect(pairs.length).toBeGreaterThan(0);
  const firstDefinition = new Map<string, string>();
  for (const [symbol, member] of pairs) if (!firstDefinition.has(symbol)) firstDefinition.set(symbol, member);
  expect(archive.hasSymbolIndex).toBe(true);
  expect(archive.symbolIndexSource).toBe('archive');
  expect(archive.symbolIndex.size).toBe(firstDefinition.size);
  for (const [symbol, member] of firstDefinition) {
    expect([symbol, archive.findMemberDefining(symbol)?.name]).toEqual([symbol, member]);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function expectJITLinkError(
  fn: () => unknown,
  code: string,
  file: string,
  offset: number,
  message?: RegExp,
): JITLinkError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(JITLinkError);
  const err = caught as JITLinkError;
  expect(err.code).toBe(code);
  expect(err.file).toBe(file);
  expect(err.offset).toBe(offset);
  expect(err.message).toContain(file);
  expect(err.message).toContain(`0x${offset.toString(16)}`);
  if (message) expect(err.message).toMatch(message);
  return err;
}

// ---- Hand-built archives -------------------------------------------------

const encoder = new TextEncoder();
const MAGIC = encoder.encode('!<arch>\n');

function field(text: string, width: number): string {
  return text.padEnd(width, ' ').slice(0, width);
}

/** One member: a 60-byte header, the contents and the pad byte for odd sizes. */
function member(
  name: string,
  data: Uint8Array,
  overrides: { size?: string; fmag?: string } = {},
): Uint8Array {
  const header =
    field(name, 16) +
    field('0', 12) +
    field('0', 6) +
    field('0', 6) +
    field('644', 8) +
    field(overrides.size ?? String(data.length), 10) +
    (overrides.fmag ?? '`\n');
  const parts = [encoder.encode(header), data];
  if (data.length % 2 === 1) parts.push(encoder.encode('\n'));
  return concat(parts);
}

function be32(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, false));
  return out;
}

function le32(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return out;
}


function cstrings(names: string[]): Uint8Array {
  return encoder.encode(names.map((n) => `${n}\0`).join(''));
}

interface GnuSpec {
  members: { name: string; data: Uint8Array; symbols: string[] }[];
  /** Replace the offset of symbol entry `i` in the index. */
  patchIndexOffset?: { entry: number; value: number };
  indexCount?: number;
}

/** A GNU archive with a "/" index and a "//" table for names longer than 15 bytes. */
function gnuArchive(spec: GnuSpec): Uint8Array {
  const symbols = spec.members.flatMap((m) => m.symbols);
  let table = '';
  const headerNames = spec.members.map((m) => {
    if (m.name.length < 16) return `${m.name}/`;
    const ref = `/${table.length}`;
    table += `${m.name}/\n`;
    return ref;
  });
  const tableMember = table ? member('//', encoder.encode(table)) : new Uint8Array();
  const indexSize = 4 + symbols.length * 4 + cstrings(symbols).length;
  const indexMemberSize = 60 + indexSize + (indexSize % 2);
  let at = MAGIC.length + indexMemberSize + tableMember.length;
  const memberOffsets: number[] = [];
  const members = spec.members.map((m, i) => {
    memberOffsets.push(at);
    const bytes = member(headerNames[i]!, m.data);
    at += bytes.length;
    return bytes;
  });
  const offsets = spec.members.flatMap((m, i) => m.symbols.map(() => memberOffsets[i]!));
  if (spec.patchIndexOffset) offsets[spec.patchIndexOffset.entry] = spec.patchIndexOffset.value;
  const index = member(
    '/',
    concat([be32([spec.indexCount ?? symbols.length]), be32(offsets), cstrings(symbols)]),
  );
  return concat([MAGIC, index, tableMember, ...members]);
}

/** A BSD archive with a "__.SYMDEF" index and "#1/<len>" long names. */
function bsdArchive(
  members: { name: string; data: Uint8Array; symbols: string[] }[],
  patch: { strx?: number; rangesBytes?: number } = {},
): Uint8Array {
  const symbols = members.flatMap((m) => m.symbols);
  const strings = cstrings(symbols);
  const symdefName = encoder.encode('__.SYMDEF\0\0\0');
  const indexBody = 4 + symbols.length * 8 + 4 + strings.length;
  const indexMemberSize = 60 + symdefName.length + indexBody + ((symdefName.length + indexBody) % 2);
  let at = MAGIC.length + indexMemberSize;
  const offsets: number[] = [];
  const encoded = members.map((m) => {
    offsets.push(at);
    const name = encoder.encode(m.name);
    const bytes = member(`#1/${name.length}`, concat([name, m.data]));
    at += bytes.length;
    return bytes;
  });
  const pairs: number[] = [];
  let strx = 0;
  members.forEach((m, i) =>
    m.symbols.forEach((s) => {
      pairs.push(pairs.length === 0 && patch.strx !== undefined ? patch.strx : strx, offsets[i]!);
      strx += encoder.encode(s).length + 1;
    }),
  );
  const body = concat([
    le32([patch.rangesBytes ?? pairs.length * 4]),
    le32(pairs),
    le32([strings.length]),
    strings,
  ]);
  return concat([MAGIC, member('#1/12', concat([symdefName, body])), ...encoded]);
}

const smallMembers = [
  { name: 'short.o', data: encoder.encode('odd-sized'), symbols: ['alpha', 'beta'] },
  { name: 'a_member_with_a_long_name.o', data: encoder.encode('even!!'), symbols: ['gamma'] },
  { name: 'x.o', data: encoder.encode('x'), symbols: ['beta', 'delta'] },
];

describe('parseArchive on hand-built archives', () => {
  test('GNU: long names, odd-size padding, symbol index with first definition winning', () => {
    const bytes = gnuArchive({ members: smallMembers });
    const archive = parseArchive(bytes, 'small.a');
    expect(archive.format).toBe('gnu');
    expect(archive.members.map((m) => m.name)).toEqual(['short.o', 'a_member_with_a_long_name.o', 'x.o']);
    expect(archive.members.map((m) => new TextDecoder().decode(m.data))).toEqual([
      'odd-sized',
      'even!!',
      'x',
    ]);
    for (const m of archive.members) {
      expect(m.data.buffer).toBe(bytes.buffer);
      expect(m.data.byteOffset).toBe(m.offset);
      expect(m.offset).toBe(m.headerOffset + 60);
    }
    expect(archive.findMemberDefining('alpha')?.name).toBe('short.o');
    expect(archive.findMemberDefining('beta')?.name).toBe('short.o');
    expect(archive.findMemberDefining('gamma')?.name).toBe('a_member_with_a_long_name.o');
    expect(archive.findMemberDefining('delta')?.name).toBe('x.o');
    expect(archive.findMemberDefining('missing')).toBeUndefined();
    expect(archive.symbolIndex.size).toBe(4);
  });

  test('BSD: #1/ names, __.SYMDEF index', () => {
    const bytes = bsdArchive(smallMembers);
    const archive = parseArchive(bytes, 'small-bsd.a');
    expect(archive.format).toBe('bsd');
    expect(archive.members.map((m) => m.name)).toEqual(['short.o', 'a_member_with_a_long_name.o', 'x.o']);
    expect(archive.members.map((m) => new TextDecoder().decode(m.data))).toEqual([
      'odd-sized',
      'even!!',
      'x',
    ]);
    expect(archive.findMemberDefining('gamma')?.name).toBe('a_member_with_a_long_name.o');
    expect(archive.findMemberDefining('beta')?.name).toBe('short.o');
  });

  test('an archive without an index has none until buildSymbolIndex is called', () => {
    const bytes = concat([
      MAGIC,
      member('one.o/', encoder.encode('111')),
      member('two.o/', encoder.encode('2222')),
    ]);
    const archive = parseArchive(bytes, 'noindex.a');
    expect(archive.members.map((m) => m.name)).toEqual(['one.o', 'two.o']);
    expect(archive.hasSymbolIndex).toBe(false);
    expect(archive.symbolIndexSource).toBe('none');
    expect(archive.findMemberDefining('f')).toBeUndefined();
    archive.buildSymbolIndex((m) => (m.name === 'one.o' ? ['f', 'g'] : ['g', 'h']));
    expect(archive.hasSymbolIndex).toBe(true);
    expect(archive.symbolIndexSource).toBe('built');
    expect(archive.findMemberDefining('g')?.name).toBe('one.o');
    expect(archive.findMemberDefining('h')?.name).toBe('two.o');
  });

  test('an empty archive has no members', () => {
    const archive = parseArchive(MAGIC, 'empty.a');
    expect(archive.members).toEqual([]);
    expect(archive.hasSymbolIndex).toBe(false);
  });

  test('a file without the archive magic is rejected as an unsupported format', () => {
    expectJITLinkError(
      () => parseArchive(encoder.encode('\x7fELF....'), 'x.o'),
      'UnsupportedFormat',
      'x.o',
      0,
      /not a static archive/,
    );
  });
});

describe('malformed archives give JITLinkError naming file and offset', () => {
  test('truncated member header', () => {
    const bytes = concat([MAGIC, member('a.o/', encoder.encode('ab'))]);
    expectJITLinkError(
      () => parseArchive(bytes.subarray(0, 8 + 30), 'trunc.a'),
      'MalformedObject',
      'trunc.a',
      8,
      /truncated member header/,
    );
    const two = concat([bytes, member('b.o/', encoder.encode('cd'))]);
    expectJITLinkError(
      () => parseArchive(two.subarray(0, two.length - 40), 'trunc2.a'),
      'MalformedObject',
      'trunc2.a',
      bytes.length,
    );
  });

  test('member size past the end of the file', () => {
    const bytes = concat([MAGIC, member('big.o/', encoder.encode('abcd'), { size: '4000' })]);
    const err = expectJITLinkError(
      () => parseArchive(bytes, 'big.a'),
      'MalformedObject',
      'big.a',
      8,
      /extends past the end/,
    );
    expect(err.message).toContain('big.o');
  });

  test('bad header terminator', () => {
    const bytes = concat([MAGIC, member('a.o/', encoder.encode('ab'), { fmag: '`X' })]);
    expectJITLinkError(
      () => parseArchive(bytes, 'fmag.a'),
      'MalformedObject',
      'fmag.a',
      8,
      /header terminator/,
    );
  });

  test('size field that is not a decimal number', () => {
    for (const size of ['0x10', '-1', '', ' 2', '2a']) {
      const bytes = concat([MAGIC, member('a.o/', encoder.encode('ab'), { size })]);
      expectJITLinkError(
        () => parseArchive(bytes, 'size.a'),
        'MalformedObject',
        'size.a',
        8,
        /not a decimal number/,
      );
    }
  });

  test('long-name offset outside the long-name table', () => {
    const bytes = concat([
      MAGIC,
      member('//', encoder.encode('long_name_member.o/\n')),
      member('/99', encoder.encode('ab')),
    ]);
    const headerOffset = 8 + 60 + 20;
    expectJITLinkError(
      () => parseArchive(bytes, 'names.a'),
      'MalformedObject',
      'names.a',
      headerOffset,
      /long-name offset 99 is outside/,
    );
  });

  test('long-name offset in the middle of a name', () => {
    const bytes = concat([
      MAGIC,
      member('//', encoder.encode('long_name_member.o/\n')),
      member('/3', encoder.encode('ab')),
    ]);
    expectJITLinkError(
      () => parseArchive(bytes, 'mid.a'),
      'MalformedObject',
      'mid.a',
      8 + 60 + 20,
      /not the start of a name/,
    );
  });

  test('long-name reference without a table, and an unterminated long name', () => {
    const noTable = concat([MAGIC, member('/0', encoder.encode('ab'))]);
    expectJITLinkError(
      () => parseArchive(noTable, 'nt.a'),
      'MalformedObject',
      'nt.a',
      8,
      /no long-name table/,
    );
    const unterminated = concat([
      MAGIC,
      member('//', encoder.encode('abcdef')),
      member('/0', encoder.encode('ab')),
    ]);
    expectJITLinkError(
      () => parseArchive(unterminated, 'ut.a'),
      'MalformedObject',
      'ut.a',
      8 + 66,
      /not terminated/,
    );
  });

  test('symbol index offset out of range or not at a member', () => {
    const entryOffset = 8 + 60 + 4; // first offset in the "/" index
    for (const value of [0xfffffff0, 8, 9]) {
      const bytes = gnuArchive({ members: smallMembers, patchIndexOffset: { entry: 0, value } });
      expectJITLinkError(
        () => parseArchive(bytes, 'idx.a'),
        'MalformedObject',
        'idx.a',
        entryOffset,
        /not the start of a member/,
      );
    }
  });

  test('symbol index names: UTF-8 names, and a last name without its NUL', () => {
    for (const symbols of [
      ['alpha', 'beta'],
      ['caf\u00e9', 'beta'],
    ]) {
      const members = [{ name: 'a.o', data: encoder.encode('aa'), symbols }];
      const good = parseArchive(gnuArchive({ members }), 'names.a');
      expect(good.findMemberDefining(symbols[0]!)?.name).toBe('a.o');
      expect(good.findMemberDefining('beta')?.name).toBe('a.o');
      const bytes = gnuArchive({ members });
      const indexSize = 4 + symbols.length * 4 + cstrings(symbols).length;
      bytes[8 + 60 + indexSize - 1] = 0x41; // the last name's NUL
      expectJITLinkError(
        () => parseArchive(bytes, 'names.a'),
        'MalformedObject',
        'names.a',
        8 + 60 + 4 + 8 + cstrings([symbols[0]!]).length,
        /symbol name 1 is not NUL-terminated/,
      );
    }
  });

  test('symbol index names that are not UTF-8 keep their bytes; a table that starts with a byte-order mark is read name by name', () => {
    const members = [{ name: 'a.o', data: encoder.encode('aa'), symbols: ['cafX', 'beta'] }];
    const bytes = gnuArchive({ members });
    const table = 8 + 60 + 4 + 2 * 4;
    expect(bytes[table + 3]).toBe(0x58); // the X
    bytes[table + 3] = 0xe9; // Latin-1 é: not UTF-8
    expect([...parseArchive(bytes, 'names.a').symbolIndex.keys()]).toEqual(['caf\udce9', 'beta']);
    // A table that starts with EF BB BF decodes as UTF-8 without it: the names are read one by one.
    const symbols = ['\ufeffbom', 'beta'];
    const bom = gnuArchive({ members: [{ name: 'a.o', data: encoder.encode('aa'), symbols }] });
    expect([...parseArchive(bom, 'bom.a').symbolIndex.keys()]).toEqual(['\ufeffbom', 'beta']);
    // Offsets in messages stay byte offsets.
    bom[table + cstrings(symbols).length - 1] = 0x41; // the last name's NUL
    expectJITLinkError(
      () => parseArchive(bom, 'bom.a'),
      'MalformedObject',
      'bom.a',
      table + cstrings([symbols[0]!]).length,
      /symbol name 1 is not NUL-terminated/,
    );
  });

  test('symbol index count larger than the index', () => {
    const bytes = gnuArchive({ members: smallMembers, indexCount: 1000 });
    expectJITLinkError(
      () => parseArchive(bytes, 'count.a'),
      'MalformedObject',
      'count.a',
      8 + 60,
      /symbol count 1000/,
    );
    const slightlyTooMany = gnuArchive({ members: smallMembers, indexCount: 6 });
    expect(() => parseArchive(slightlyTooMany, 'count6.a')).toThrow(JITLinkError);
  });

  test('BSD index: name offset outside the string table, entry table larger than the index', () => {
    const symdefData = 8 + 60 + 12;
    expectJITLinkError(
      () => parseArchive(bsdArchive(smallMembers, { strx: 500 }), 'bsd.a'),
      'MalformedObject',
      'bsd.a',
      symdefData + 4,
      /outside the string table/,
    );
    expectJITLinkError(
      () => parseArchive(bsdArchive(smallMembers, { strx: 2 }), 'bsd.a'),
      'MalformedObject',
      'bsd.a',
      symdefData + 4,
      /not the start of a string/,
    );
    expectJITLinkError(
      () => parseArchive(bsdArchive(smallMembers, { rangesBytes: 8 * 1000 }), 'bsd.a'),
      'MalformedObject',
      'bsd.a',
      symdefData,
      /does not fit/,
    );
    expectJITLinkError(
      () => parseArchive(bsdArchive(smallMembers, { rangesBytes: 12 }), 'bsd.a'),
      'MalformedObject',
      'bsd.a',
      symdefData,
      /not a multiple of 8/,
    );
  });

  test('BSD long name longer than the member', () => {
    const bytes = concat([MAGIC, member('#1/20', encoder.encode('abc'))]);
    expectJITLinkError(
      () => parseArchive(bytes, 'bsdname.a'),
      'MalformedObject',
      'bsdname.a',
      8,
      /longer than the member/,
    );
  });
});

describe('crafted inputs stay linear', () => {
  /** Characters the parser decodes while `fn` runs: a shared name decoded once per use would cost members × its length. */
  function decodedCharacters(fn: () => void): number {
    const decode = jest.spyOn(TextDecoder.prototype, 'decode');
    try {
      fn();
      return decode.mock.results.reduce((n, r) => n + (r.value as string).length, 0);
    } finally {
      decode.mockRestore();
    }
  }

  test('many members sharing one very long name, many index entries sharing one very long symbol', () => {
    const longName = 'n'.repeat(50_000);
    const shared = Array.from({ length: 2_000 }, () => member('/0', encoder.encode('ab')));
    const gnu = concat([MAGIC, member('//', encoder.encode(`${longName}/\n`)), ...shared]);
    const gnuDecoded = decodedCharacters(() => {
      const archive = parseArchive(gnu, 'shared-names.a');
      expect(archive.members.length).toBe(2_000);
      expect(archive.members[1_999]!.name).toBe(longName);
    });
    expect(gnuDecoded).toBeLessThanOrEqual(2 * gnu.length);

    const entries = 5_000;
    const memberOffset = 8 + 60 + 12 + 4 + entries * 8 + 4 + 50_002;
    const pairs = Array.from({ length: entries * 2 }, (_, i) => (i % 2 === 0 ? 0 : memberOffset));
    const strings = encoder.encode(`${longName}\0\0`);
    const body = concat([le32([entries * 8]), le32(pairs), le32([strings.length]), strings]);
    const bsdIndex = member('#1/12', concat([encoder.encode('__.SYMDEF\0\0\0'), body]));
    expect(8 + bsdIndex.length).toBe(memberOffset);
    const bsd = concat([MAGIC, bsdIndex, member('#1/4', encoder.encode('x.o\0data'))]);
    const bsdDecoded = decodedCharacters(() => {
      const bsdArchive = parseArchive(bsd, 'shared-symbols.a');
      expect(bsdArchive.findMemberDefining(longName)?.name).toBe('x.o');
    });
    expect(bsdDecoded).toBeLessThanOrEqual(2 * bsd.length);
  });
});

// ---- Real archives ---------------------------------------------------------

for (const libName of ['libsqlite3.a', 'liblua5.4.a', 'libz.a']) describe(`Debian ${libName}`, () => {
  const lib = debianLibrary(libName);
  const path = lib.path;

  needs(lib, ar).test('members equal `ar t`, contents equal `ar p`', () => {
    const archive = parseArchive(readFileSync(path), libName);
    expect(archive.format).toBe('gnu');
    expect(archive.members.map((m) => m.name)).toEqual(lines(run('ar', ['t', path])));
    // `ar p` with no names prints every member's contents in order.
    const all = run('ar', ['p', path]);
    expect(Buffer.from(concat(archive.members.map((m) => m.data))).equals(all)).toBe(true);
    const sample = archive.members[Math.floor(archive.members.length / 2)]!;
    expect(Buffer.from(sample.data).equals(run('ar', ['p', path, sample.name]))).toBe(true);
  });

  needs(lib, nm, llvmNm).test('symbol index agrees with nm --print-armap and llvm-nm --print-armap', () => {
    const archive = parseArchive(readFileSync(path), libName);
    const sample: Record<string, [string, string]> = {
      'libsqlite3.a': ['sqlite3_open', 'main.o'],
      'liblua5.4.a': ['lua_newstate', 'lstate.o'],
      'libz.a': ['crc32', 'crc32.o'],
    };
    const [symbol, memberName] = sample[libName]!;
    expect(archive.findMemberDefining(symbol)?.name).toBe(memberName);
    expectIndexMatches(archive, armap('nm', path));
    expectIndexMatches(archive, armap('llvm-nm-19', path));
  });
});

// ---- Archives written by ar / llvm-ar ------------------------------------

describe('archives written by ar and llvm-ar', () => {
  let dir: string;
  const inputs: { file: string; data: Uint8Array }[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jitlink-archive-'));
    if (libz.available()) {
      // Real objects taken from libz.a, renamed to need long names, plus an odd-sized text member.
      const archive = parseArchive(readFileSync(libz.path), 'libz.a');
      for (const name of ['adler32.o', 'crc32.o', 'compress.o']) {
        const m = archive.members.find((x) => x.name === name)!;
        inputs.push({ file: `member_with_a_long_name_${name}`, data: m.data });
      }
    }
    inputs.push({ file: 'odd.txt', data: encoder.encode('hello') });
    for (const input of inputs) writeFileSync(join(dir, input.file), input.data);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function build(tool: string, args: string[], out: string, env: NodeJS.ProcessEnv = {}): Uint8Array {
    run(tool, [...args, out, ...inputs.map((i) => i.file)], { cwd: dir, env: { ...process.env, ...env } });
    return readFileSync(join(dir, out));
  }

  function check(
    bytes: Uint8Array,
    out: string,
    format: 'gnu' | 'bsd',
    lister: string,
    nmTool: string,
  ): Archive {
    const archive = parseArchive(bytes, out);
    expect(archive.format).toBe(format);
    expect(archive.members.map((m) => m.name)).toEqual(lines(run(lister, ['t', join(dir, out)])));
    expect(archive.members.map((m) => m.name)).toEqual(inputs.map((i) => i.file));
    expect(
      Buffer.from(concat(archive.members.map((m) => m.data))).equals(run(lister, ['p', join(dir, out)])),
    ).toBe(true);
    // Darwin-format writers pad members to 8 bytes and count the padding in the size.
    archive.members.forEach((m, i) => {
      const input = inputs[i]!.data;
      expect(Buffer.from(m.data.subarray(0, input.length)).equals(Buffer.from(input))).toBe(true);
      expect(m.size - input.length).toBeLessThan(8);
    });
    if (inputs.length > 1) {
      expect(archive.findMemberDefining('adler32')?.name).toBe('member_with_a_long_name_adler32.o');
      expect(archive.findMemberDefining('crc32')?.name).toBe('member_with_a_long_name_crc32.o');
      expectIndexMatches(archive, armap(nmTool, join(dir, out)));
    }
    return archive;
  }

  needs(libz, ar, nm).test('GNU ar rcs: "/" index and "//" long names', () => {
    const bytes = build('ar', ['rcs'], 'gnu.a');
    expect(new TextDecoder().decode(bytes.subarray(8, 10))).toBe('/ ');
    check(bytes, 'gnu.a', 'gnu', 'ar', 'nm');
  });

  needs(libz, llvmAr, llvmNm).test('llvm-ar --format=bsd: __.SYMDEF index and #1/ long names', () => {
    const bytes = build('llvm-ar-19', ['--format=bsd', 'rcs'], 'bsd.a');
    expect(new TextDecoder().decode(bytes.subarray(68, 77))).toBe('__.SYMDEF');
    check(bytes, 'bsd.a', 'bsd', 'llvm-ar-19', 'llvm-nm-19');
  });

  needs(libz, llvmAr, llvmNm).test('llvm-ar 64-bit indexes: /SYM64/ and __.SYMDEF_64', () => {
    // SYM64_THRESHOLD makes llvm-ar write 64-bit symbol tables for small archives.
    const gnu64 = build('llvm-ar-19', ['--format=gnu', 'rcs'], 'gnu64.a', { SYM64_THRESHOLD: '0' });
    expect(new TextDecoder().decode(gnu64.subarray(8, 15))).toBe('/SYM64/');
    check(gnu64, 'gnu64.a', 'gnu', 'llvm-ar-19', 'llvm-nm-19');
    const darwin64 = build('llvm-ar-19', ['--format=darwin', 'rcs'], 'darwin64.a', { SYM64_THRESHOLD: '0' });
    expect(new TextDecoder().decode(darwin64.subarray(68, 80))).toBe('__.SYMDEF_64');
    check(darwin64, 'darwin64.a', 'bsd', 'llvm-ar-19', 'llvm-nm-19');
  });

  needs(libz, llvmAr, llvmNm).test('llvm-ar --format=bsd past 4 GiB: a /SYM64/ index over #1/ names', () => {
    // llvm-ar switches a BSD archive whose offsets pass the threshold to a GNU 64-bit index and
    // keeps the BSD member names; llvm-ar and llvm-nm read those names in any archive.
    const bytes = build('llvm-ar-19', ['--format=bsd', 'rcs'], 'bsd64.a', { SYM64_THRESHOLD: '0' });
    expect(new TextDecoder().decode(bytes.subarray(8, 15))).toBe('/SYM64/');
    expect(new TextDecoder().decode(bytes).includes('#1/')).toBe(true);
    check(bytes, 'bsd64.a', 'gnu', 'llvm-ar-19', 'llvm-nm-19');
  });

  needs(ar).test('thin archives are rejected with a clear error', () => {
    const bytes = build('ar', ['rcsT'], 'thin.a');
    const err = expectJITLinkError(() => parseArchive(bytes, 'thin.a'), 'UnsupportedFormat', 'thin.a', 0);
    expect(err.message).toMatch(/thin archives are not supported/);
    expect(err.message).toMatch(/pass the member object files directly/);
  });
});

// ---- Fuzzing ---------------------------------------------------------------

/** Random access to `bytes` that fails on any read outside them, and counts what it reads. */
function sourceOf(bytes: Uint8Array): ArchiveSource & { bytesRead: number } {
  return {
    size: bytes.length,
    bytesRead: 0,
    read(offset: number, length: number): Uint8Array {
      if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
        throw new Error(`read of ${length} bytes at ${offset} outside ${bytes.length}`);
      }
      this.bytesRead += length;
      return bytes.slice(offset, offset + length);
    },
  };
}

/** Parsing through an ArchiveSource gives the same archive, or the same error, as parsing the bytes. */
function expectSameFromSource(bytes: Uint8Array, name: string): void {
  const outcome = (parse: () => Archive) => {
    try {
      const a = parse();
      return {
        format: a.format,
        members: a.members.map((m) => [m.name, m.index, m.headerOffset, m.offset, m.size, Buffer.from(m.data).toString('hex')]),
        index: [...a.symbolIndex].map(([symbol, m]) => [symbol, m.index]),
      };
    } catch (e) {
      if (!(e instanceof JITLinkError)) throw e;
      return { error: [e.code, e.file, e.offset, e.detail] };
    }
  };
  expect(outcome(() => parseArchive(sourceOf(bytes), name))).toEqual(outcome(() => parseArchive(bytes, name)));
}

describe('archives read through an ArchiveSource', () => {
  for (const libName of ['libsqlite3.a', 'liblua5.4.a', 'libz.a']) needs(debianLibrary(libName)).test(`Debian ${libName}: same archive; parsing reads headers and the index only`, () => {
    const path = debianLibrary(libName).path;
    const bytes = new Uint8Array(readFileSync(path));
    expectSameFromSource(bytes, libName);
    const source = sourceOf(bytes);
    const archive = parseArchive(source, libName);
    expect(archive.bytes).toBeUndefined();
    const contents = archive.members.reduce((n, m) => n + m.size, 0);
    expect(source.bytesRead).toBeLessThan(bytes.length - contents + 8);
    // Contents are read when asked for, and each access reads them anew.
    const before = source.bytesRead;
    const member = archive.members[0]!;
    const first = member.data;
    const second = member.data;
    expect(source.bytesRead).toBe(before + 2 * member.size);
    expect(first).toEqual(bytes.subarray(member.offset, member.offset + member.size));
    expect(second).not.toBe(first);
  });

  test('hand-built GNU and BSD archives', () => {
    expectSameFromSource(gnuArchive({ members: smallMembers }), 'gnu.a');
    expectSameFromSource(bsdArchive(smallMembers), 'bsd.a');
  });
});

describe('fuzzing', () => {
  test('random mutations and truncations only ever throw JITLinkError', () => {
    const bases: Uint8Array[] = [gnuArchive({ members: smallMembers }), bsdArchive(smallMembers)];
    if (have(libz)) {
      // The start of libz.a: its index, long-name handling and first members.
      const real = parseArchive(readFileSync(libz.path), 'libz.a');
      const cut = real.members[2]!.offset + real.members[2]!.size;
      bases.push(readFileSync(libz.path).subarray(0, cut + (cut & 1)));
    }
    const interesting = [0x00, 0x20, 0x2f, 0x30, 0x39, 0x0a, 0x60, 0x23, 0x31, 0xff];
    const random = prng(0x6a69746c);
    let parsed = 0;
    let rejected = 0;
    for (let iteration = 0; iteration < 4000; iteration++) {
      const base = bases[iteration % bases.length]!;
      let bytes = Uint8Array.from(base);
      const mutations = 1 + Math.floor(random() * 4);
      for (let k = 0; k < mutations; k++) {
        const choice = random();
        // Most archive structure is in the first few hundred bytes; aim there half the time.
        const span = random() < 0.5 ? Math.min(bytes.length, 400) : bytes.length;
        const at = Math.floor(random() * span);
        if (choice < 0.15) bytes = bytes.subarray(0, at);
        else if (choice < 0.6) bytes[at] = interesting[Math.floor(random() * interesting.length)]!;
        else bytes[at] = Math.floor(random() * 256);
      }
      expectSameFromSource(bytes, 'fuzz.a');
      try {
        const archive = parseArchive(bytes, 'fuzz.a');
        parsed++;
        for (const m of archive.members) {
          expect(m.offset + m.size).toBeLessThanOrEqual(bytes.length);
          expect(m.data.length).toBe(m.size);
        }
        for (const m of archive.symbolIndex.values()) expect(archive.members[m.index]).toBe(m);
      } catch (err) {
        if (!(err instanceof JITLinkError)) throw new Error(`iteration ${iteration}: ${String(err)}`);
        expect(err.file).toBe('fuzz.a');
        expect(err.offset).toBeGreaterThanOrEqual(0);
        rejected++;
      }
    }
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
