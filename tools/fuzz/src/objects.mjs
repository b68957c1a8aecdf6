/**
 * Fuzz targets for MachO (thin and universal) and COFF (regular and bigobj)
 * objects: seeds from the corpus, the fields their mutations address (read
 * from the seed's own headers and tables), and oracles that parse, build,
 * read definitions and link into a slab through the same backends the
 * `jitlink` command registers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendRegistry } from '@jitlink/core';
import { createMachOBackend, parseMachO, readRelocations, readUniversalSlices } from '@jitlink/macho';
import { createCoffBackend, parseCoff } from '@jitlink/coff';
import { x86_64MachO } from '@jitlink/arch-x86-64/macho';
import { x86_64Coff } from '@jitlink/arch-x86-64/coff';
import { field } from './mutate.mjs';
import { guarded, linkWithTarget, repoRoot } from './targets.mjs';

const registry = new BackendRegistry();
registry.register(createMachOBackend(x86_64MachO));
registry.register(createCoffBackend(x86_64Coff));

/** Files under `dir` (recursively, sorted) whose names end with `ext`. */
function filesUnder(dir, ext) {
  const found = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(ext)) found.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return found;
}

/** Builds and links through the registry (the sniffer picks the backend), then reads the definitions alone. */
async function linkThroughRegistry(bytes, name, arch) {
  let linked = false;
  await guarded('createLinkGraph', async () => {
    const graph = registry.createLinkGraph(bytes, { name, arch });
    linked = await guarded('link', () => linkWithTarget(graph, registry.forGraph(graph)));
  });
  await guarded('readObjectDefinitions', () => registry.readObjectDefinitions(bytes, { name, arch }));
  return linked;
}

// --- MachO -----------------------------------------------------------------

const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_DYSYMTAB = 0xb;
const LC_BUILD_VERSION = 0x32;
const LC_LINKER_OPTION = 0x2d;

/** The fields of a thin 64-bit little-endian MachO object at `base`: header, load commands, sections, symbols, relocations, strings. */
export function machoLayout(bytes, base = 0) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at) => view.getUint32(base + at, true);
  const fields = [];
  const strings = [];
  const add = (at, width, times = 1) => {
    for (let i = 0; i < times; i++) fields.push(field(base + at, width));
  };
  for (let at = 0; at < 32; at += 4) add(at, 4);
  const commands = u32(16);
  let at = 32;
  for (let i = 0; i < commands && at + 8 <= 32 + u32(20); i++) {
    const cmd = u32(at);
    const size = u32(at + 4);
    add(at, 4);
    add(at + 4, 4, 2); // cmdsize: the bound of everything in the command
    if (cmd === LC_SEGMENT_64) {
      strings.push([base + at + 8, base + at + 24]);
      for (let o = 24; o < 56; o += 8) add(at + o, 8);
      for (let o = 56; o < 72; o += 4) add(at + o, 4);
      for (let s = 0; s < u32(at + 64) && 72 + (s + 1) * 80 <= size; s++) {
        const h = at + 72 + s * 80;
        strings.push([base + h, base + h + 16], [base + h + 16, base + h + 32]);
        add(h + 32, 8);
        add(h + 40, 8, 2); // size: zero-fill sizes are the huge-.bss case
        for (let o = 48; o < 80; o += 4) add(h + o, 4);
        // The first relocation entries: address, and word 1 whole and as symbolnum / flag byte.
        const reloff = u32(h + 56);
        for (let r = 0; r < Math.min(64, u32(h + 60)); r++) {
          const e = reloff + r * 8;
          if (base + e + 8 > bytes.length) break;
          add(e, 4);
          add(e + 4, 4);
          add(e + 4, 3);
          add(e + 7, 1, 2);
        }
      }
    } else if (cmd === LC_SYMTAB) {
      for (let o = 8; o < 24; o += 4) add(at + o, 4, 2);
      const [symoff, nsyms, stroff, strsize] = [u32(at + 8), u32(at + 12), u32(at + 16), u32(at + 20)];
      for (let k = 0; k < Math.min(64, nsyms); k++) {
        const e = symoff + k * 16;
        if (base + e + 16 > bytes.length) break;
        add(e, 4);
        add(e + 4, 1, 2);
        add(e + 5, 1, 2);
        add(e + 6, 2);
        add(e + 8, 8);
      }
      if (strsize > 0) strings.push([base + stroff, base + stroff + strsize]);
    } else if (cmd === LC_DYSYMTAB) {
      for (let o = 8; o < 80; o += 4) add(at + o, 4);
    } else if (cmd === LC_BUILD_VERSION) {
      for (let o = 8; o < Math.min(size, 32); o += 4) add(at + o, 4);
    } else if (cmd === LC_LINKER_OPTION) {
      add(at + 8, 4, 2);
      strings.push([base + at + 12, base + at + size]);
    } else {
      for (let o = 8; o < Math.min(size, 40); o += 4) add(at + o, 4);
    }
    if (size < 8) break;
    at += size;
  }
  return { fields, strings };
}

/** The big-endian fat header and its architecture entries, then each slice's own layout. */
export function universalLayout(bytes) {
  const fields = [{ ...field(0, 4), be: true }, { ...field(4, 4), be: true }, { ...field(4, 4), be: true }];
  const strings = [];
  for (const slice of readUniversalSlices(bytes, 'seed.o')) {
    for (let o = 0; o < 20; o += 4) fields.push({ ...field(slice.entryOffset + o, 4), be: true });
    const inner = machoLayout(bytes, slice.offset);
    fields.push(...inner.fields);
    strings.push(...inner.strings);
  }
  return { fields, strings };
}

function isUniversal(bytes) {
  return bytes.length >= 4 && bytes[0] === 0xca && bytes[1] === 0xfe && bytes[2] === 0xba && bytes[3] === 0xbe;
}

/** Every MachO object of the corpus (x86-64 and arm64, thin and universal) up to 64 KiB. */
function machoSeeds(limit = 64) {
  const seeds = [];
  for (const p of filesUnder(path.join(repoRoot, 'test-corpus/obj-macho'), '.o')) {
    const bytes = new Uint8Array(fs.readFileSync(p));
    if (bytes.length > 64 * 1024) continue;
    const layout = isUniversal(bytes) ? universalLayout(bytes) : machoLayout(bytes);
    seeds.push({ name: path.relative(repoRoot, p), bytes, ...layout });
    if (seeds.length === limit) break;
  }
  return seeds;
}

/** Parses a thin MachO object and decodes every section's relocations (any architecture). */
function parseThinMachO(bytes, name) {
  const m = parseMachO(bytes, name);
  for (const section of m.sections) readRelocations(m, section);
}

/**
 * The MachO oracle: the reader alone (every slice, every relocation table),
 * then, for x86-64 (the slice the registry picks with arch x86_64), graph,
 * definitions and a slab link.
 */
async function runMachO(bytes, name = 'fuzz.o') {
  let parsed = false;
  await guarded('parseMachO', () => {
    if (isUniversal(bytes)) {
      for (const s of readUniversalSlices(bytes, name)) parseThinMachO(bytes.subarray(s.offset, s.offset + s.size), name);
    } else parseThinMachO(bytes, name);
    parsed = true;
  });
  const linked = await linkThroughRegistry(bytes, name, 'x86_64');
  return linked ? 'linked' : parsed ? 'parsed' : 'rejected';
}

// --- COFF ------------------------------------------------------------------

/** The fields of a COFF object (regular or bigobj): header, section table, relocations, symbols and aux records, string table. */
export function coffLayout(bytes) {
  const coff = parseCoff(bytes, 'seed.obj');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const big = coff.header.bigobj;
  const fields = [];
  const strings = [];
  const add = (at, width, times = 1) => {
    for (let i = 0; i < times; i++) fields.push(field(at, width));
  };
  if (big) {
    for (const [at, w] of [[0, 2], [2, 2], [4, 2], [6, 2], [8, 4], [12, 4], [28, 4], [32, 4], [36, 4], [40, 4]]) add(at, w);
    add(44, 4, 2);
    add(48, 4, 2);
    add(52, 4, 2);
  } else {
    for (const [at, w] of [[0, 2], [4, 4], [16, 2], [18, 2]]) add(at, w);
    add(2, 2, 2);
    add(8, 4, 2);
    add(12, 4, 2);
  }
  for (const s of coff.sections) {
    const h = s.headerOffset;
    strings.push([h, h + 8]);
    for (let o = 8; o < 32; o += 4) add(h + o, 4, o === 16 || o === 20 || o === 24 ? 2 : 1);
    add(h + 32, 2, 2);
    add(h + 34, 2);
    add(h + 36, 4, 2);
    for (const r of s.relocations.slice(0, 64)) {
      add(r.entryOffset, 4);
      add(r.entryOffset + 4, 4);
      add(r.entryOffset + 8, 2, 2);
    }
    // The linker directives are text the reader parses.
    if (s.name === '.drectve' && s.sizeOfRawData > 0) strings.push([s.pointerToRawData, s.pointerToRawData + s.sizeOfRawData]);
  }
  const size = coff.header.symbolSize;
  let records = 0;
  for (const sym of coff.symbols) {
    if (sym === undefined || records++ >= 128) continue;
    const at = sym.entryOffset;
    add(at, 4);
    add(at + 4, 4);
    add(at + 8, 4);
    add(at + 12, big ? 4 : 2, 2);
    const after = at + (big ? 16 : 14);
    add(after, 2);
    add(after + 2, 1, 2);
    add(after + 3, 1, 2);
    // Auxiliary records: section definitions (length, counts, checksum, number, selection, high number) and weak externals.
    for (let k = 1; k <= sym.numberOfAuxSymbols; k++) {
      const aux = at + k * size;
      for (const [o, w] of [[0, 4], [4, 2], [6, 2], [8, 4], [12, 2], [14, 1], [16, 2]]) add(aux + o, w);
      add(aux + 4, 4);
    }
  }
  const symbolTableEnd = coff.header.pointerToSymbolTable + coff.header.numberOfSymbols * size;
  if (symbolTableEnd + 4 <= bytes.length) {
    add(symbolTableEnd, 4, 2);
    strings.push([symbolTableEnd + 4, Math.min(bytes.length, symbolTableEnd + view.getUint32(symbolTableEnd, true))]);
  }
  return { fields, strings };
}

/** Every COFF object of the corpus (clang, mingw, bigobj, assembler tests). */
function coffSeeds(limit = 64) {
  const seeds = [];
  for (const p of filesUnder(path.join(repoRoot, 'test-corpus/obj'), '.obj')) {
    const bytes = new Uint8Array(fs.readFileSync(p));
    if (bytes.length > 64 * 1024) continue;
    seeds.push({ name: path.relative(repoRoot, p), bytes, ...coffLayout(bytes) });
    if (seeds.length === limit) break;
  }
  return seeds;
}

/** The COFF oracle: the reader alone, then graph, definitions and a slab link through the registry. */
async function runCoff(bytes, name = 'fuzz.obj') {
  const parsed = await guarded('parseCoff', () => parseCoff(bytes, name));
  const linked = await linkThroughRegistry(bytes, name, undefined);
  return linked ? 'linked' : parsed ? 'parsed' : 'rejected';
}

export const objectTargets = {
  macho: { description: 'MachO objects, thin (x86-64, arm64) and universal', seeds: machoSeeds, run: runMachO },
  coff: { description: 'COFF x86-64 objects, regular and bigobj', seeds: coffSeeds, run: runCoff },
};
