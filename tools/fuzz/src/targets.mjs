/**
 * Fuzz targets: for each input format, its seeds (from the test corpus), the
 * structure its mutations address, and the oracle. The oracle's rule: every
 * outcome except a JITLinkError (or a clean link into slab memory, nothing
 * executed) is a failure, including a TypeError or RangeError.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendRegistry, JITLinkError, link, parseArchive, SlabMemoryManager } from '@jitlink/core';
import { createElfBackend, createElfLinkGraph, parseElf, readElfDefinitions } from '@jitlink/elf';
import { x86_64LinkTarget } from '@jitlink/arch-x86-64';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { field } from './mutate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const regressionsDir = path.resolve(here, '../regressions');

/** A failure of the oracle: anything thrown that is not a JITLinkError. */
export class OracleFailure extends Error {
  constructor(what, cause) {
    super(`${what}: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, { cause });
    this.kind = cause instanceof Error ? cause.name : typeof cause;
  }
}

/** Runs `step`; a JITLinkError is a clean rejection (returns false), anything else an OracleFailure. */
export async function guarded(what, step) {
  try {
    await step();
    return true;
  } catch (e) {
    if (e instanceof OracleFailure) throw e;
    if (e instanceof JITLinkError) return false;
    if (e instanceof AggregateError && e.errors.every((x) => x instanceof JITLinkError)) return false;
    throw new OracleFailure(what, e);
  }
}

/** Links `graph` with `target` into a 64 MiB slab (as -noexec -slab-allocate 64Mb): nothing runs, externals resolve to one address. */
export async function linkWithTarget(graph, target, size = 64 * 1024 * 1024, baseAddress = 0x7f00_0000_0000) {
  const memory = new SlabMemoryManager({ size, baseAddress, pageSize: 4096 });
  let failure;
  const context = {
    getMemoryManager: () => memory,
    async lookup(request) {
      return new Map([...request.keys()].map((name) => [name, baseAddress + 0x1000_0000]));
    },
    notifyResolved() {},
    notifyFinalized() {},
    notifyFailed(error) {
      failure = error;
    },
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    modifyPassConfig() {},
  };
  await link(graph, context, target);
  if (failure) throw failure;
}

/** An x86-64 ELF graph into the slab. */
export function linkInSlab(graph, size = 64 * 1024 * 1024) {
  return linkWithTarget(graph, x86_64LinkTarget, size);
}

/** The ELF oracle: parse, build the graph, read the definitions alone, link into the slab. */
async function runElf(bytes, name = 'fuzz.o') {
  return (await elfOracle(bytes, name)).outcome;
}

/** The ELF oracle's outcome, and the definitions it read (undefined when they were refused). */
async function elfOracle(bytes, name) {
  let linked = false;
  let definitions;
  await guarded('createElfLinkGraph', async () => {
    const graph = createElfLinkGraph(bytes, x86_64Elf, { name });
    linked = await guarded('link', () => linkInSlab(graph));
  });
  await guarded('readElfDefinitions', () => void (definitions = readElfDefinitions(bytes, x86_64Elf, name)));
  return { outcome: linked ? 'linked' : 'rejected', definitions };
}

const ELF64_HEADER = [
  [4, 1], [5, 1], [6, 1], [7, 1], [16, 2], [18, 2], [20, 4], [24, 8], [32, 8], [40, 8], [48, 4], [52, 2], [54, 2], [56, 2], [58, 2], [60, 2], [62, 2],
];
const SHDR64 = [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 8], [40, 4], [44, 4], [48, 8], [56, 8]];
const SYM64 = [[0, 4], [4, 1], [5, 1], [6, 2], [8, 8], [16, 8]];
const RELA64 = [[0, 8], [8, 4], [12, 4], [16, 8]];
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_RELA = 4;
const SHT_NOBITS = 8;

/** The fields of a 64-bit little-endian ELF object: header, section headers, symbols, relocations, string tables. */
export function elfLayout(bytes, base = 0) {
  const elf = parseElf(bytes, 'seed.o');
  const fields = ELF64_HEADER.map(([at, w]) => field(base + at, w));
  const strings = [];
  const nobits = [];
  for (const s of elf.sections) {
    if (s.type === SHT_NOBITS) nobits.push(base + s.headerOffset);
    for (const [at, w] of SHDR64) fields.push(field(base + s.headerOffset + at, w));
    // A NOBITS section's size is the huge-.bss case: listed again so it is picked more often.
    if (s.type === SHT_NOBITS) fields.push(field(base + s.headerOffset + 32, 8), field(base + s.headerOffset + 32, 8));
    const entries = Math.min(64, Math.floor(s.size / 24));
    if (s.type === SHT_SYMTAB) for (let i = 0; i < entries; i++) for (const [at, w] of SYM64) fields.push(field(base + s.offset + i * 24 + at, w));
    if (s.type === SHT_RELA) for (let i = 0; i < entries; i++) for (const [at, w] of RELA64) fields.push(field(base + s.offset + i * 24 + at, w));
    if (s.type === SHT_STRTAB && s.size > 0) strings.push([base + s.offset, base + s.offset + s.size]);
  }
  return { fields, strings, nobits };
}

function corpusObjects(limit) {
  const root = path.join(repoRoot, 'test-corpus/obj');
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.includes('aarch64')) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.o')) found.push(p);
    }
  };
  if (fs.existsSync(root)) walk(root);
  // A spread over the corpus: every n-th object, small ones first within the spread.
  const step = Math.max(1, Math.floor(found.length / limit));
  return found.filter((_, i) => i % step === 0).slice(0, limit);
}

/** Corpus objects that are 64-bit little-endian x86-64 ELF and link cleanly: the seeds. */
function elfSeeds(limit = 12) {
  const seeds = [];
  for (const p of corpusObjects(limit * 3)) {
    const bytes = new Uint8Array(fs.readFileSync(p));
    if (bytes.length > 64 * 1024 || bytes[4] !== 2 || bytes[5] !== 1 || bytes[18] !== 62) continue;
    seeds.push({ name: path.relative(repoRoot, p), bytes, ...elfLayout(bytes) });
    if (seeds.length === limit) break;
  }
  return seeds;
}

/** A GNU archive (`ar rcs` layout): symbol index "/", long-name table "//", members. */
export function writeGnuArchive(members) {
  const enc = new TextEncoder();
  const header = (name, size) => enc.encode(name.padEnd(16) + '0'.padEnd(12) + '0'.padEnd(6) + '0'.padEnd(6) + '644'.padEnd(8) + String(size).padEnd(10) + '`\n');
  const pad = (n) => n + (n & 1);
  let longNames = '';
  const names = members.map((m) => {
    if (m.name.length < 16) return m.name + '/';
    const at = longNames.length;
    longNames += m.name + '/\n';
    return '/' + at;
  });
  const symbols = members.flatMap((m, i) => m.symbols.map((s) => [s, i]));
  const strtab = enc.encode(symbols.map(([s]) => s + '\0').join(''));
  const indexSize = 4 + 4 * symbols.length + strtab.length;
  let offset = 8 + 60 + pad(indexSize) + (longNames ? 60 + pad(longNames.length) : 0);
  const memberOffsets = members.map((m) => {
    const at = offset;
    offset += 60 + pad(m.bytes.length);
    return at;
  });
  const out = new Uint8Array(offset);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(enc.encode('!<arch>\n'), at);
  at += 8;
  out.set(header('/', indexSize), at);
  at += 60;
  const index = { at, count: symbols.length, strings: [at + 4 + 4 * symbols.length, at + indexSize] };
  view.setUint32(at, symbols.length);
  symbols.forEach(([, i], k) => view.setUint32(at + 4 + 4 * k, memberOffsets[i]));
  out.set(strtab, at + 4 + 4 * symbols.length);
  at += pad(indexSize);
  let longTable;
  if (longNames) {
    out.set(header('//', longNames.length), at);
    longTable = [at + 60, at + 60 + longNames.length];
    out.set(enc.encode(longNames), at + 60);
    at += 60 + pad(longNames.length);
  }
  members.forEach((m, i) => {
    out.set(header(names[i], m.bytes.length), at);
    out.set(m.bytes, at + 60);
    at += 60 + pad(m.bytes.length);
  });
  return { bytes: out, index, longTable, memberOffsets };
}

const AR_HEADER = [[0, 16], [16, 12], [28, 6], [34, 6], [40, 8], [48, 10], [58, 2]];

function archiveSeeds(limit = 4) {
  const objects = elfSeeds(limit * 3);
  const seeds = [];
  for (let k = 0; k + 2 < objects.length && seeds.length < limit; k += 3) {
    const parts = objects.slice(k, k + 3).map((o, i) => {
      const elf = parseElf(o.bytes, o.name);
      const symbols = elf.symbols.filter((s) => s.binding !== 0 && s.sectionIndex !== 0).map((s) => s.name).slice(0, 8);
      // One long name per archive, so the long-name table is present.
      return { name: i === 0 ? `member-with-a-long-name-${k}.o` : `m${i}.o`, bytes: o.bytes, symbols };
    });
    const ar = writeGnuArchive(parts);
    const fields = [];
    const headerAt = [8, ...(ar.longTable ? [ar.longTable[0] - 60] : []), ...ar.memberOffsets];
    for (const h of headerAt) for (const [at, w] of AR_HEADER) fields.push({ ...field(h + at, w), ascii: w !== 2 && at !== 0 });
    fields.push({ ...field(ar.index.at, 4), be: true });
    for (let i = 0; i < ar.index.count; i++) fields.push({ ...field(ar.index.at + 4 + 4 * i, 4), be: true });
    const strings = [ar.index.strings, ...(ar.longTable ? [ar.longTable] : [])];
    // Member names ("/0" long-name references) are text too.
    for (const h of ar.memberOffsets) strings.push([h, h + 16]);
    // The first member's ELF structure, reached through the archive.
    const inner = elfLayout(parts[0].bytes, ar.memberOffsets[0] + 60);
    for (const part of parts) rememberSeedMember(`fuzz.a(${part.name})`, part.bytes);
    seeds.push({ name: `archive of ${parts.map((p) => p.name).join(', ')}`, bytes: ar.bytes, fields: [...fields, ...inner.fields], strings: [...strings, ...inner.strings] });
  }
  return seeds;
}

/** The registry an archive read from a file goes through: its members are read in part, for their definitions. */
const elfRegistry = new BackendRegistry();
elfRegistry.register(createElfBackend(x86_64Elf));

/**
 * The seeds' members, by oracle name and size: a member whose name and bytes a
 * mutation left as they were has its seed's outcome, found by running the
 * member oracle on it once. Only a member that differs from every seed member
 * needs the member oracle again; the archive structure (headers, symbol index,
 * long names, lookups) is parsed in full every time.
 */
const seedMembers = new Map();

export function rememberSeedMember(name, bytes) {
  const key = `${bytes.length}:${name}`;
  const known = seedMembers.get(key) ?? [];
  if (!known.some((m) => equalBytes(m.bytes, bytes))) known.push({ bytes: bytes.slice(), outcome: undefined });
  seedMembers.set(key, known);
}

function equalBytes(a, b) {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** A ByteSource over `bytes` that, like a file, holds nothing the parser has not asked for; a read outside it is a failure. */
function archiveSource(bytes) {
  return {
    size: bytes.length,
    read(offset, length) {
      if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
        throw new OracleFailure('ArchiveSource.read', new RangeError(`read of ${length} bytes at ${offset} outside the ${bytes.length}-byte archive`));
      }
      return bytes.slice(offset, offset + length);
    },
  };
}

/** A disagreement between two readings that must agree: a failure of its own kind. */
function mismatch(what, a, b) {
  const failure = new OracleFailure(what, new Error(`${JSON.stringify(a)} != ${JSON.stringify(b)}`));
  failure.kind = 'Mismatch';
  return failure;
}

/** What the two parses must agree on: members (name, place, size) and the symbol index. */
function archiveShape(archive) {
  return {
    members: archive.members.map((m) => [m.name, m.index, m.headerOffset, m.offset, m.size]),
    index: [...archive.symbolIndex].map(([name, m]) => [name, m.headerOffset]),
  };
}

/**
 * The member oracle: the ELF oracle on its bytes, and its definitions read in
 * part through the registry (as the command reads an archive file's members),
 * which must be the definitions read from the whole bytes.
 */
async function runMemberOracle(data, sourceMember, name) {
  const { outcome, definitions } = await elfOracle(data, name);
  let partial;
  await guarded('readObjectDefinitions of a member read in part', () => void (partial = elfRegistry.readObjectDefinitions(sourceMember, { name })));
  const flat = (d) => d && [...d];
  if (JSON.stringify(flat(definitions)) !== JSON.stringify(flat(partial))) throw mismatch(`${name}: definitions (whole, in part)`, flat(definitions), flat(partial));
  return outcome;
}

/** The member oracle, or its seed's outcome when the member is a seed's, unchanged (unless `reuse` is false). */
async function runMember(member, sourceMember, name, reuse) {
  const data = member.data;
  const seed = reuse ? seedMembers.get(`${data.length}:${name}`)?.find((m) => equalBytes(m.bytes, data)) : undefined;
  if (seed?.outcome) return seed.outcome;
  // The first time, or any changed member: the full oracle (a failure throws and is never remembered).
  const outcome = await runMemberOracle(data, sourceMember, name);
  if (seed) seed.outcome = outcome;
  return outcome;
}

/**
 * The archive oracle: parse from bytes and through an ArchiveSource (as a
 * file is read); both must reject the archive, or agree on its members and
 * symbol index. Then look every indexed symbol up and run the member oracle
 * on every member. Returns the archive's outcome and each member's
 * ('linked', 'rejected', or 'refused' when the member oracle threw a JITLinkError).
 */
export async function archiveVerdict(bytes, { reuseSeedOutcomes = true } = {}) {
  let inMemory;
  let fromSource;
  await guarded('parseArchive', () => void (inMemory = parseArchive(bytes, 'fuzz.a')));
  await guarded('parseArchive from an ArchiveSource', () => void (fromSource = parseArchive(archiveSource(bytes), 'fuzz.a')));
  if (!inMemory || !fromSource) {
    if (inMemory || fromSource) throw mismatch('parseArchive (bytes, ArchiveSource)', !!inMemory, !!fromSource);
    return { outcome: 'rejected', members: [] };
  }
  const shape = archiveShape(inMemory);
  if (JSON.stringify(shape) !== JSON.stringify(archiveShape(fromSource))) throw mismatch('parseArchive (bytes, ArchiveSource)', shape, archiveShape(fromSource));
  for (const name of inMemory.symbolIndex.keys()) inMemory.findMemberDefining(name);
  const members = [];
  for (const member of inMemory.members.slice(0, 8)) {
    let outcome = 'refused';
    await guarded(`member ${member.index}`, async () => {
      outcome = await runMember(member, fromSource.members[member.index], `fuzz.a(${member.name})`, reuseSeedOutcomes);
    });
    members.push(outcome);
  }
  return { outcome: members.includes('linked') ? 'linked' : 'parsed', members };
}

async function runArchive(bytes) {
  return (await archiveVerdict(bytes)).outcome;
}

export const elfTargets = {
  elf: { description: 'ELF x86-64 relocatable objects', seeds: elfSeeds, run: runElf },
  archive: { description: 'GNU archives of ELF objects', seeds: archiveSeeds, run: runArchive },
};
