/**
 * IMAGE_REL_AMD64_* mapped and applied: each relocation type in a small
 * object (including the REL32_n forms llvm-mc does not write), linked by the
 * COFF backend into simulated memory, checked by value.
 */
import { JITLinkError, SlabMemoryManager, type Block, type LinkGraph } from '@jitlink/core';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCoffBackend, createCoffLinkGraph, getCoffGraphInfo, IMAGE_SYM_CLASS_EXTERNAL, IMAGE_SYM_CLASS_STATIC } from '@jitlink/coff';
import { IMAGE_REL_AMD64 as R, x86_64Coff } from '../src/coff/index.js';
import { DATA, TEXT, writeCoff, type TestSection } from '../../coff/test/coff-writer.js';
import { linkGraph, readLE } from './helpers.js';

const backend = createCoffBackend(x86_64Coff);
/** Without host-call thunks: calls to externals go straight to them (through stubs when far). */
const plainBackend = createCoffBackend({ ...x86_64Coff, addHostCallThunk: undefined });
const BASE = 0x1000_0000;
const EXT = 0x7f00_0000_0000;

/**
 * .text: 64 bytes of 0xcc with `f` at 0; .data: 64 bytes with `d` at 8.
 * Relocations in .text at `offset` against symbol 1 (d), 2 (ext) or 3 (__imp_ext).
 */
function object(
  relocations: { offset: number; symbolIndex: number; type: number; addend?: number; width?: number; call?: boolean }[],
  plain = false,
): LinkGraph {
  const text = new Uint8Array(64).fill(0xcc);
  const view = new DataView(text.buffer);
  for (const r of relocations) {
    const width = r.width ?? (r.type === R.ADDR64 ? 8 : r.type === R.SECTION ? 2 : 4);
    if (width === 8) view.setBigInt64(r.offset, BigInt(r.addend ?? 0), true);
    else if (width === 4) view.setInt32(r.offset, r.addend ?? 0, true);
    else view.setInt16(r.offset, r.addend ?? 0, true);
    if (r.call === true) text[r.offset - 1] = 0xe8;
  }
  const sections: TestSection[] = [
    { name: '.text', characteristics: TEXT, content: text, relocations: relocations.map(({ offset, symbolIndex, type }) => ({ offset, symbolIndex, type })) },
    { name: '.data', characteristics: DATA, content: new Uint8Array(64) },
  ];
  const bytes = writeCoff(0x8664, sections, [
    { name: 'f', value: 0, sectionNumber: 1, type: 0x20, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
    { name: 'd', value: 8, sectionNumber: 2, storageClass: IMAGE_SYM_CLASS_STATIC },
    { name: 'ext', value: 0, sectionNumber: 0, type: 0x20, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
    { name: '__imp_ext', value: 0, sectionNumber: 0, storageClass: IMAGE_SYM_CLASS_EXTERNAL },
  ]);
  return (plain ? plainBackend : backend).createLinkGraph(bytes, { name: 'rel.obj', identity: { format: 'coff', arch: 'x86_64', bits: 64, endianness: 'little', description: 'COFF object' } });
}

async function link(graph: LinkGraph, plain = false): Promise<{ text: Block; data: Block }> {
  const outcome = await linkGraph(graph, {
    memory: new SlabMemoryManager({ size: 0x10_0000, baseAddress: BASE }),
    symbols: new Map([['ext', EXT]]),
    target: plain ? plainBackend : backend,
  });
  if (outcome.error) throw outcome.error;
  const info = getCoffGraphInfo(graph)!;
  return { text: info.blocksBySection[1]!, data: info.blocksBySection[2]! };
}

const d = (blocks: { data: Block }) => blocks.data.address + 8;

describe('IMAGE_REL_AMD64_* fixups', () => {
  it('ADDR64: T + A, 64 bits', async () => {
    const graph = object([{ offset: 8, symbolIndex: 1, type: R.ADDR64, addend: 5 }]);
    const b = await link(graph);
    expect(readLE(b.text.getContent(), 8, 8)).toBe(BigInt(d(b) + 5));
  });

  it('ADDR32: T + A, 32 bits', async () => {
    const b = await link(object([{ offset: 8, symbolIndex: 1, type: R.ADDR32, addend: 3 }]));
    expect(readLE(b.text.getContent(), 8, 4)).toBe(BigInt(d(b) + 3));
  });

  it('ADDR32NB: T - __ImageBase + A, __ImageBase being the graph\'s lowest address', async () => {
    const b = await link(object([{ offset: 8, symbolIndex: 1, type: R.ADDR32NB, addend: 2 }]));
    const base = Math.min(b.text.address, b.data.address);
    expect(readLE(b.text.getContent(), 8, 4)).toBe(BigInt(d(b) - base + 2));
  });

  it.each([0, 1, 2, 3, 4, 5])('REL32_%d: T - (P + 4 + n) + A', async (n) => {
    const b = await link(object([{ offset: 8, symbolIndex: 1, type: R.REL32 + n, addend: 1 }]));
    const p = b.text.address + 8;
    expect(readLE(b.text.getContent(), 8, 4)).toBe(BigInt.asUintN(32, BigInt(d(b) - (p + 4 + n) + 1)));
  });

  it("REL32 reads llvm-mc-19's displacements signed: an immediate after the field is folded in as -n", () => {
    const bytes = new Uint8Array(readFileSync(resolve(__dirname, '../../../test-corpus/obj/asm/x86_64-coff/relocs.obj')));
    const graph = createCoffLinkGraph(bytes, x86_64Coff, { name: 'relocs.obj' });
    const text = getCoffGraphInfo(graph)!.blocksBySection[1]!;
    // leaq, movb $1, movw $2, movl $4 to target_data; callq helper.
    expect(text.edges.sort((a, b) => a.offset - b.offset).map((e) => e.addend)).toEqual([0, -1, -2, -4, 0]);
  });

  it('REL32 of a call to a far external goes through a stub', async () => {
    const text = object([{ offset: 1, symbolIndex: 2, type: R.REL32, call: true }], true);
    const b = await link(text, true);
    const target = b.text.address + 5 + Number(BigInt.asIntN(32, readLE(b.text.getContent(), 1, 4)));
    expect(target).not.toBe(EXT);
    expect(text.findSectionByName('$__STUBS')!.blocks.size).toBe(1);
  });

  it('REL32 to __imp_ext reads ext\'s address from an import table entry', async () => {
    const graph = object([{ offset: 8, symbolIndex: 3, type: R.REL32 }], true);
    expect(graph.findExternalSymbol('__imp_ext')).toBeUndefined();
    const b = await link(graph, true);
    const entry = b.text.address + 12 + Number(BigInt.asIntN(32, readLE(b.text.getContent(), 8, 4)));
    const got = graph.findSectionByName('$__GOT')!;
    const [gotBlock] = [...got.blocks];
    expect(readLE(gotBlock!.getContent(), entry - gotBlock!.address, 8)).toBe(BigInt(EXT));
  });

  it('SECREL: T - start of T\'s section + A', async () => {
    const b = await link(object([{ offset: 8, symbolIndex: 1, type: R.SECREL, addend: 4 }]));
    expect(readLE(b.text.getContent(), 8, 4)).toBe(12n);
  });

  it('SECTION: the number of T\'s section', async () => {
    const b = await link(object([{ offset: 8, symbolIndex: 1, type: R.SECTION }]));
    expect(readLE(b.text.getContent(), 8, 2)).toBe(2n);
  });

  it.each([
    ['SECREL7', R.SECREL7],
    ['TOKEN', R.TOKEN],
    ['SREL32', R.SREL32],
    ['PAIR', R.PAIR],
    ['SSPAN32', R.SSPAN32],
  ])('%s is refused with a message naming type, file, section and offset', (name, type) => {
    let error: unknown;
    try {
      object([{ offset: 8, symbolIndex: 1, type }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JITLinkError);
    expect((error as JITLinkError).code).toBe('UnsupportedRelocation');
    expect((error as JITLinkError).message).toMatch(new RegExp(`^rel\\.obj, section \\.text, offset 0x[0-9a-f]+: IMAGE_REL_AMD64_${name} is not supported`));
  });
});

/** The host function a host-call thunk calls (its movabs immediate). */
function thunkTarget(graph: LinkGraph, address: number): bigint {
  const [thunk] = [...graph.findSectionByName('$__COFF_HOST_THUNKS')!.blocks].filter((blk) => blk.address === address);
  return readLE(thunk!.getContent(), 129, 8);
}

describe('calls from COFF code to host functions', () => {
  it('a call to a function no COFF object defines goes through a Microsoft-to-System-V thunk', async () => {
    const graph = object([{ offset: 1, symbolIndex: 2, type: R.REL32, call: true }]);
    const b = await link(graph);
    const callee = b.text.address + 5 + Number(BigInt.asIntN(32, readLE(b.text.getContent(), 1, 4)));
    expect(thunkTarget(graph, callee)).toBe(BigInt(EXT));
  });

  it('an import table entry holds the thunk', async () => {
    const graph = object([{ offset: 8, symbolIndex: 3, type: R.REL32 }]);
    const b = await link(graph);
    const entry = b.text.address + 12 + Number(BigInt.asIntN(32, readLE(b.text.getContent(), 8, 4)));
    const [gotBlock] = [...graph.findSectionByName('$__GOT')!.blocks];
    const thunk = Number(readLE(gotBlock!.getContent(), entry - gotBlock!.address, 8));
    expect(thunkTarget(graph, thunk)).toBe(BigInt(EXT));
  });
});
