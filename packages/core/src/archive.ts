/**
 * Static archive (`ar`) reader for the GNU/SysV and BSD/Darwin variants.
 *
 * Parsing walks the member headers once and never copies member contents:
 * each member's `data` is a subarray of the input. Every size, offset and
 * count read from the file is checked before use, and every failure is a
 * JITLinkError naming the archive file and the byte offset concerned.
 */
import { JITLinkError } from './errors.js';
import { asciiTableText, decodeName } from './names.js';
import { checkLimit, type InputLimits } from './limits.js';

/** The archive dialect: GNU/System V (`/` name suffixes, `//` long names) or BSD (`#1/` names). */
export type ArchiveFormat = 'gnu' | 'bsd';

/** One ordinary member of an archive: its name, where it lies, and its bytes on demand. */
export interface ArchiveMember {
  /** Member name with format decorations removed (trailing `/`, padding, `#1/` prefix). */
  readonly name: string;
  /** Position of this member among the archive's ordinary members (index members excluded). */
  readonly index: number;
  /** Offset of the member's 60-byte header in the archive; symbol indexes refer to members by it. */
  readonly headerOffset: number;
  /** Offset of the member's contents in the archive. */
  readonly offset: number;
  /** Size of the member's contents in bytes. */
  readonly size: number;
  /**
   * The member's contents: a view of the archive bytes when the archive was
   * parsed from bytes; read from the ArchiveSource on each access otherwise
   * (so that nothing keeps it once its reader is done with it).
   */
  readonly data: Uint8Array;
  /**
   * `length` bytes of the contents at `offset` (a view for archives parsed
   * from bytes), so a member is a ByteSource: readers that need only parts of
   * it (an object's definitions, say) read those. Throws for ranges outside
   * the contents.
   */
  read(offset: number, length: number): Uint8Array;
  /** ByteSource.readInto: the members of every archive this module parses have it. */
  readInto?(target: Uint8Array, offset: number): void;
}

/**
 * Random access to bytes not held in memory whole (a file read on demand, an
 * archive member). Reads are for ranges within [0, size).
 */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`. */
  read(offset: number, length: number): Uint8Array;
  /**
   * Optional: fills `target` with the `target.length` bytes at `offset`, as
   * `read` would return them, without allocating (a reader that keeps one
   * buffer reads into it).
   */
  readInto?(target: Uint8Array, offset: number): void;
}

/** The bytes of an archive read on demand. */
export type ArchiveSource = ByteSource;

/** Where `Archive.symbolIndex` came from. */
export type SymbolIndexSource = 'archive' | 'built' | 'none';

const GLOBAL_MAGIC = '!<arch>\n';
const THIN_MAGIC = '!<thin>\n';
const MAGIC_SIZE = 8;
const HEADER_SIZE = 60;
const NAME_SIZE = 16;
const SIZE_FIELD_OFFSET = 48;
const SIZE_FIELD_SIZE = 10;
const FMAG_OFFSET = 58;
const BSD_LONG_NAME_PREFIX = '#1/';

const CHAR_SPACE = 0x20;
const CHAR_SLASH = 0x2f;
const CHAR_NEWLINE = 0x0a;
const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_BACKTICK = 0x60;

/**
 * A parsed static archive (`.a`): its members and the symbol index that says which member defines
 * what. Built by `parseArchive`.
 */
export class Archive {
  readonly fileName: string;
  readonly format: ArchiveFormat;
  /** The whole archive as given to parseArchive (undefined when parsed from an ArchiveSource). */
  readonly bytes: Uint8Array | undefined;
  /** Ordinary members in file order; symbol-index and long-name-table members are not listed. */
  readonly members: readonly ArchiveMember[];
  /** Symbol name → the member defining it (the first one, when several do). */
  readonly symbolIndex: Map<string, ArchiveMember>;
  private indexSource: SymbolIndexSource;

  /** @internal Use parseArchive. */
  constructor(
    fileName: string,
    format: ArchiveFormat,
    bytes: Uint8Array | undefined,
    members: ArchiveMember[],
    symbolIndex: Map<string, ArchiveMember> | undefined,
  ) {
    this.fileName = fileName;
    this.format = format;
    this.bytes = bytes;
    this.members = members;
    this.symbolIndex = symbolIndex ?? new Map();
    this.indexSource = symbolIndex ? 'archive' : 'none';
  }

  /** True when the archive carried a symbol index, or one was built with buildSymbolIndex. */
  get hasSymbolIndex(): boolean {
    return this.indexSource !== 'none';
  }

  get symbolIndexSource(): SymbolIndexSource {
    return this.indexSource;
  }

  /** The member that defines `symbol` according to the symbol index, if any. */
  findMemberDefining(symbol: string): ArchiveMember | undefined {
    return this.symbolIndex.get(symbol);
  }

  /**
   * Fills the symbol index for archives that have none, using a caller that can
   * read member objects. Members are visited in file order and the first
   * definition of a name wins, as with an index written by `ar`.
   * Replaces any existing index.
   */
  buildSymbolIndex(definedSymbolsOf: (member: ArchiveMember) => Iterable<string>): void {
    this.symbolIndex.clear();
    for (const member of this.members) {
      for (const name of definedSymbolsOf(member)) {
        if (!this.symbolIndex.has(name)) this.symbolIndex.set(name, member);
      }
    }
    this.indexSource = 'built';
  }
}

/** True when `bytes` starts with the magic of a regular or thin archive. */
export function isArchive(bytes: Uint8Array): boolean {
  return hasMagic(bytes, GLOBAL_MAGIC) || hasMagic(bytes, THIN_MAGIC);
}

/** A special member: a symbol index, or the GNU long-name table. */
interface SpecialMember {
  kind: 'gnu-index32' | 'gnu-index64' | 'bsd-index32' | 'bsd-index64';
  name: string;
  headerOffset: number;
  offset: number;
  size: number;
}

/**
 * Parses a static archive, from its bytes or from an ArchiveSource (then only
 * member headers, the long-name table and the symbol index are read now;
 * member contents when asked for). `fileName` is used only in error messages.
 * Thin archives are rejected: their members live in other files.
 * `options.limits`: `maxArchiveMembers` caps the members, `maxInputBytes`
 * each member's size (a LimitExceeded error naming `archive(member)` and the
 * member's header offset).
 */
export function parseArchive(input: Uint8Array | ArchiveSource, fileName: string, options: { limits?: InputLimits } = {}): Archive {
  const limits = options.limits ?? {};
  function fail(detail: string, offset: number): never {
    throw new JITLinkError('MalformedObject', detail, { file: fileName, offset });
  }

  const inMemory = input instanceof Uint8Array ? input : undefined;
  const length = inMemory !== undefined ? inMemory.length : (input as ArchiveSource).size;
  const read: (offset: number, length: number) => Uint8Array =
    inMemory !== undefined
      ? (offset, size) => inMemory.subarray(offset, offset + size)
      : (offset, size) => (input as ArchiveSource).read(offset, size);
  const magic = read(0, Math.min(length, MAGIC_SIZE));
  if (hasMagic(magic, THIN_MAGIC)) {
    throw new JITLinkError(
      'UnsupportedFormat',
      'thin archives are not supported (their members live in separate files): pass the member object files directly',
      { file: fileName, offset: 0 },
    );
  }
  if (!hasMagic(magic, GLOBAL_MAGIC)) {
    throw new JITLinkError('UnsupportedFormat', 'not a static archive (missing "!<arch>\\n" magic)', {
      file: fileName,
      offset: 0,
    });
  }

  const members: ArchiveMember[] = [];
  const membersByHeaderOffset = new Map<number, ArchiveMember>();
  let format: ArchiveFormat | undefined;
  let index: SpecialMember | undefined;
  let longNames: { offset: number; size: number; bytes: Uint8Array } | undefined;
  const longNameCache = new Map<number, string>();

  let pos = MAGIC_SIZE;
  while (pos < length) {
    const headerOffset = pos;
    if (length - pos < HEADER_SIZE) {
      fail(
        `truncated member header: ${length - pos} bytes left, a header needs ${HEADER_SIZE}`,
        headerOffset,
      );
    }
    const header = read(pos, HEADER_SIZE);
    const rawName = headerName(header, 0);
    if (header[FMAG_OFFSET] !== CHAR_BACKTICK || header[FMAG_OFFSET + 1] !== CHAR_NEWLINE) {
      fail(`member "${rawName}": bad header terminator (expected "\`\\n")`, headerOffset);
    }
    const size = parseDecimalField(header, SIZE_FIELD_OFFSET, SIZE_FIELD_SIZE);
    if (size < 0) {
      fail(`member "${rawName}": size field is not a decimal number`, headerOffset);
    }
    let dataOffset = pos + HEADER_SIZE;
    if (size > length - dataOffset) {
      fail(
        `member "${rawName}": size ${size} extends past the end of the archive (${length - dataOffset} bytes left)`,
        headerOffset,
      );
    }
    const end = dataOffset + size;
    // The format follows the first member, as in LLVM: BSD writers never put a
    // '/' at the start or end of a name, GNU writers always do.
    if (format === undefined) format = detectFormat(rawName);

    let name: string;
    let dataSize = size;
    // "#1/<len>" names are read in either dialect, as LLVM does: llvm-ar --format=bsd
    // writes them under a GNU "/SYM64/" index once member offsets pass 4 GiB.
    const bsdLongName = rawName.startsWith(BSD_LONG_NAME_PREFIX);
    if (bsdLongName) {
      const nameLength = parseDecimalString(rawName.slice(BSD_LONG_NAME_PREFIX.length));
      if (nameLength < 0) fail(`member "${rawName}": bad BSD long-name length`, headerOffset);
      if (nameLength > size) {
        fail(
          `member "${rawName}": BSD long name (${nameLength} bytes) is longer than the member (${size} bytes)`,
          headerOffset,
        );
      }
      const nameBytes = read(dataOffset, nameLength);
      name = decodeName(nameBytes, 0, trimTrailingNuls(nameBytes, 0, nameLength));
      dataOffset += nameLength;
      dataSize -= nameLength;
    } else {
      name = rawName;
    }

    // GNU special members are known by their raw names, BSD ones by their (long) names.
    const special = format === 'bsd' ? bsdSpecialKind(name) : bsdLongName ? undefined : gnuSpecialKind(name);
    if (special === 'ignored') {
      // Present in some COFF import libraries; not a member to load.
    } else if (special === 'long-names') {
      if (longNames) fail('second GNU long-name table ("//")', headerOffset);
      longNames = { offset: dataOffset, size: dataSize, bytes: read(dataOffset, dataSize) };
    } else if (special) {
      // Only the first index counts; COFF archives carry a second "/" member
      // with a different layout, which linkers ignore.
      if (!index) index = { kind: special, name, headerOffset, offset: dataOffset, size: dataSize };
    } else {
      if (format === 'gnu' && !bsdLongName) name = gnuMemberName(name, headerOffset);
      checkLimit(fileName, 'archive members', members.length + 1, limits.maxArchiveMembers, headerOffset);
      checkLimit(`${fileName}(${name})`, 'input bytes', dataSize, limits.maxInputBytes, headerOffset);
      const member: ArchiveMember =
        inMemory !== undefined
          ? new InMemoryMember(
              name,
              members.length,
              headerOffset,
              dataOffset,
              inMemory.subarray(dataOffset, dataOffset + dataSize),
            )
          : new SourceMember(
              name,
              members.length,
              headerOffset,
              dataOffset,
              dataSize,
              input as ArchiveSource,
            );
      members.push(member);
      membersByHeaderOffset.set(headerOffset, member);
    }
    // Members start at even offsets; a missing pad byte at the very end is tolerated.
    pos = end + (end & 1);
  }

  function gnuMemberName(name: string, headerOffset: number): string {
    if (name.length > 1 && name.charCodeAt(0) === CHAR_SLASH && isDigit(name.charCodeAt(1))) {
      const nameOffset = parseDecimalString(name.slice(1));
      if (nameOffset < 0) fail(`member "${name}": bad long-name reference`, headerOffset);
      if (!longNames)
        fail(
          `member "${name}": long-name reference but the archive has no long-name table ("//")`,
          headerOffset,
        );
      if (nameOffset >= longNames.size) {
        fail(
          `member "${name}": long-name offset ${nameOffset} is outside the long-name table (${longNames.size} bytes)`,
          headerOffset,
        );
      }
      const bytes = longNames.bytes;
      const start = nameOffset;
      const tableEnd = longNames.size;
      // References must start an entry; mid-entry ones would let a crafted file
      // make the name scans below quadratic.
      if (nameOffset > 0 && bytes[start - 1] !== CHAR_NEWLINE && bytes[start - 1] !== 0) {
        fail(`member "${name}": long-name offset ${nameOffset} is not the start of a name`, headerOffset);
      }
      const cached = longNameCache.get(nameOffset);
      if (cached !== undefined) return cached;
      // GNU ends each name with "/\n"; Microsoft's lib ends them with a NUL.
      let stop = start;
      while (stop < tableEnd && bytes[stop] !== CHAR_NEWLINE && bytes[stop] !== 0) stop++;
      if (stop === tableEnd) {
        fail(`member "${name}": long name at table offset ${nameOffset} is not terminated`, headerOffset);
      }
      if (stop > start && bytes[stop - 1] === CHAR_SLASH) stop--;
      const longName = decodeName(bytes, start, stop);
      longNameCache.set(nameOffset, longName);
      return longName;
    }
    return name.length > 1 && name.endsWith('/') ? name.slice(0, -1) : name;
  }

  // The index's own bytes: positions in them are file offsets less `index.offset`.
  const symbolIndex = index
    ? parseSymbolIndex(read(index.offset, index.size), index, membersByHeaderOffset, fail)
    : undefined;
  return new Archive(fileName, format ?? 'gnu', inMemory, members, symbolIndex);
}

function checkMemberRange(member: ArchiveMember, offset: number, length: number): void {
  if (!(
    Number.isInteger(offset) &&
    Number.isInteger(length) &&
    offset >= 0 &&
    length >= 0 &&
    offset + length <= member.size
  )) {
    throw new JITLinkError(
      'InvalidArgument',
      `cannot read ${length} bytes at ${offset} of member "${member.name}" (${member.size} bytes)`,
    );
  }
}

/** A member of an archive parsed from bytes: a view of them. */
class InMemoryMember implements ArchiveMember {
  readonly size: number;
  constructor(
    readonly name: string,
    readonly index: number,
    readonly headerOffset: number,
    readonly offset: number,
    readonly data: Uint8Array,
  ) {
    this.size = data.length;
  }

  read(offset: number, length: number): Uint8Array {
    checkMemberRange(this, offset, length);
    return this.data.subarray(offset, offset + length);
  }

  readInto(target: Uint8Array, offset: number): void {
    target.set(this.read(offset, target.length));
  }
}

/** A member of an archive parsed from an ArchiveSource: its contents are read when asked for. */
class SourceMember implements ArchiveMember {
  constructor(
    readonly name: string,
    readonly index: number,
    readonly headerOffset: number,
    readonly offset: number,
    readonly size: number,
    private readonly source: ArchiveSource,
  ) {}

  get data(): Uint8Array {
    return this.source.read(this.offset, this.size);
  }

  read(offset: number, length: number): Uint8Array {
    checkMemberRange(this, offset, length);
    return this.source.read(this.offset + offset, length);
  }

  readInto(target: Uint8Array, offset: number): void {
    checkMemberRange(this, offset, target.length);
    if (this.source.readInto !== undefined) this.source.readInto(target, this.offset + offset);
    else target.set(this.source.read(this.offset + offset, target.length));
  }
}

function parseSymbolIndex(
  indexBytes: Uint8Array,
  index: SpecialMember,
  membersByHeaderOffset: Map<number, ArchiveMember>,
  failAt: (detail: string, offset: number) => never,
): Map<string, ArchiveMember> {
  // Positions below are in `bytes`, which starts at file offset `base`; messages give file offsets.
  const bytes = indexBytes;
  const base = index.offset;
  function fail(detail: string, at: number): never {
    return failAt(detail, at + base);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = 0;
  const end = index.size;
  const result = new Map<string, ArchiveMember>();
  const what = `symbol index "${index.name}"`;

  // Reads an unsigned 64-bit field as a number, rejecting values that cannot be file offsets.
  const readU64 = (at: number, littleEndian: boolean): number => {
    const lo = view.getUint32(littleEndian ? at : at + 4, littleEndian);
    const hi = view.getUint32(littleEndian ? at + 4 : at, littleEndian);
    // Nothing in an archive held in memory can be 2^53 bytes away; treat as out of range.
    if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
    return hi * 0x100000000 + lo;
  };

  const memberAt = (memberHeaderOffset: number, entryOffset: number, symbol: string): ArchiveMember => {
    const member = membersByHeaderOffset.get(memberHeaderOffset);
    if (!member) {
      fail(
        `${what}: symbol "${symbol}" refers to offset 0x${memberHeaderOffset.toString(16)}, which is not the start of a member`,
        entryOffset,
      );
    }
    return member;
  };

  if (index.kind === 'gnu-index32' || index.kind === 'gnu-index64') {
    // Big-endian count, `count` member offsets, then `count` NUL-terminated names.
    const wordSize = index.kind === 'gnu-index32' ? 4 : 8;
    if (index.size < wordSize)
      failAt(`${what}: too small (${index.size} bytes) to hold a symbol count`, index.headerOffset);
    const count = wordSize === 4 ? view.getUint32(start, false) : readU64(start, false);
    const maxCount = Math.floor((index.size - wordSize) / wordSize);
    if (count > maxCount) {
      fail(`${what}: symbol count ${count} does not fit in the index (${index.size} bytes)`, start);
    }
    const offsetsStart = start + wordSize;
    const namesStart = offsetsStart + count * wordSize;
    // The name table decoded in one call when it is ASCII (nearly always): names are then substrings.
    const table = asciiTableText(bytes, Math.min(namesStart, end), end);
    let namePos = namesStart;
    for (let i = 0; i < count; i++) {
      const entryOffset = offsetsStart + i * wordSize;
      if (namePos >= end) fail(`${what}: name table ends after ${i} of ${count} symbols`, namePos);
      let symbol: string;
      if (table !== undefined) {
        const at = table.indexOf('\0', namePos - namesStart);
        if (at < 0) fail(`${what}: symbol name ${i} is not NUL-terminated`, namePos);
        symbol = table.slice(namePos - namesStart, at);
        namePos = namesStart + at + 1;
      } else {
        const nameEnd = bytes.indexOf(0, namePos);
        if (nameEnd < 0 || nameEnd >= end) fail(`${what}: symbol name ${i} is not NUL-terminated`, namePos);
        symbol = decodeName(bytes, namePos, nameEnd);
        namePos = nameEnd + 1;
      }
      const target = wordSize === 4 ? view.getUint32(entryOffset, false) : readU64(entryOffset, false);
      const member = memberAt(target, entryOffset, symbol);
      if (!result.has(symbol)) result.set(symbol, member);
    }
    return result;
  }

  // BSD ranlib: little-endian byte count of (strx, offset) pairs, the pairs,
  // then the string table's byte count and the NUL-terminated strings.
  const wordSize = index.kind === 'bsd-index32' ? 4 : 8;
  const read = (at: number): number => (wordSize === 4 ? view.getUint32(at, true) : readU64(at, true));
  const entrySize = wordSize * 2;
  if (index.size < wordSize)
    failAt(`${what}: too small (${index.size} bytes) to hold its size field`, index.headerOffset);
  const rangesBytes = read(start);
  if (rangesBytes % entrySize !== 0) {
    fail(`${what}: entry table size ${rangesBytes} is not a multiple of ${entrySize}`, start);
  }
  if (rangesBytes > index.size - 2 * wordSize) {
    fail(
      `${what}: entry table (${rangesBytes} bytes) does not fit in the index (${index.size} bytes)`,
      start,
    );
  }
  const entriesStart = start + wordSize;
  const stringsSizeOffset = entriesStart + rangesBytes;
  const stringsSize = read(stringsSizeOffset);
  const stringsStart = stringsSizeOffset + wordSize;
  if (stringsSize > end - stringsStart) {
    fail(`${what}: string table (${stringsSize} bytes) does not fit in the index`, stringsSizeOffset);
  }
  const stringsEnd = stringsStart + stringsSize;
  const count = rangesBytes / entrySize;
  const names = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const entryOffset = entriesStart + i * entrySize;
    const strx = read(entryOffset);
    if (strx >= stringsSize) {
      fail(
        `${what}: entry ${i} name offset ${strx} is outside the string table (${stringsSize} bytes)`,
        entryOffset,
      );
    }
    const nameStart = stringsStart + strx;
    // As for GNU long names: only whole strings, decoded once each, keep this linear.
    if (strx > 0 && bytes[nameStart - 1] !== 0) {
      fail(`${what}: entry ${i} name offset ${strx} is not the start of a string`, entryOffset);
    }
    let symbol = names.get(strx);
    if (symbol === undefined) {
      const nameEnd = bytes.indexOf(0, nameStart);
      if (nameEnd < 0 || nameEnd >= stringsEnd)
        fail(`${what}: entry ${i} name is not NUL-terminated`, entryOffset);
      symbol = decodeName(bytes, nameStart, nameEnd);
      names.set(strx, symbol);
    }
    const member = memberAt(read(entryOffset + wordSize), entryOffset, symbol);
    if (!result.has(symbol)) result.set(symbol, member);
  }
  return result;
}

function hasMagic(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

function detectFormat(rawName: string): ArchiveFormat {
  if (rawName.startsWith(BSD_LONG_NAME_PREFIX) || rawName.startsWith('__.SYMDEF')) return 'bsd';
  if (rawName.startsWith('/') || rawName.endsWith('/')) return 'gnu';
  return 'bsd';
}

function gnuSpecialKind(name: string): SpecialMember['kind'] | 'long-names' | 'ignored' | undefined {
  if (name === '/') return 'gnu-index32';
  if (name === '/SYM64/') return 'gnu-index64';
  if (name === '//') return 'long-names';
  if (name === '/<ECSYMBOLS>/') return 'ignored';
  return undefined;
}

function bsdSpecialKind(name: string): SpecialMember['kind'] | undefined {
  if (name === '__.SYMDEF' || name === '__.SYMDEF SORTED') return 'bsd-index32';
  if (name === '__.SYMDEF_64' || name === '__.SYMDEF_64 SORTED') return 'bsd-index64';
  return undefined;
}

/** The 16-byte name field with trailing spaces removed. */
function headerName(bytes: Uint8Array, headerOffset: number): string {
  let end = headerOffset + NAME_SIZE;
  while (end > headerOffset && bytes[end - 1] === CHAR_SPACE) end--;
  return decodeName(bytes, headerOffset, end);
}

/** A left-aligned, space-padded decimal field; -1 when it holds anything else or nothing. */
function parseDecimalField(bytes: Uint8Array, at: number, width: number): number {
  let value = 0;
  let digits = 0;
  let i = 0;
  for (; i < width; i++) {
    const c = bytes[at + i]!;
    if (c < CHAR_0 || c > CHAR_9) break;
    value = value * 10 + (c - CHAR_0);
    digits++;
  }
  for (; i < width; i++) if (bytes[at + i] !== CHAR_SPACE) return -1;
  return digits === 0 ? -1 : value;
}

/** Decimal digits only (at most 15, so the value is exact); -1 otherwise. */
function parseDecimalString(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - CHAR_0);
  }
  return value;
}

function isDigit(c: number): boolean {
  return c >= CHAR_0 && c <= CHAR_9;
}

function trimTrailingNuls(bytes: Uint8Array, start: number, end: number): number {
  while (end > start && bytes[end - 1] === 0) end--;
  return end;
}
