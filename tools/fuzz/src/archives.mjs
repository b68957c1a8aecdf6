/**
 * The archive-formats target: archives written by llvm-ar-19 in each layout
 * it writes (test-corpus/obj/archive-elf, from build-archives.sh): GNU with a
 * "/" or "/SYM64/" index, BSD with "__.SYMDEF" and "#1/<len>" names, Darwin
 * with "__.SYMDEF_64", and the BSD archive past 4 GiB ("/SYM64/" over "#1/"
 * names). The layout is read from each seed's own headers; the oracle is the
 * archive target's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArchive } from '@jitlink/core';
import { field } from './mutate.mjs';
import { archiveVerdict, elfLayout, rememberSeedMember, repoRoot } from './targets.mjs';

const SEED_DIR = 'test-corpus/obj/archive-elf';
const HEADER_SIZE = 60;
const BSD_LONG_NAME = '#1/';
/** Index entries mutated one by one (the rest by bit flips, copies and truncation). */
const MAX_ENTRIES = 64;

const ascii = (bytes, at, width) => new TextDecoder('latin1').decode(bytes.subarray(at, at + width));

/** The kind of a special member by its name: which index layout, or the GNU long-name table. */
function specialKind(name) {
  if (name === '/') return { word: 4, be: true };
  if (name === '/SYM64/') return { word: 8, be: true };
  if (name === '__.SYMDEF' || name === '__.SYMDEF SORTED') return { word: 4, be: false };
  if (name === '__.SYMDEF_64' || name === '__.SYMDEF_64 SORTED') return { word: 8, be: false };
  if (name === '//') return 'long-names';
  return undefined;
}

/**
 * The fields of an archive, walked from its member headers: every header's
 * ASCII fields (date, uid, gid, mode, size, a "#1/" name's length) and
 * terminator; names, "#1/" long names and the long-name table as strings;
 * the symbol index's counts, sizes and (strx,) offset words and its string
 * table; and the ELF structure of the first ordinary member.
 */
export function archiveLayout(bytes) {
  const fields = [];
  const strings = [];
  let firstMember;
  for (let at = 8; at + HEADER_SIZE <= bytes.length; ) {
    const rawName = ascii(bytes, at, 16).trimEnd();
    const size = Number(ascii(bytes, at + 48, 10).trim());
    if (!Number.isSafeInteger(size)) break;
    let data = at + HEADER_SIZE;
    let dataSize = size;
    let name = rawName;
    if (rawName.startsWith(BSD_LONG_NAME)) {
      const nameLength = Number(rawName.slice(BSD_LONG_NAME.length));
      fields.push({ ...field(at + 3, 13), ascii: true });
      strings.push([data, data + nameLength]);
      name = ascii(bytes, data, nameLength).replace(/\0+$/, '');
      data += nameLength;
      dataSize -= nameLength;
    } else {
      strings.push([at, at + 16]);
    }
    for (const [offset, width] of [[16, 12], [28, 6], [34, 6], [40, 8], [48, 10], [48, 10]]) fields.push({ ...field(at + offset, width), ascii: true });
    fields.push(field(at + 58, 2));
    const kind = specialKind(name);
    if (kind === 'long-names') strings.push([data, data + dataSize]);
    else if (kind) indexLayout(bytes, data, dataSize, kind, fields, strings);
    else if (firstMember === undefined) firstMember = bytes.subarray(data, data + dataSize);
    const end = at + HEADER_SIZE + size;
    at = end + (end & 1);
  }
  if (firstMember) {
    const inner = elfLayout(firstMember, firstMember.byteOffset - bytes.byteOffset);
    fields.push(...inner.fields);
    strings.push(...inner.strings);
  }
  return { fields, strings };
}

/**
 * A symbol index's fields. GNU: big-endian count, `count` member offsets,
 * names. BSD: little-endian byte size of the (strx, offset) pairs, the pairs,
 * the string table's size, the strings. Counts and sizes are listed twice.
 */
function indexLayout(bytes, at, size, { word, be }, fields, strings) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (offset) => Number(word === 4 ? view.getUint32(offset, !be) : view.getBigUint64(offset, !be));
  const f = (offset) => ({ ...field(offset, word), be });
  fields.push(f(at), f(at));
  if (be) {
    const count = read(at);
    for (let i = 0; i < Math.min(count, MAX_ENTRIES); i++) fields.push(f(at + word + i * word));
    strings.push([at + word + count * word, at + size]);
    return;
  }
  const pairsSize = read(at);
  for (let i = 0; i < Math.min(pairsSize / (2 * word), MAX_ENTRIES); i++) {
    fields.push(f(at + word + 2 * word * i), f(at + 2 * word + 2 * word * i));
  }
  const stringsSizeAt = at + word + pairsSize;
  fields.push(f(stringsSizeAt), f(stringsSizeAt));
  strings.push([stringsSizeAt + word, stringsSizeAt + word + read(stringsSizeAt)]);
}

function archiveFormatSeeds() {
  const dir = path.join(repoRoot, SEED_DIR);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.a')).sort().map((file) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, file)));
    // The oracle names members as the parser does; an unchanged member keeps its seed's outcome.
    for (const member of parseArchive(bytes, file).members) rememberSeedMember(`fuzz.a(${member.name})`, member.data);
    return { name: `${SEED_DIR}/${file}`, bytes, ...archiveLayout(bytes) };
  });
}

export const archiveFormatTargets = {
  'archive-formats': {
    description: 'archives written by llvm-ar-19: GNU "/" and "/SYM64/", BSD "__.SYMDEF" with "#1/" names, Darwin "__.SYMDEF_64"',
    seeds: archiveFormatSeeds,
    run: async (bytes) => (await archiveVerdict(bytes)).outcome,
    missing: () => `no archives in ${SEED_DIR} (bash test-corpus/build-archives.sh)`,
  },
};
