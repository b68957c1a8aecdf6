/**
 * MachO/x86-64: X86_64_RELOC_* onto the shared edge kinds, on the llvm-mc-19
 * and clang-19 objects of the MachO corpus; relocation errors; fuzzing with
 * the real relocation mapping.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EdgeKinds, JITLinkError, setThreadLocalResolver, type Block, type LinkGraph } from '@jitlink/core';
import { createMachOLinkGraph, parseMachO, readRelocations } from '@jitlink/macho';
import { X86_64_EDGE_KIND_INFO, X86_64EdgeKinds as K } from '../src/index.js';
import { TLV_GET_ADDR, X86_64_RELOC, x86_64MachO, x86_64MachORelocationTypeName } from '../src/macho/index.js';
import { lowerThreadVariableOffsets, retargetThreadVariableDescriptors } from '../src/macho/tlv.js';

const CORPUS = resolve(__dirname, '../../../test-corpus/obj-macho');
const read = (rel: string) => new Uint8Array(readFileSync(join(CORPUS, rel)));
const build = (rel: string, bytes = read(rel)) => createMachOLinkGraph(bytes, x86_64MachO, { name: rel });

function blockOf(graph: LinkGraph, name: string): { block: Block; offset: number } {
  const sym = [...graph.definedSymbols()].find((s) => s.name === name)!;
  return { block: sym.block, offset: sym.offset };
}

/** Kind, target name and addend of the edges in `name`'s block, at or after its offset. */
function edgesOf(graph: LinkGraph, name: string): [string, string | undefined, number][] {
  const { block, offset } = blockOf(graph, name);
  return block.edges
    .filter((e) => e.offset >= offset)
    .sort((a, b) => a.offset - b.offset)
    .map((e) => [graph.getEdgeKindName(e.kind), e.target.name, e.addend]);
}

describe('X86_64_RELOC_* become the shared x86-64 kinds', () => {
  test('BRANCH: a call that a stub may serve and relaxation may bypass', () => {
    const g = build('asm/x86_64/X86_64_RELOC_BRANCH.o');
    expect(edgesOf(g, '_call_far')[0]).toEqual(['BranchPCRel32ToPtrJumpStubBypassable', '_extern_far', 0]);
  });

  test('GOT_LOAD: a relaxable REX GOT load; GOT: a plain GOT delta', () => {
    expect(edgesOf(build('asm/x86_64/X86_64_RELOC_GOT_LOAD.o'), '_load_far')[0]).toEqual([
      'RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable',
      '_extern_far',
      0,
    ]);
    expect(edgesOf(build('asm/x86_64/X86_64_RELOC_GOT.o'), '_push_got')[0]).toEqual(['RequestGOTAndTransformToDelta32', '_extern_near', -4]);
  });

  test('SIGNED_N without a symbol: the target is found by address, measured from the end of the immediate', () => {
    const g = build('asm/x86_64/X86_64_RELOC_SIGNED.o');
    // Delta32 is T - P + A; the displacement is (_data + 4) - (P + 4 + N) for N bytes of immediate.
    expect(edgesOf(g, '_store4_anon')[0]).toEqual(['Delta32', '_data', 4 - 4 - 4]);
    expect(edgesOf(g, '_store1_anon')[0]).toEqual(['Delta32', '_data', 4 - 4 - 1]);
    // The first byte of a section without symbols: its block's anonymous start symbol; the
    // displacement field alone (P + 4 + stored) would point 4 bytes before the section.
    const [kind, target, addend] = edgesOf(g, '_store4_section')[0]!;
    expect([kind, target, addend]).toEqual(['Delta32', undefined, 0 - 4 - 4]);
    const anon = g.findSectionByName('__DATA,__anon')!;
    expect(blockOf(g, '_store4_section').block.edges.some((e) => e.target.isDefined() && e.target.block.section === anon && e.target.offset === 0)).toBe(true);
    // With a symbol: _data + 2 - (P + 4 + 2).
    expect(edgesOf(g, '_store2')[0]).toEqual(['Delta32', '_data', 2 - 4 - 2]);
    // SIGNED_2, extern and to an address.
    expect(edgesOf(g, '_store2_signed2')[0]).toEqual(['Delta32', '_data', -4 - 2]);
    expect(edgesOf(g, '_store2_anon')[0]).toEqual(['Delta32', '_data', 4 - 4 - 2]);
  });

  test('SUBTRACTOR pairs: Delta from B\'s block, NegDelta from A\'s', () => {
    const g = build('asm/x86_64/X86_64_RELOC_SUBTRACTOR.o');
    expect(edgesOf(g, '_delta64')[0]).toEqual(['Delta64', '_main', 8]);
    expect(edgesOf(g, '_delta32')[0]).toEqual(['Delta32', '_main', 0]);
    expect(edgesOf(g, '_negdelta64')[0]).toEqual(['NegDelta64', '_main', 0]);
    expect(edgesOf(g, '_delta_anon')[0]).toEqual(['Delta32', '_far_data', 4]);
  });

  test('UNSIGNED: 64- and 32-bit pointers; without a symbol, by address', () => {
    const g = build('asm/x86_64/X86_64_RELOC_UNSIGNED.o');
    expect(edgesOf(g, '_ptr_far')[0]).toEqual(['Pointer64', '_extern_far', 16]);
    expect(edgesOf(g, '_ptr_anon')[0]).toEqual(['Pointer64', '_target', 4]);
    expect(edgesOf(g, '_ptr32')[0]).toEqual(['Pointer32', '_extern_near', 1]);
  });

  test('every clang-19 x86_64 object of the corpus builds', () => {
    for (const rel of ['hello/hello.o', 'args/args.o', 'ctors/ctors.o', 'multi/multi_main.o', 'multi/multi_util.o']) {
      for (const v of ['O0', 'O2']) expect(build(`x86_64/${v}/${rel}`).blockList().length).toBeGreaterThan(0);
    }
  });
});

describe('relocation errors', () => {
  const rel = 'asm/x86_64/X86_64_RELOC_SUBTRACTOR.o';
  const original = read(rel);
  const m = parseMachO(original, rel);
  const data = m.sections.find((s) => s.fullName === '__DATA,__data')!;
  const relocations = readRelocations(m, data);

  test('a SUBTRACTOR without its UNSIGNED partner', () => {
    const i = relocations.findIndex((r) => r.type === X86_64_RELOC.SUBTRACTOR);
    const partner = relocations[i + 1]!;
    const bytes = original.slice();
    const view = new DataView(bytes.buffer);
    // Make the partner a SIGNED relocation.
    const word = view.getUint32(partner.entryOffset + 4, true);
    view.setUint32(partner.entryOffset + 4, (word & 0x0fffffff) | (X86_64_RELOC.SIGNED << 28), true);
    let error: JITLinkError | undefined;
    try {
      build(rel, bytes);
    } catch (e) {
      error = e as JITLinkError;
    }
    expect(error).toBeInstanceOf(JITLinkError);
    expect(error!.message).toBe(
      `${rel}, section __DATA,__data, offset 0x${relocations[i]!.entryOffset.toString(16)}: X86_64_RELOC_SUBTRACTOR: ` +
        'X86_64_RELOC_SUBTRACTOR is not followed by its X86_64_RELOC_UNSIGNED partner at the same address',
    );
  });

  test('an unknown relocation type', () => {
    const bytes = original.slice();
    const view = new DataView(bytes.buffer);
    const e = relocations[0]!.entryOffset;
    view.setUint32(e + 4, (view.getUint32(e + 4, true) & 0x0fffffff) | (12 << 28), true);
    expect(() => build(rel, bytes)).toThrow(/unknown relocation type 12 \(pcrel=0, length=2, extern=1\) at offset 0x18 of __DATA,__data$/);
  });

  test('a PC-relative UNSIGNED is rejected, not misread', () => {
    const bytes = original.slice();
    const view = new DataView(bytes.buffer);
    const i = relocations.findIndex((r) => r.type === X86_64_RELOC.UNSIGNED);
    const e = relocations[i]!.entryOffset;
    view.setUint32(e + 4, view.getUint32(e + 4, true) | (1 << 24), true);
    expect(() => build(rel, bytes)).toThrow(JITLinkError);
  });
});

describe('X86_64_RELOC_TLV and thread-variable descriptors', () => {
  test('TLV: a TLVP request to the descriptor, which the GOT pass serves', () => {
    const g = build('x86_64/O2/tlv/tlv_vars.o');
    // (Its first edge is the keep-alive of its compact unwind entry.)
    expect(edgesOf(g, '_tlv_counter_address').filter(([kind]) => kind !== 'Keep-Alive')).toEqual([
      ['RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable', '_tlv_counter', 0],
    ]);
    expect(X86_64_EDGE_KIND_INFO[K.RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable - EdgeKinds.FirstRelocation]!.request).toEqual({
      table: 'GOT',
      becomes: K.PCRel32GOTLoadREXRelaxable,
    });
    // Darwin's descriptor: {__tlv_bootstrap, 0, the variable's initial value}.
    expect(edgesOf(g, '_tlv_counter')).toEqual([
      ['Pointer64', '__tlv_bootstrap', 0],
      ['Pointer64', '_tlv_counter$tlv$init', 0],
    ]);
  });

  test('without a thread-local resolver (no platform), descriptors stay as the object has them', () => {
    const g = build('x86_64/O2/tlv/tlv_vars.o');
    retargetThreadVariableDescriptors(g);
    expect(edgesOf(g, '_tlv_counter')[0]).toEqual(['Pointer64', '__tlv_bootstrap', 0]);
  });

  test("with one, the thunk is the package's tlv_get_addr and the offset field the variable's offset from the thread pointer", () => {
    const g = build('x86_64/O2/tlv/tlv_vars.o');
    const template = [...g.definedSymbols()].find((s) => s.name === '_tlv_name$tlv$init')!;
    setThreadLocalResolver(g, {
      lookup: (address) => ({ moduleId: 3, blockOffset: 16, threadPointerOffset: address === template.address ? -480 : -400 }),
    });
    retargetThreadVariableDescriptors(g);
    const [thunk, offset] = blockOf(g, '_tlv_name').block.edges.sort((a, b) => a.offset - b.offset);
    expect(thunk!.target.isDefined() && [...thunk!.target.block.getContent()]).toEqual([...TLV_GET_ADDR]);
    expect(g.getEdgeKindName(offset!.kind)).toBe('TPOff64');
    // Pre-fixup: a plain pointer whose T + A is the offset.
    lowerThreadVariableOffsets(g);
    expect(g.getEdgeKindName(offset!.kind)).toBe('Pointer64');
    expect(offset!.target.address + offset!.addend).toBe(-480);
  });

  test('a descriptor naming no variable of a loaded block fails before fixups, naming the section', () => {
    const g = build('x86_64/O2/tlv/tlv_vars.o');
    setThreadLocalResolver(g, { lookup: () => undefined });
    retargetThreadVariableDescriptors(g);
    expect(() => lowerThreadVariableOffsets(g)).toThrow(
      /^x86_64\/O2\/tlv\/tlv_vars\.o, section __DATA,__thread_vars: thread-variable descriptor names _tlv_counter\$tlv\$init.*, which is no variable of a loaded thread-local block/,
    );
  });

  test('the thunk changes only %rax (and the flags): mov %fs:0, %rax; add 16(%rdi), %rax; ret', () => {
    expect([...TLV_GET_ADDR]).toEqual([0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x03, 0x47, 0x10, 0xc3]);
  });
});

test('the assembly tests hold every X86_64_RELOC type, SIGNED_1/2/4 included', () => {
  const seen = new Set<string>();
  for (const f of readdirSync(join(CORPUS, 'asm/x86_64')).filter((n) => n.endsWith('.o'))) {
    const m = parseMachO(read(`asm/x86_64/${f}`), f);
    for (const sec of m.sections) for (const rel of readRelocations(m, sec)) seen.add(x86_64MachORelocationTypeName(rel.type));
  }
  expect([...seen].sort()).toEqual(Object.keys(X86_64_RELOC).map((k) => `X86_64_RELOC_${k}`).sort());
});

/** Small deterministic generator (xorshift32). */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe('fuzzing with the x86-64 relocation mapping: only JITLinkError', () => {
  test.each(['x86_64/O2/ctors/ctors.o', 'asm/x86_64/X86_64_RELOC_SUBTRACTOR.o', 'asm/x86_64/X86_64_RELOC_SIGNED.o'])('%s: 1500 mutations', (rel) => {
    const input = read(rel);
    const m = parseMachO(input, rel);
    // Flips aimed at relocation entries and section contents as well as anywhere.
    const relocRegions = m.sections.filter((s) => s.relocationCount > 0).map((s) => [s.relocationOffset, s.relocationOffset + 8 * s.relocationCount] as const);
    const random = prng(0xc0ffee);
    let rejected = 0;
    for (let i = 0; i < 1500; i++) {
      const bytes = input.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let k = 0; k < flips; k++) {
        const [lo, hi] = random() < 0.7 ? relocRegions[Math.floor(random() * relocRegions.length)]! : [0, bytes.length];
        const at = lo + Math.floor(random() * (hi - lo));
        bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
      }
      try {
        build('fuzz.o', bytes);
      } catch (e) {
        if (!(e instanceof JITLinkError)) throw new Error(`mutation ${i} threw a non-JITLinkError: ${(e as Error).stack}`);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });
});
