import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createEHFrameEdgeFixerPass,
  createEHFrameNullTerminatorPass,
  createEHFrameSplitterPass,
  EdgeKinds,
  markAllSymbolsLive,
  prune,
  type Block,
  type LinkGraph,
} from '@jitlink/core';
import { createElfLinkGraph, discardElfComdatGroup, getElfComdatGroups, parseElf, sectionContent } from '../src/index.js';
import { corpusObjDir, corpusObjects, corpusPresent, genericArch, readObject } from './helpers.js';
import { debianLibrary, file, needs, tool } from '@jitlink/test-support';

// Edge kinds of the test architecture: R_X86_64_64 -> Pointer64, R_X86_64_PC32 -> Delta32.
const K = { pointer32: 10, pointer64: 11, delta32: 12, delta64: 13, negDelta32: 14 };

function ehArch() {
  const arch = genericArch();
  arch.addRelocationEdge = (rel, target, site) => {
    arch.seen++;
    const kind = rel.type === 1 ? K.pointer64 : rel.type === 2 ? K.delta32 : 100 + rel.type;
    site.block.addEdge(kind, site.offsetInBlock, target, rel.addend);
  };
  return arch;
}

function build(p: string): LinkGraph {
  return createElfLinkGraph(readObject(p), ehArch(), { name: p });
}

function runEHPasses(graph: LinkGraph): void {
  createEHFrameSplitterPass('.eh_frame')(graph);
  createEHFrameEdgeFixerPass('.eh_frame', 8, K)(graph);
}

/** Counts CIEs and FDEs by walking the raw section bytes. */
function countRecords(bytes: Uint8Array): { cies: number; fdes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let cies = 0;
  let fdes = 0;
  for (let at = 0; at < bytes.length; ) {
    const length = view.getUint32(at, true);
    if (length !== 0) {
      if (view.getUint32(at + 4, true) === 0) cies++;
      else fdes++;
    }
    at += 4 + length;
  }
  return { cies, fdes };
}

function ehBlocks(graph: LinkGraph): Block[] {
  return [...graph.findSectionByName('.eh_frame')!.blocks].sort((a, b) => a.address - b.address);
}

function isFDE(b: Block): boolean {
  const c = b.getContent();
  return c.length > 8 && new DataView(c.buffer, c.byteOffset).getUint32(4, true) !== 0;
}

function keepAliveSources(graph: LinkGraph): Map<Block, Block[]> {
  const m = new Map<Block, Block[]>();
  for (const b of graph.blocks()) {
    for (const e of b.edges) {
      if (e.kind !== EdgeKinds.KeepAlive) continue;
      const fde = e.target.block;
      m.set(fde, [...(m.get(fde) ?? []), b]);
    }
  }
  return m;
}

const objects = corpusObjects();
const describeCorpus = needs(corpusPresent).describe;

describeCorpus('eh-frame passes on test-corpus objects', () => {
  test('every object: one block per record, CIE pointer and pc-begin edges, a keep-alive per FDE', () => {
    let checked = 0;
    for (const p of objects) {
      const bytes = readObject(p);
      const elf = parseElf(bytes, p);
      const sec = elf.sections.find((s) => s.name === '.eh_frame');
      if (sec === undefined) continue;
      const expected = countRecords(sectionContent(elf, sec));
      const graph = build(p);
      runEHPasses(graph);
      const blocks = ehBlocks(graph);
      const fdes = blocks.filter(isFDE);
      expect(blocks.length).toBe(expected.cies + expected.fdes);
      expect(fdes.length).toBe(expected.fdes);
      const keepAlive = keepAliveSources(graph);
      for (const fde of fdes) {
        const cieEdges = fde.edges.filter((e) => e.offset === 4);
        expect(cieEdges.map((e) => e.kind)).toEqual([K.negDelta32]);
        expect(cieEdges[0]!.target.block.getContent()[4]).toBe(0);
        // pc-begin is relocated (PC32, or PC64 for the large code model).
        expect(fde.edges.some((e) => e.offset === 8 && e.kind !== EdgeKinds.KeepAlive)).toBe(true);
        expect(keepAlive.get(fde)).toHaveLength(1);
        expect(keepAlive.get(fde)![0]!.section.prot & 4).toBe(4); // an executable section
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  const fsec = path.join(corpusObjDir, 'gcc/O2-pic-small-fsec/multi/ops.o');
  needs(file(fsec)).test('an FDE lives exactly as long as its function; fixups give correct pointers', () => {
    const graph = build(fsec);
    runEHPasses(graph);
    createEHFrameNullTerminatorPass('.eh_frame')(graph);
    const opAdd = [...graph.definedSymbols()].find((s) => s.name === 'op_add')!;
    opAdd.live = true;
    prune(graph);
    const blocks = ehBlocks(graph);
    // CIE, op_add's FDE, terminator.
    expect(blocks.map((b) => b.size)).toEqual([blocks[0]!.size, blocks[1]!.size, 4]);
    expect(blocks[0]!.getContent()[4]).toBe(0);
    expect(isFDE(blocks[1]!)).toBe(true);

    // Lay out contiguously at a fake address and apply the eh-frame fixups.
    let address = 0x10000;
    for (const b of blocks) {
      b.address = address;
      address += b.size;
    }
    opAdd.block.address = 0x20000;
    const out = new Uint8Array(address - 0x10000);
    const view = new DataView(out.buffer);
    for (const b of blocks) {
      out.set(b.getContent(), b.address - 0x10000);
      for (const e of b.edges) {
        const P = b.address + e.offset;
        const T = e.target.address;
        const at = P - 0x10000;
        if (e.kind === K.negDelta32) view.setInt32(at, P - T + e.addend, true);
        else if (e.kind === K.delta32) view.setInt32(at, T - P + e.addend, true);
      }
    }
    const fdeAt = blocks[1]!.address - 0x10000;
    // CIE pointer: field address minus value = CIE address.
    expect(blocks[1]!.address + 4 - view.getUint32(fdeAt + 4, true)).toBe(blocks[0]!.address);
    // pc-begin (pcrel sdata4): field address plus value = op_add.
    expect(blocks[1]!.address + 8 + view.getInt32(fdeAt + 8, true)).toBe(opAdd.address);
    expect(view.getUint32(out.length - 4, true)).toBe(0);
  });

  const cxx = path.join(corpusObjDir, 'gcc/O2-pic-small/cxx/shapes.o');
  needs(file(cxx)).test('C++: personality and LSDA pointers have edges; discarded COMDAT functions lose their FDEs', () => {
    const graph = build(cxx);
    const groups = getElfComdatGroups(graph);
    const textGroups = groups.filter((g) => g.sections.some((s) => s.name.startsWith('.text.')));
    expect(textGroups.length).toBeGreaterThan(0);
    const fdesBefore = ehBlocksAfterPasses(build(cxx)).filter(isFDE).length;

    for (const g of textGroups) discardElfComdatGroup(graph, g);
    runEHPasses(graph);
    const cies = ehBlocks(graph).filter((b) => !isFDE(b));
    // A CIE with augmentation "zPLR" has an edge for its personality pointer.
    const withPersonality = cies.filter((c) => new TextDecoder().decode(c.getContent().subarray(9, 13)) === 'zPLR');
    expect(withPersonality.length).toBeGreaterThan(0);
    for (const c of withPersonality) expect(c.edges.length).toBe(1);
    // FDEs of functions with landing pads: CIE pointer, pc-begin and LSDA edges.
    const fdeRelocationCounts = ehBlocks(graph)
      .filter(isFDE)
      .map((b) => b.edges.filter((e) => e.kind !== EdgeKinds.KeepAlive).length);
    expect(fdeRelocationCounts).toContain(3);
    markAllSymbolsLive(graph);
    prune(graph);
    const fdesAfter = ehBlocks(graph).filter(isFDE).length;
    expect(fdesAfter).toBeLessThan(fdesBefore);
    expect(fdesAfter).toBeGreaterThan(0);
    for (const b of graph.blocks()) for (const e of b.edges) expect(e.target.inGraph).toBe(true);
  });
});

function ehBlocksAfterPasses(graph: LinkGraph): Block[] {
  runEHPasses(graph);
  return ehBlocks(graph);
}

const sqliteArchive = '/usr/lib/x86_64-linux-gnu/libsqlite3.a';
needs(debianLibrary(sqliteArchive), tool('ar', 'binutils')).test('every member of Debian libsqlite3.a: eh-frame records split and fixed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitlink-elf-eh-'));
  try {
    execFileSync('ar', ['x', sqliteArchive], { cwd: dir });
    let fdes = 0;
    let expectedFdes = 0;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.o'))) {
      const p = path.join(dir, f);
      const elf = parseElf(readObject(p), p);
      const sec = elf.sections.find((s) => s.name === '.eh_frame');
      if (sec !== undefined) expectedFdes += countRecords(sectionContent(elf, sec)).fdes;
      const graph = build(p);
      runEHPasses(graph);
      if (graph.findSectionByName('.eh_frame')) fdes += ehBlocks(graph).filter(isFDE).length;
    }
    expect(fdes).toBeGreaterThan(1000);
    expect(fdes).toBe(expectedFdes);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
