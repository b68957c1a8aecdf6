/**
 * MachO/arm64: ARM64_RELOC_* onto the AArch64 edge kinds, on the llvm-mc-19
 * and clang-19 objects of the MachO corpus and on hand-made relocation lists
 * (the pairs llvm-mc-19 cannot write); relocation errors; fuzzing.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { graphDefinitions, JITLinkError, Linkage, MemProt, Scope, type Block, type LinkGraph } from '@jitlink/core';
import {
  createMachOLinkGraph,
  parseMachO,
  readMachODefinitions,
  readRelocations,
  type MachORelocation,
  type MachORelocationContext,
} from '@jitlink/macho';
import { decodeAArch64Word } from '../src/index.js';
import { addArm64MachORelocationEdges, ARM64_RELOC, arm64MachO, machoArm64Target } from '../src/macho/index.js';
import { aarch64Graph, linkGraphInSlab } from './helpers.js';

const CORPUS = resolve(__dirname, '../../../test-corpus/obj-macho');
const read = (rel: string) => new Uint8Array(readFileSync(join(CORPUS, rel)));
const build = (rel: string, bytes = read(rel)) => createMachOLinkGraph(bytes, arm64MachO, { name: rel });

/** Kind, target name and addend of the edges in `name`'s block, at or after its offset, in offset order. */
function edgesOf(graph: LinkGraph, name: string): [string, string | undefined, number][] {
  const sym = [...graph.definedSymbols()].find((s) => s.name === name)!;
  return sym.block.edges
    .filter((e) => e.offset >= sym.offset)
    .sort((a, b) => a.offset - b.offset)
    .map((e) => [graph.getEdgeKindName(e.kind), e.target.name, e.addend]);
}

function thrown(f: () => unknown): JITLinkError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('no error');
}

describe('ARM64_RELOC_* become the AArch64 kinds', () => {
  test('BRANCH26: Branch26PCRel (a stub serves external callees)', () => {
    const g = build('asm/arm64/ARM64_RELOC_BRANCH26.o');
    expect(edgesOf(g, '_call_far')[0]).toEqual(['Branch26PCRel', '_extern_far', 0]);
    expect(edgesOf(g, '_jump_local')[0]).toEqual(['Branch26PCRel', '_main', 0]);
  });

  test('PAGE21, PAGEOFF12 and their ADDEND', () => {
    expect(edgesOf(build('asm/arm64/ARM64_RELOC_PAGE21.o'), '_adrp')[0]).toEqual(['Page21', '_data', 0]);
    expect(edgesOf(build('asm/arm64/ARM64_RELOC_PAGEOFF12.o'), '_ldr_q')[0]).toEqual(['PageOffset12', '_data', 0]);
    const g = build('asm/arm64/ARM64_RELOC_ADDEND.o');
    expect(edgesOf(g, '_adrp_addend')[0]).toEqual(['Page21', '_data', 0x1010]);
    expect(edgesOf(g, '_ldr_addend')[0]).toEqual(['PageOffset12', '_data', 0x18]);
  });

  test('GOT loads, POINTER_TO_GOT and TLVP loads are GOT requests', () => {
    expect(edgesOf(build('asm/arm64/ARM64_RELOC_GOT_LOAD_PAGE21.o'), '_got_page')).toEqual([
      ['RequestGOTAndTransformToPage21', '_extern_far', 0],
      ['RequestGOTAndTransformToPageOffset12', '_extern_far', 0],
    ]);
    expect(edgesOf(build('asm/arm64/ARM64_RELOC_POINTER_TO_GOT.o'), '_got_delta')[0]).toEqual(['RequestGOTAndTransformToDelta32', '_extern_far', 0]);
    expect(edgesOf(build('asm/arm64/ARM64_RELOC_POINTER_TO_GOT_64.o'), '_got_pointer')[0]).toEqual(['RequestGOTAndTransformToPointer64', '_extern_far', 0]);
    expect(edgesOf(build('asm/arm64/ARM64_RELOC_TLVP_LOAD_PAGE21.o'), '_tlv_load').slice(0, 2)).toEqual([
      ['RequestTLVPAndTransformToPage21', '_counter', 0],
      ['RequestTLVPAndTransformToPageOffset12', '_counter', 0],
    ]);
  });

  test('SUBTRACTOR pairs: Delta from B\'s block, NegDelta from A\'s', () => {
    const g = build('asm/arm64/ARM64_RELOC_SUBTRACTOR.o');
    expect(edgesOf(g, '_delta64')[0]).toEqual(['Delta64', '_main', 8]);
    expect(edgesOf(g, '_delta32')[0]).toEqual(['Delta32', '_main', 0]);
    // The 32-bit stored value is signed: -8, not 0xfffffff8.
    expect(edgesOf(g, '_delta32_back')[0]).toEqual(['Delta32', '_main', -8]);
    expect(edgesOf(g, '_negdelta64')[0]).toEqual(['NegDelta64', '_main', 0]);
    expect(edgesOf(g, '_negdelta32')[0]).toEqual(['NegDelta32', '_main', 4]);
  });

  test('UNSIGNED: 64- and 32-bit pointers; without a symbol, by address', () => {
    const g = build('asm/arm64/ARM64_RELOC_UNSIGNED.o');
    expect(edgesOf(g, '_ptr64')[0]).toEqual(['Pointer64', '_target', 8]);
    expect(edgesOf(g, '_ptr_extern')[0]).toEqual(['Pointer64', '_extern_far', 16]);
    expect(edgesOf(g, '_ptr32')[0]).toEqual(['Pointer32', '_target', 4]);
    expect(edgesOf(g, '_ptr_anon')[0]).toEqual(['Pointer64', '_target', 12]);
  });

  test('every clang-19 arm64 object of the corpus builds', () => {
    for (const rel of ['hello/hello.o', 'args/args.o', 'ctors/ctors.o', 'multi/multi_main.o', 'multi/multi_util.o', 'shapes/shapes.o', 'exceptions/exceptions.o']) {
      for (const v of ['O0', 'O2']) expect(build(`arm64/${v}/${rel}`).blockList().length).toBeGreaterThan(0);
    }
  });

  test('the definitions scan (archive indexes) gives what the graph defines', () => {
    for (const rel of ['O2/shapes/shapes.o', 'O0/multi/multi_util.o', 'O2/ctors/ctors.o']) {
      const definitions = readMachODefinitions(read(`arm64/${rel}`), arm64MachO, rel);
      expect(definitions).toEqual(graphDefinitions(build(`arm64/${rel}`)));
      expect(definitions.size).toBeGreaterThan(0);
    }
  });

  test('C++ type_info names keep their 2^63 bit (arm64 Darwin\'s non-unique RTTI) as an exact addend', () => {
    const g = build('arm64/O2/shapes/shapes.o');
    const addends = g.blockList().flatMap((b) => b.edges.filter((e) => e.addend === -(2 ** 63)).map((e) => e.target.name));
    expect(addends.length).toBeGreaterThan(0);
    expect(addends.every((n) => n?.startsWith('__ZTS'))).toBe(true);
  });
});

describe('the AArch64 passes on MachO graphs', () => {
  test('a TLVP load of a descriptor within 4 GiB is relaxed into an ADD of its address (MachO lists the pair last to first)', async () => {
    const graph = build('asm/arm64/ARM64_RELOC_TLVP_LOAD_PAGE21.o');
    const { error, checker } = await linkGraphInSlab(graph, {
      target: machoArm64Target,
      absolutes: { _extern_far: 0x1000_0000_0000, __tlv_bootstrap: 0x2000_0000_0000 },
    });
    expect(error).toBeUndefined();
    const word = (name: string, offset: number) => {
      const bytes = checker.contentAt(checker.symbolAddress(name)! + BigInt(offset))!;
      return decodeAArch64Word(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true));
    };
    const counter = checker.symbolAddress('_counter')!;
    const local = word('_tlv_load', 4);
    expect(local.mnemonic).toBe('add');
    expect(local.operands[2]).toBe(counter & 0xfffn);
    // The far one keeps its load of the GOT entry.
    expect(word('_tlv_load_extern', 4).mnemonic).toBe('ldr');
  });
});

/** One `bl`/`adrp`/... word in a block, and a context as @jitlink/macho's builder gives one. */
function handMade(word: number) {
  const graph = aarch64Graph('hand.o');
  const content = new Uint8Array(8);
  new DataView(content.buffer).setUint32(0, word, true);
  const block: Block = graph.createContentBlock(graph.createSection('__TEXT,__text', MemProt.Read | MemProt.Exec), content, 0x100, 4, 0);
  graph.addDefinedSymbol(block, 0, '_f', 8, Linkage.Strong, Scope.Default, true, false);
  const callee = graph.addExternalSymbol('_callee', 0);
  const ctx: MachORelocationContext = {
    graph,
    file: 'hand.o',
    sectionName: '__TEXT,__text',
    block,
    offsetInBlock: 0,
    fixupAddress: 0x100,
    symbolByIndex: () => callee,
    symbolByAddress: () => callee,
    error: (rel, detail) => {
      throw new JITLinkError('MalformedObject', `${rel.type}: ${detail}`, { file: 'hand.o', section: '__TEXT,__text', offset: rel.entryOffset });
    },
  };
  return { block, ctx };
}
const reloc = (type: number, fields: Partial<MachORelocation> = {}): MachORelocation => ({
  address: 0,
  symbolNumber: 1,
  pcrel: false,
  length: 2,
  extern: true,
  type,
  entryOffset: 0x40,
  ...fields,
});
const BL = 0x94000000;
const ADRP = 0x90000000;
const ADD = 0x91000000;

describe('ADDEND pairs (hand-made: llvm-mc-19 does not write these)', () => {
  test('ADDEND + BRANCH26: a call to callee + 8', () => {
    const { block, ctx } = handMade(BL);
    const consumed = addArm64MachORelocationEdges(
      [reloc(ARM64_RELOC.ADDEND, { extern: false, symbolNumber: 8 }), reloc(ARM64_RELOC.BRANCH26, { pcrel: true })],
      0,
      ctx,
    );
    expect(consumed).toBe(2);
    expect(block.edges.map((e) => [e.target.name, e.addend])).toEqual([['_callee', 8]]);
    expect(arm64MachO.getEdgeKindName(block.edges[0]!.kind)).toBe('Branch26PCRel');
  });

  test('the addend is 24 bits, signed: 0xffffe0 is -0x20', () => {
    const { block, ctx } = handMade(ADD);
    addArm64MachORelocationEdges([reloc(ARM64_RELOC.ADDEND, { extern: false, symbolNumber: 0xffffe0 }), reloc(ARM64_RELOC.PAGEOFF12)], 0, ctx);
    expect(block.edges[0]!.addend).toBe(-0x20);
  });

  test('an ADDEND without a partner, or before a relocation that takes none, is MalformedObject', () => {
    const { ctx } = handMade(ADRP);
    const alone = thrown(() => addArm64MachORelocationEdges([reloc(ARM64_RELOC.ADDEND, { extern: false })], 0, ctx));
    expect(alone.code).toBe('MalformedObject');
    expect(alone.message).toContain('ARM64_RELOC_ADDEND is not followed by a BRANCH26, PAGE21 or PAGEOFF12 at the same address');
    expect(alone.offset).toBe(0x40);
    const beforeGOT = thrown(() =>
      addArm64MachORelocationEdges([reloc(ARM64_RELOC.ADDEND, { extern: false }), reloc(ARM64_RELOC.GOT_LOAD_PAGE21, { pcrel: true })], 0, ctx),
    );
    expect(beforeGOT.message).toContain('is not followed by');
  });

  test('an instruction relocation on the wrong instruction, or not extern, is MalformedObject', () => {
    const { ctx } = handMade(ADD);
    expect(thrown(() => addArm64MachORelocationEdges([reloc(ARM64_RELOC.PAGE21, { pcrel: true })], 0, ctx)).message).toContain(
      'applies to instruction 0x91000000 at offset 0x0, which is not an ADRP',
    );
    expect(thrown(() => addArm64MachORelocationEdges([reloc(ARM64_RELOC.GOT_LOAD_PAGEOFF12)], 0, ctx)).message).toContain('which is not a 64-bit LDR');
    expect(thrown(() => addArm64MachORelocationEdges([reloc(ARM64_RELOC.PAGEOFF12, { extern: false })], 0, ctx)).message).toContain(
      'ARM64_RELOC_PAGEOFF12 must be extern',
    );
  });

  test('a relocation with the wrong pcrel or length is UnsupportedRelocation, naming its fields', () => {
    const { ctx } = handMade(BL);
    const e = thrown(() => addArm64MachORelocationEdges([reloc(ARM64_RELOC.BRANCH26, { pcrel: false })], 0, ctx));
    expect(e.code).toBe('UnsupportedRelocation');
    expect(e.message).toBe('hand.o, section __TEXT,__text, offset 0x40: unsupported relocation ARM64_RELOC_BRANCH26 (pcrel=0, length=2, extern=1) at offset 0x0 of __TEXT,__text');
    expect(thrown(() => addArm64MachORelocationEdges([reloc(ARM64_RELOC.AUTHENTICATED_POINTER, { length: 3 })], 0, ctx)).code).toBe('UnsupportedRelocation');
  });
});

describe('relocation errors in real objects', () => {
  const rel = 'asm/arm64/ARM64_RELOC_SUBTRACTOR.o';
  const original = read(rel);
  const m = parseMachO(original, rel);
  const data = m.sections.find((s) => s.fullName === '__DATA,__data')!;
  const relocations = readRelocations(m, data);

  test('a SUBTRACTOR without its UNSIGNED partner', () => {
    const i = relocations.findIndex((r) => r.type === ARM64_RELOC.SUBTRACTOR);
    const partner = relocations[i + 1]!;
    const bytes = original.slice();
    const view = new DataView(bytes.buffer);
    // Make the partner a POINTER_TO_GOT.
    const word = view.getUint32(partner.entryOffset + 4, true);
    view.setUint32(partner.entryOffset + 4, (word & 0x0fffffff) | (ARM64_RELOC.POINTER_TO_GOT << 28), true);
    const error = thrown(() => build(rel, bytes));
    expect(error.code).toBe('MalformedObject');
    expect(error.message).toBe(
      `${rel}, section __DATA,__data, offset 0x${relocations[i]!.entryOffset.toString(16)}: ARM64_RELOC_SUBTRACTOR: ` +
        'ARM64_RELOC_SUBTRACTOR is not followed by its ARM64_RELOC_UNSIGNED partner at the same address',
    );
  });

  test('an unknown relocation type', () => {
    const bytes = original.slice();
    const view = new DataView(bytes.buffer);
    const e = relocations[0]!.entryOffset;
    view.setUint32(e + 4, (view.getUint32(e + 4, true) & 0x0fffffff) | (13 << 28), true);
    expect(() => build(rel, bytes)).toThrow(/unknown relocation type 13 \(pcrel=0, length=2, extern=1\) at offset 0x[0-9a-f]+ of __DATA,__data$/);
  });
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

describe('fuzzing with the arm64 relocation mapping: only JITLinkError', () => {
  test.each(['arm64/O2/shapes/shapes.o', 'asm/arm64/ARM64_RELOC_ADDEND.o', 'asm/arm64/ARM64_RELOC_TLVP_LOAD_PAGE21.o'])('%s: 1000 mutations', (rel) => {
    const input = read(rel);
    const m = parseMachO(input, rel);
    const relocRegions = m.sections.filter((s) => s.relocationCount > 0).map((s) => [s.relocationOffset, s.relocationOffset + 8 * s.relocationCount] as const);
    const random = prng(0xa64);
    let rejected = 0;
    for (let i = 0; i < 1000; i++) {
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
    expect(rejected).toBeGreaterThan(50);
  });
});
