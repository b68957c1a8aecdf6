import { Linkage, Scope, SlabMemoryManager, type Block, type LinkGraph, type Symbol } from '@jitlink/core';
import { X86_64EdgeKinds as K } from '../src/index.js';
import { codeBlock, dataSection, hex, linkOk, readLE, textSection, x86Graph } from './helpers.js';

const HIGH_BASE = -0x8000_0000_0000; // 0xffff800000000000
const FAR = 0x7f12_3456_7000;

function i32(bytes: Uint8Array, offset: number): number {
  return Number(BigInt.asIntN(32, readLE(bytes, offset, 4)));
}

interface Site {
  graph: LinkGraph;
  code: Block;
  /** The GOT-load target: a data symbol defined in the graph, or an external. */
  target: Symbol;
}

/** Code with one GOT-relative instruction whose disp32 starts at `dispOffset`. */
function site(bytes: number[], dispOffset: number, kind: number, external = false): Site {
  const graph = x86Graph('relax.o');
  const { block: code } = codeBlock(graph, [...bytes, 0xc3]);
  let target: Symbol;
  if (external) target = graph.addExternalSymbol('ext_data', 0);
  else {
    const data = graph.createMutableContentBlock(dataSection(graph), new Uint8Array(16), 0, 8, 0);
    target = graph.addDefinedSymbol(data, 8, 'data', 8, Linkage.Strong, Scope.Default, false, true);
  }
  code.addEdge(kind, dispOffset, target, 0);
  return { graph, code, target };
}

describe('GOT load relaxation', () => {
  it('turns mov foo@GOTPCREL(%rip), %rax into lea foo(%rip), %rax', async () => {
    // 48 8b 05 <disp32>   movq foo@GOTPCREL(%rip), %rax
    const s = site([0x48, 0x8b, 0x05, 0, 0, 0, 0], 3, K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable);
    await linkOk(s.graph);
    const c = s.code.getContent();
    expect(hex(c.subarray(0, 3))).toBe('48 8d 05');
    expect(i32(c, 3)).toBe(s.target.address - (s.code.address + 7));
    expect(s.code.edges[0]!.kind).toBe(K.PCRel32);
    expect(s.code.edges[0]!.target).toBe(s.target);
  });

  it('turns a REX-less mov into lea, keeping the register', async () => {
    // 8b 0d <disp32>   movl foo@GOTPCREL(%rip), %ecx
    const s = site([0x8b, 0x0d, 0, 0, 0, 0], 2, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable);
    await linkOk(s.graph);
    const c = s.code.getContent();
    expect(hex(c.subarray(0, 2))).toBe('8d 0d');
    expect(i32(c, 2)).toBe(s.target.address - (s.code.address + 6));
  });

  it('turns call *foo@GOTPCREL(%rip) into addr32 call foo with a PC-relative displacement', async () => {
    // ff 15 <disp32>   call *foo@GOTPCREL(%rip)
    const s = site([0xff, 0x15, 0, 0, 0, 0], 2, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable);
    await linkOk(s.graph);
    const c = s.code.getContent();
    expect(hex(c.subarray(0, 2))).toBe('67 e8');
    // Relative to the next instruction, not the target's absolute address.
    expect(i32(c, 2)).toBe(s.target.address - (s.code.address + 6));
    expect(s.code.edges[0]!.kind).toBe(K.BranchPCRel32);
  });

  it('turns jmp *foo@GOTPCREL(%rip) into jmp foo; nop', async () => {
    // ff 25 <disp32>   jmp *foo@GOTPCREL(%rip)
    const s = site([0xff, 0x25, 0, 0, 0, 0], 2, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable);
    await linkOk(s.graph);
    const c = s.code.getContent();
    expect(c[0]).toBe(0xe9);
    expect(i32(c, 1)).toBe(s.target.address - (s.code.address + 5));
    expect(c[5]).toBe(0x90);
    expect(c[6]).toBe(0xc3);
    expect(s.code.edges[0]!.offset).toBe(1);
  });

  it('relaxes jmp exactly while the target is within int32 of the end of the 5-byte jmp', async () => {
    // The relaxed jmp's displacement starts one byte before the GOT load's: it is relative to
    // disp + 3, not disp + 4. Targets one byte beyond either end must keep the GOT load.
    const memory = () => new SlabMemoryManager({ size: 0x10_0000, baseAddress: 0x1_0000_0000 });
    const jmpSite = () => site([0xff, 0x25, 0, 0, 0, 0], 2, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable, true);
    const probe = jmpSite();
    await linkOk(probe.graph, { memory: memory(), symbols: new Map([['ext_data', FAR]]) });
    const end = probe.code.address + 5;
    for (const [target, relaxed] of [
      [end + 0x7fff_ffff, true],
      [end + 0x8000_0000, false],
      [end - 0x8000_0000, true],
      [end - 0x8000_0001, false],
    ] as const) {
      const s = jmpSite();
      await linkOk(s.graph, { memory: memory(), symbols: new Map([['ext_data', target]]) });
      expect(s.code.address).toBe(probe.code.address);
      const c = s.code.getContent();
      if (relaxed) {
        expect([c[0], c[5]]).toEqual([0xe9, 0x90]);
        expect(i32(c, 1)).toBe(target - end);
      } else {
        expect(hex(c.subarray(0, 2))).toBe('ff 25');
      }
    }
  });

  it('keeps test/binop forms as GOT loads', async () => {
    // 48 85 05 <disp32>   testq %rax, foo@GOTPCREL(%rip)
    const s = site([0x48, 0x85, 0x05, 0, 0, 0, 0], 3, K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable);
    await linkOk(s.graph);
    const c = s.code.getContent();
    expect(hex(c.subarray(0, 3))).toBe('48 85 05');
    const entry = s.code.edges[0]!.target;
    expect(s.code.edges[0]!.kind).toBe(K.PCRel32GOTLoadREXRelaxable);
    expect(i32(c, 3)).toBe(entry.address - (s.code.address + 7));
    expect(readLE(entry.block.getContent(), 0, 8)).toBe(BigInt(s.target.address));
  });

  it('does not rewrite call/jmp for the REX kind', async () => {
    const s = site([0x41, 0xff, 0x15, 0, 0, 0, 0], 3, K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable);
    await linkOk(s.graph);
    expect(hex(s.code.getContent().subarray(0, 3))).toBe('41 ff 15');
    expect(s.code.edges[0]!.kind).toBe(K.PCRel32GOTLoadREXRelaxable);
  });

  it('keeps the GOT load when the target is out of int32 range', async () => {
    for (const [bytes, offset, kind] of [
      [[0x48, 0x8b, 0x05, 0, 0, 0, 0], 3, K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable],
      [[0xff, 0x15, 0, 0, 0, 0], 2, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable],
      [[0xff, 0x25, 0, 0, 0, 0], 2, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable],
    ] as const) {
      const s = site([...bytes], offset, kind, true);
      await linkOk(s.graph, { symbols: new Map([['ext_data', FAR]]) });
      const c = s.code.getContent();
      expect(hex(c.subarray(0, offset))).toBe(hex(Uint8Array.from(bytes.slice(0, offset))));
      const entry = s.code.edges[0]!.target;
      expect(i32(c, offset)).toBe(entry.address - (s.code.address + offset + 4));
      expect(readLE(entry.block.getContent(), 0, 8)).toBe(BigInt(FAR));
    }
  });

  it('relaxes a resolved external that lies in range', async () => {
    const s = site(
      [0x48, 0x8b, 0x05, 0, 0, 0, 0],
      3,
      K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable,
      true,
    );
    await linkOk(s.graph, { symbols: new Map([['ext_data', 0x40_0000]]) });
    const c = s.code.getContent();
    expect(hex(c.subarray(0, 3))).toBe('48 8d 05');
    expect(i32(c, 3)).toBe(0x40_0000 - (s.code.address + 7));
  });

  it('does not relax when the addend is not zero', async () => {
    const s = site([0x48, 0x8b, 0x05, 0, 0, 0, 0], 3, K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable);
    s.code.edges[0]!.addend = -4;
    await linkOk(s.graph);
    expect(s.code.getContent()[1]).toBe(0x8b);
  });

  it('relaxes exactly in high-half memory', async () => {
    const s = site([0xff, 0x15, 0, 0, 0, 0], 2, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable);
    await linkOk(s.graph, { memory: new SlabMemoryManager({ size: 0x10_0000, baseAddress: HIGH_BASE }) });
    expect(s.code.address).toBeLessThan(0);
    const c = s.code.getContent();
    expect(hex(c.subarray(0, 2))).toBe('67 e8');
    expect(i32(c, 2)).toBe(s.target.address - (s.code.address + 6));
  });

  it('leaves borrowed input bytes untouched', async () => {
    const graph = x86Graph();
    const input = Uint8Array.from([0x48, 0x8b, 0x05, 0, 0, 0, 0]);
    const code = graph.createContentBlock(textSection(graph), input, 0, 16, 0);
    graph.addDefinedSymbol(code, 0, 'f', 7, Linkage.Strong, Scope.Default, true, true);
    const data = graph.createMutableContentBlock(dataSection(graph), new Uint8Array(8), 0, 8, 0);
    const target = graph.addDefinedSymbol(data, 0, 'd', 8, Linkage.Strong, Scope.Default, false, true);
    code.addEdge(K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable, 3, target, 0);
    await linkOk(graph);
    expect(code.getContent()[1]).toBe(0x8d);
    expect(input[1]).toBe(0x8b);
  });
});
