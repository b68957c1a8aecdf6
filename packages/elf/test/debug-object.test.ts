import * as path from 'node:path';
import { JITLinkError } from '@jitlink/core';
import { needs } from '@jitlink/test-support';
import { createElfLinkGraph, getElfGraphInfo, mergeElfLinkGraphs, parseElf, SHF_ALLOC, writeElfDebugObjects } from '../src/index.js';
import { corpusObjDir, corpusPresent, genericArch, readObject } from './helpers.js';

const debugDir = path.join(corpusObjDir, 'debug');

/** Places every block of the graph as an allocator would: at `base` + 0x1000 per block. */
function place(graph: ReturnType<typeof createElfLinkGraph>, base: number): void {
  let next = base;
  for (const block of graph.blockList()) {
    block.address = next;
    next += 0x1000;
  }
}

needs(corpusPresent).describe('ELF debug objects (-debugger-support)', () => {
  test('a copy of the object whose loaded sections hold their blocks\' addresses, every other byte unchanged', () => {
    const file = path.join(debugDir, 'debug_main.o');
    const bytes = readObject(file);
    const graph = createElfLinkGraph(bytes, genericArch(), { name: 'debug_main.o' });
    place(graph, 0x7f12_3450_0000);
    const [object, ...rest] = writeElfDebugObjects(graph);
    expect(rest).toHaveLength(0);
    expect(object!.name).toBe('debug_main.o');
    expect(object!.bytes).not.toBe(bytes);
    const original = parseElf(bytes, file);
    const patched = parseElf(object!.bytes, file);
    const info = getElfGraphInfo(graph)!;
    let loaded = 0;
    let changedBytes = 0;
    for (const sec of patched.sections) {
      const block = info.sourceObjects[0]!.blocksByIndex[sec.index];
      if (block !== undefined) {
        loaded++;
        expect(sec.flags & SHF_ALLOC).not.toBe(0);
        expect(sec.address).toBe(block.address);
      } else {
        // Debug sections, symbol and relocation tables keep their header as it was.
        expect(sec.address).toBe(original.sections[sec.index]!.address);
      }
    }
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== object!.bytes[i]) changedBytes++;
    expect(loaded).toBeGreaterThanOrEqual(3); // .text, .rodata.str, .eh_frame at least
    expect(changedBytes).toBeGreaterThan(0);
    expect(changedBytes).toBeLessThanOrEqual(loaded * 8);
    // The DWARF is kept for the debugger.
    expect(patched.sections.some((s) => s.name === '.debug_info')).toBe(true);
    expect(patched.sections.some((s) => s.name === '.rela.debug_info')).toBe(true);
  });

  test('a dead-stripped section keeps its address (0 in a relocatable object)', () => {
    const bytes = readObject(path.join(debugDir, 'debug_leaf.o'));
    const graph = createElfLinkGraph(bytes, genericArch(), { name: 'debug_leaf.o' });
    place(graph, 0x10000);
    const text = graph.findSectionByName('.text')!;
    const block = [...text.blocks][0]!;
    const inBlock: Parameters<typeof graph.removeDefinedSymbol>[0][] = [];
    graph.forEachDefinedSymbol((sym) => void (sym.block === block && inBlock.push(sym)));
    for (const sym of inBlock) graph.removeDefinedSymbol(sym);
    graph.removeBlock(block);
    const [object] = writeElfDebugObjects(graph);
    const patched = parseElf(object!.bytes, 'debug_leaf.o');
    expect(patched.sections.find((s) => s.name === '.text')!.address).toBe(0);
  });

  test('merged graphs give one debug object per object file', () => {
    const a = createElfLinkGraph(readObject(path.join(debugDir, 'debug_main.o')), genericArch(), { name: 'debug_main.o' });
    const b = createElfLinkGraph(readObject(path.join(debugDir, 'debug_leaf.o')), genericArch(), { name: 'debug_leaf.o' });
    const leafText = [...b.findSectionByName('.text')!.blocks][0]!;
    mergeElfLinkGraphs(a, b);
    place(a, 0x20000);
    const objects = writeElfDebugObjects(a);
    expect(objects.map((o) => o.name)).toEqual(['debug_main.o', 'debug_leaf.o']);
    const leaf = parseElf(objects[1]!.bytes, 'debug_leaf.o');
    expect(leaf.sections.find((s) => s.name === '.text')!.address).toBe(leafText.address);
  });

  test('a section header table cut off after linking is a JITLinkError naming the file and offset', () => {
    const bytes = readObject(path.join(debugDir, 'debug_leaf.o'));
    const graph = createElfLinkGraph(bytes, genericArch(), { name: 'debug_leaf.o' });
    place(graph, 0x10000);
    const source = getElfGraphInfo(graph)!.sourceObjects[0]!;
    (source as { bytes: Uint8Array }).bytes = bytes.subarray(0, bytes.length - 8);
    let error: unknown;
    try {
      writeElfDebugObjects(graph);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JITLinkError);
    expect((error as JITLinkError).file).toBe('debug_leaf.o');
    expect((error as JITLinkError).offset).toBeDefined();
  });
});
