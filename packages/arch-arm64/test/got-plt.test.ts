/** The GOT/stub pass and the stub bypass on hand-built graphs. */
import { Linkage, MemProt, Scope, toBigInt } from '@jitlink/core';
import { aarch64CheckTables, AArch64EdgeKinds as K, decodeAArch64Word, STUB_SIZE, VENEER_SIZE, VENEERS_SECTION_NAME } from '../src/index.js';
import { aarch64Graph, linkGraphInSlab } from './helpers.js';

const BL = 0x94000000;
const ADRP_X0 = 0x90000000;
const LDR_X0 = 0xf9400000;

function callers(callees: string[]) {
  const graph = aarch64Graph('calls.o');
  const content = new Uint8Array(4 * callees.length + 8);
  const view = new DataView(content.buffer);
  callees.forEach((_, i) => view.setUint32(4 * i, BL, true));
  view.setUint32(4 * callees.length, ADRP_X0, true);
  view.setUint32(4 * callees.length + 4, LDR_X0, true);
  const block = graph.createContentBlock(graph.createSection('.text', MemProt.Read | MemProt.Exec), content, 0, 4, 0);
  graph.addDefinedSymbol(block, 0, 'main', content.length, Linkage.Strong, Scope.Default, true, true);
  const externals = new Map<string, ReturnType<typeof graph.addExternalSymbol>>();
  const ext = (n: string) => externals.get(n) ?? externals.set(n, graph.addExternalSymbol(n, 0)).get(n)!;
  callees.forEach((name, i) => block.appendEdge(K.Branch26PCRel, 4 * i, ext(name), 0));
  block.appendEdge(K.RequestGOTAndTransformToPage21, 4 * callees.length, ext('data'), 0);
  block.appendEdge(K.RequestGOTAndTransformToPageOffset12, 4 * callees.length + 4, ext('data'), 0);
  return graph;
}

describe('aarch64 GOT and stubs', () => {
  const absolutes = { near: 0x0100_0000, far: 0x1000_0000_0000, data: 0x2000_0000_0000 };

  it('gives each external one GOT entry, far callees a stub, and bypasses stubs of callees in reach', async () => {
    const graph = callers(['near', 'far', 'far']);
    const { error, checker } = await linkGraphInSlab(graph, { absolutes });
    expect(error).toBeUndefined();
    const tables = aarch64CheckTables(graph);
    expect([...tables.gotEntries.keys()].sort()).toEqual(['data', 'far', 'near']);
    expect([...tables.stubs.keys()].sort()).toEqual(['far', 'near']);
    const main = checker.symbolAddress('main')!;
    const word = (a: bigint) => new DataView(checker.contentAt(a)!.buffer, checker.contentAt(a)!.byteOffset, 4).getUint32(0, true);
    const branchTarget = (a: bigint) => a + 4n * (decodeAArch64Word(word(a)).operands[0] as bigint);
    // near: within ±128 MiB, called directly; far: through its stub (both calls).
    expect(branchTarget(main)).toBe(toBigInt(absolutes.near));
    expect(branchTarget(main + 4n)).toBe(tables.stubs.get('far'));
    expect(branchTarget(main + 8n)).toBe(tables.stubs.get('far'));
    // The stubs are 12 bytes apart, each ending in br x16.
    const stubs = [...tables.stubs.values()].sort();
    expect(stubs[1]! - stubs[0]!).toBe(BigInt(STUB_SIZE));
    // adrp + ldr of the data's GOT entry.
    const adrp = decodeAArch64Word(word(main + 12n));
    const ldr = decodeAArch64Word(word(main + 16n));
    const entry = tables.gotEntries.get('data')!;
    expect((((main + 12n) >> 12n) + (adrp.operands[1] as bigint)) << 12n).toBe((entry >> 12n) << 12n);
    expect((ldr.operands[2] as bigint) * 8n).toBe(entry & 0xfffn);
    expect(new DataView(checker.contentAt(entry)!.buffer, checker.contentAt(entry)!.byteOffset).getBigUint64(0, true)).toBe(
      toBigInt(absolutes.data),
    );
  });

  it('an absolute callee out of reach is called through a stub', async () => {
    const graph = aarch64Graph('far-def.o');
    const text = graph.createSection('.text', MemProt.Read | MemProt.Exec);
    const content = new Uint8Array(4);
    new DataView(content.buffer).setUint32(0, BL, true);
    const block = graph.createContentBlock(text, content, 0, 4, 0);
    graph.addDefinedSymbol(block, 0, 'main', 4, Linkage.Strong, Scope.Default, true, true);
    const far = graph.addAbsoluteSymbol('far_abs', 0x1000_0000_0000, 0, Linkage.Strong, Scope.Default, true);
    block.appendEdge(K.Branch26PCRel, 0, far, 0);
    // An absolute callee is not defined in the graph: it gets a stub, so this links.
    expect((await linkGraphInSlab(graph)).error).toBeUndefined();
  });
});

describe('aarch64Tools (what the ELF backend gives tools)', () => {
  it('finds GOT entries and stubs by target name, formats graphs by triple, decodes instructions', async () => {
    const { createElfBackend } = await import('@jitlink/elf');
    const { aarch64Elf } = await import('../src/elf/index.js');
    const backend = createElfBackend(aarch64Elf);
    const graph = callers(['far']);
    expect((await linkGraphInSlab(graph, { absolutes: { far: 0x1000_0000_0000, data: 0x2000 } })).error).toBeUndefined();
    const tables = aarch64CheckTables(graph);
    expect(toBigInt(backend.findTableEntry!(graph, 'stub', 'far')!.address)).toBe(tables.stubs.get('far'));
    expect(toBigInt(backend.findTableEntry!(graph, 'got', 'data')!.address)).toBe(tables.gotEntries.get('data'));
    expect(backend.findTableEntry!(graph, 'stub', 'data')).toBeUndefined();
    expect(backend.graphFormat!('aarch64-unknown-linux-gnu').endianness).toBe('little');
    expect(backend.graphFormat!('aarch64_be-unknown-linux-gnu').endianness).toBe('big');
    expect(() => backend.graphFormat!('x86_64-unknown-linux-gnu')).toThrow(/not an AArch64 triple/);
    expect(backend.instructionDecoder!.decode(Uint8Array.of(0x00, 0x02, 0x1f, 0xd6), 0n).mnemonic).toBe('br');
  });
});

describe('veneer reservation', () => {
  /** main in .text calls callee in `calleeSection` (created with `prot`); returns the linked graph. */
  async function link(prot: MemProt, calleeSize = 4) {
    const graph = aarch64Graph('reserve.o');
    const text = graph.createSection('.text', MemProt.Read | MemProt.Exec);
    const content = new Uint8Array(4);
    new DataView(content.buffer).setUint32(0, BL, true);
    const block = graph.createContentBlock(text, content, 0, 4, 0);
    graph.addDefinedSymbol(block, 0, 'main', 4, Linkage.Strong, Scope.Default, true, true);
    const other = graph.createSection('.text.other', prot);
    const calleeBlock = graph.createZeroFillBlock(other, calleeSize, 0, 4, 0);
    const callee = graph.addDefinedSymbol(calleeBlock, 0, 'callee', 4, Linkage.Strong, Scope.Default, true, true);
    block.appendEdge(K.Branch26PCRel, 0, callee, 0);
    const result = await linkGraphInSlab(graph, { slabSize: 256 * 1024 * 1024 });
    expect(result.error).toBeUndefined();
    return graph;
  }
  const veneerSlots = (graph: ReturnType<typeof aarch64Graph>) => {
    const section = graph.findSectionByName(VENEERS_SECTION_NAME);
    return section === undefined ? 0 : [...section.blocks].reduce((n, b) => n + b.size / VENEER_SIZE, 0);
  };

  it('reserves nothing for a callee in the same segment when the segment spans less than the reach', async () => {
    expect(veneerSlots(await link(MemProt.Read | MemProt.Exec))).toBe(0);
  });
  it('reserves a slot when the segment may span more than ±128 MiB', async () => {
    expect(veneerSlots(await link(MemProt.Read | MemProt.Exec, 130 * 1024 * 1024))).toBe(1);
  });
  it('reserves a slot for a callee in another segment', async () => {
    expect(veneerSlots(await link(MemProt.Read | MemProt.Write | MemProt.Exec))).toBe(1);
  });
});
