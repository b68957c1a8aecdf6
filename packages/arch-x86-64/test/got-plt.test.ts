import { JITLinkError, Linkage, Scope, type LinkGraph, type Symbol } from '@jitlink/core';
import { findGOTBase, GOT_SECTION_NAME, STUBS_SECTION_NAME, X86_64EdgeKinds as K } from '../src/index.js';
import { codeBlock, dataSection, hex, linkGraph, linkOk, readLE, x86Graph } from './helpers.js';

const FAR = 0x7f12_3456_7000; // far from the default memory at 0x10000

function i32(bytes: Uint8Array, offset: number): number {
  return Number(BigInt.asIntN(32, readLE(bytes, offset, 4)));
}

/** The GOT entries: 8-byte symbols of the GOT section (the base is a zero-size one). */
function gotEntries(graph: LinkGraph): Symbol[] {
  return [...(graph.findSectionByName(GOT_SECTION_NAME)?.symbols ?? [])].filter((s) => s.size === 8);
}

function stubSymbols(graph: LinkGraph): Symbol[] {
  return [...(graph.findSectionByName(STUBS_SECTION_NAME)?.symbols ?? [])];
}

/** The bytes a GOT entry or stub symbol covers. */
function bytesOf(sym: Symbol): Uint8Array {
  return sym.block.getContent().subarray(sym.offset, sym.offset + sym.size);
}

describe('GOT entries', () => {
  it('creates one entry per target and points requests at it', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(16).fill(0));
    const ext = graph.addExternalSymbol('ext', 0);
    const other = graph.addExternalSymbol('other', 0);
    block.addEdge(K.RequestGOTAndTransformToDelta32, 0, ext, -4);
    block.addEdge(K.RequestGOTAndTransformToDelta32, 4, ext, -4);
    block.addEdge(K.RequestGOTAndTransformToDelta64, 8, other, 0);
    await linkOk(graph, {
      symbols: new Map([
        ['ext', FAR],
        ['other', FAR + 0x40],
      ]),
    });

    const entries = gotEntries(graph);
    expect(entries).toHaveLength(2);
    const section = graph.findSectionByName(GOT_SECTION_NAME)!;
    expect(section.prot).toBe(3); // RW-
    // The entries share one table block, one after the other.
    expect(entries[0]!.block).toBe(entries[1]!.block);
    expect(entries[0]!.block.size).toBe(16);
    expect(Math.abs(entries[0]!.address - entries[1]!.address)).toBe(8);
    const [e0, e1] = block.edges;
    expect(e0!.kind).toBe(K.Delta32);
    expect(e0!.target).toBe(e1!.target);
    expect(block.edges[2]!.kind).toBe(K.Delta64);

    const entry = e0!.target;
    expect(readLE(bytesOf(entry), 0, 8)).toBe(BigInt(FAR));
    const content = block.getContent();
    expect(i32(content, 0)).toBe(entry.address - (block.address + 0) - 4);
    expect(i32(content, 4)).toBe(entry.address - (block.address + 4) - 4);
    const otherEntry = block.edges[2]!.target;
    expect(readLE(bytesOf(otherEntry), 0, 8)).toBe(BigInt(FAR + 0x40));
    expect(readLE(content, 8, 8)).toBe(BigInt.asUintN(64, BigInt(otherEntry.address - (block.address + 8))));
  });

  it('grows one table past its first capacity, each entry holding its own target', async () => {
    const graph = x86Graph();
    const count = 40;
    const { block } = codeBlock(graph, new Array(count * 4).fill(0));
    const symbols = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      block.addEdge(K.RequestGOTAndTransformToDelta32, i * 4, graph.addExternalSymbol(`ext${i}`, 0), -4);
      symbols.set(`ext${i}`, FAR + i * 0x10);
    }
    await linkOk(graph, { symbols });
    const entries = gotEntries(graph);
    expect(entries).toHaveLength(count);
    expect(new Set(entries.map((e) => e.block)).size).toBe(1);
    expect(entries[0]!.block.size).toBe(count * 8);
    for (let i = 0; i < count; i++) {
      const entry = block.edges[i]!.target;
      expect(readLE(bytesOf(entry), 0, 8)).toBe(BigInt(FAR + i * 0x10));
      expect(i32(block.getContent(), i * 4)).toBe(entry.address - (block.address + i * 4) - 4);
    }
  });

  it('keeps GOT entries for defined targets', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(8).fill(0));
    const data = graph.createMutableContentBlock(dataSection(graph), new Uint8Array(8), 0, 8, 0);
    const value = graph.addDefinedSymbol(data, 4, 'value', 4, Linkage.Strong, Scope.Default, false, true);
    block.addEdge(K.RequestGOTAndTransformToDelta32, 0, value, -4);
    await linkOk(graph);
    expect(readLE(bytesOf(block.edges[0]!.target), 0, 8)).toBe(BigInt(value.address));
  });
});

describe('jump stubs', () => {
  it('routes calls to a far external through one stub and its GOT entry', async () => {
    const graph = x86Graph();
    // call ext; call ext
    const { block } = codeBlock(graph, [0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0]);
    const ext = graph.addExternalSymbol('ext', 0);
    block.addEdge(K.BranchPCRel32ToPtrJumpStubBypassable, 1, ext, 0);
    block.addEdge(K.BranchPCRel32ToPtrJumpStubBypassable, 6, ext, 0);
    await linkOk(graph, { symbols: new Map([['ext', FAR]]) });

    const stubs = stubSymbols(graph);
    expect(stubs).toHaveLength(1);
    expect(graph.findSectionByName(STUBS_SECTION_NAME)!.prot).toBe(5); // R-X
    const stub = stubs[0]!;
    const stubBytes = bytesOf(stub);
    expect(hex(stubBytes.subarray(0, 2))).toBe('ff 25');
    const entry = stub.block.edges[0]!.target;
    expect(i32(stubBytes, 2)).toBe(entry.address - (stub.address + 6));
    expect(readLE(bytesOf(entry), 0, 8)).toBe(BigInt(FAR));

    const content = block.getContent();
    expect(i32(content, 1)).toBe(stub.address - (block.address + 5));
    expect(i32(content, 6)).toBe(stub.address - (block.address + 10));
    // Out of range: the calls keep going through the stub.
    expect(block.edges[0]!.kind).toBe(K.BranchPCRel32ToPtrJumpStubBypassable);
  });

  it('calls defined functions directly without a stub', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, [0xe8, 0, 0, 0, 0, 0xc3]);
    const { sym: callee, block: calleeBlock } = codeBlock(graph, [0xc3], 'callee');
    block.addEdge(K.BranchPCRel32ToPtrJumpStubBypassable, 1, callee, 0);
    await linkOk(graph);
    expect(graph.findSectionByName(STUBS_SECTION_NAME)).toBeUndefined();
    expect(block.edges[0]!.kind).toBe(K.BranchPCRel32);
    expect(i32(block.getContent(), 1)).toBe(calleeBlock.address - (block.address + 5));
  });

  it('bypasses the stub of an external that ends up in range', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, [0xe8, 0, 0, 0, 0]);
    const ext = graph.addExternalSymbol('near', 0);
    block.addEdge(K.BranchPCRel32ToPtrJumpStubBypassable, 1, ext, 0);
    await linkOk(graph, { symbols: new Map([['near', 0x50_0000]]) });
    expect(graph.findSectionByName(STUBS_SECTION_NAME)!.blocks.size).toBe(1);
    expect(block.edges[0]!.kind).toBe(K.BranchPCRel32);
    expect(block.edges[0]!.target).toBe(ext);
    expect(i32(block.getContent(), 1)).toBe(0x50_0000 - (block.address + 5));
  });

  it('routes absolute callees through a stub when they are far', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, [0xe8, 0, 0, 0, 0]);
    const abs = graph.addAbsoluteSymbol('abs_fn', FAR, 0, Linkage.Strong, Scope.Default, true);
    block.addEdge(K.BranchPCRel32ToPtrJumpStubBypassable, 1, abs, 0);
    await linkOk(graph);
    expect(block.edges[0]!.target).toBe(stubSymbols(graph)[0]);
  });
});

describe('GOT base (_GLOBAL_OFFSET_TABLE_)', () => {
  it('defines an external _GLOBAL_OFFSET_TABLE_ at the start of an otherwise empty GOT', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(12).fill(0));
    const got = graph.addExternalSymbol('_GLOBAL_OFFSET_TABLE_', 0);
    block.addEdge(K.Delta64, 0, got, 0); // GOTPC64
    block.addEdge(K.Delta32, 8, got, -4); // GOTPC32
    const outcome = await linkOk(graph, {
      symbols: () => {
        throw new Error('no lookup expected');
      },
    });
    expect(outcome.requested).toEqual([]);
    const section = graph.findSectionByName(GOT_SECTION_NAME)!;
    expect(section).toBeDefined();
    expect(got.isDefined()).toBe(true);
    expect(got.scope).toBe(Scope.Local);
    expect(got.address).toBe(section.range().start);
    expect(findGOTBase(graph)).toBe(got);
    expect(readLE(block.getContent(), 0, 8)).toBe(BigInt(got.address - block.address));
    expect(i32(block.getContent(), 8)).toBe(got.address - (block.address + 8) - 4);
  });

  it('measures GOT64 and GOTOFF64 from the GOT base', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(40).fill(0));
    const got = graph.addExternalSymbol('_GLOBAL_OFFSET_TABLE_', 0);
    const a = graph.addExternalSymbol('a', 0);
    const b = graph.addExternalSymbol('b', 0);
    const data = graph.createMutableContentBlock(dataSection(graph), new Uint8Array(16), 0, 8, 0);
    const local = graph.addDefinedSymbol(data, 8, 'local', 8, Linkage.Strong, Scope.Local, false, true);
    block.addEdge(K.Delta64, 0, got, 0);
    block.addEdge(K.RequestGOTAndTransformToDelta64FromGOT, 8, a, 0); // GOT64
    block.addEdge(K.RequestGOTAndTransformToDelta64FromGOT, 16, b, 0);
    block.addEdge(K.Delta64FromGOT, 24, local, 4); // GOTOFF64
    block.addEdge(K.RequestGOTAndTransformToDelta64FromGOT, 32, a, 0);
    await linkOk(graph, {
      symbols: new Map([
        ['a', FAR],
        ['b', FAR + 8],
      ]),
    });
    const content = block.getContent();
    const entryA = block.edges[1]!.target;
    const entryB = block.edges[2]!.target;
    expect(block.edges[4]!.target).toBe(entryA);
    expect(readLE(content, 8, 8)).toBe(BigInt(entryA.address - got.address));
    expect(readLE(content, 16, 8)).toBe(BigInt(entryB.address - got.address));
    expect(entryA.address).not.toBe(entryB.address);
    expect(readLE(content, 24, 8)).toBe(BigInt.asUintN(64, BigInt(local.address + 4 - got.address)));
    expect(readLE(bytesOf(entryA), 0, 8)).toBe(BigInt(FAR));
    // The base is the start of the GOT: every entry sits at or above it.
    for (const e of gotEntries(graph)) expect(e.address).toBeGreaterThanOrEqual(got.address);
    // Defined before the entries, it is the first symbol findGOTBase meets.
    expect([...graph.findSectionByName(GOT_SECTION_NAME)!.symbols][0]).toBe(got);
    expect(findGOTBase(graph)).toBe(got);
  });

  it('creates the GOT base for GOT-relative edges even without the external', async () => {
    const graph = x86Graph();
    const { block, sym } = codeBlock(graph, new Array(8).fill(0));
    block.addEdge(K.Delta64FromGOT, 0, sym, 0);
    await linkOk(graph);
    const base = findGOTBase(graph)!;
    expect(base.name).toBe('_GLOBAL_OFFSET_TABLE_');
    expect(readLE(block.getContent(), 0, 8)).toBe(BigInt.asUintN(64, BigInt(block.address - base.address)));
  });
});

describe('unsupported and skipped passes', () => {
  it('fails with UnsupportedFeature for TLS request kinds', async () => {
    const graph = x86Graph('tls.o');
    const { block } = codeBlock(graph, new Array(8).fill(0));
    block.addEdge(
      K.RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable,
      3,
      graph.addExternalSymbol('tv', 0),
      0,
    );
    const outcome = await linkGraph(graph);
    expect(outcome.error).toBeInstanceOf(JITLinkError);
    expect((outcome.error as JITLinkError).code).toBe('UnsupportedFeature');
    expect(outcome.error!.message).toBe(
      'thread-local storage is not yet supported: RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable in tls.o section .text at offset 0x3',
    );
  });

  it('reports GOT requests left in place when default passes are off', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(8).fill(0));
    block.addEdge(K.RequestGOTAndTransformToDelta32, 0, graph.addExternalSymbol('x', 0), -4);
    const outcome = await linkGraph(graph, { addDefaultPasses: false, symbols: new Map([['x', 0x1000]]) });
    expect((outcome.error as JITLinkError).code).toBe('InvalidGraphOperation');
  });
});

describe('canonical stubs for non-PIC function addresses', () => {
  const ENDL = '_ZSt4endlIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_';
  const INIT_DTOR = '_ZNSt8ios_base4InitD1Ev';
  const INIT_CTOR = '_ZNSt8ios_base4InitC1Ev';

  it('points absolute 32-bit function addresses beyond 4 GiB at a stub, and nothing else', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(12).fill(0));
    block.addEdge(K.Pointer32, 0, graph.addExternalSymbol(ENDL, 0), 0);
    block.addEdge(K.Pointer32Signed, 4, graph.addExternalSymbol(INIT_DTOR, 0), 0);
    block.addEdge(K.Pointer32, 8, graph.addExternalSymbol(INIT_CTOR, 0), 0);
    const near = 0x5000_0000;
    await linkOk(graph, {
      symbols: new Map([
        [ENDL, FAR],
        [INIT_DTOR, FAR + 0x100],
        [INIT_CTOR, near],
      ]),
    });
    const stubs = stubSymbols(graph);
    // One stub per function referenced this way; the in-range one is used directly.
    expect(stubs).toHaveLength(3);
    const content = block.getContent();
    for (const [offset, target] of [
      [0, FAR],
      [4, FAR + 0x100],
    ] as const) {
      const value = Number(readLE(content, offset, 4));
      const stub = stubs.find((s) => s.address === value)!;
      expect(stub).toBeDefined();
      // jmp *entry(%rip), and the entry holds the real address.
      const entryAddress = stub.address + 6 + i32(bytesOf(stub), 2);
      const entry = gotEntries(graph).find((e) => e.address === entryAddress)!;
      expect(Number(readLE(bytesOf(entry), 0, 8))).toBe(target);
    }
    expect(Number(readLE(content, 8, 4))).toBe(near);
  });

  it('never redirects data or names it cannot classify', async () => {
    for (const name of ['_ZSt4cout', '_ZTISt12out_of_range', 'printf']) {
      const graph = x86Graph();
      const { block } = codeBlock(graph, new Array(4).fill(0));
      block.addEdge(K.Pointer32, 0, graph.addExternalSymbol(name, 0), 0);
      const { error } = await linkGraph(graph, { symbols: new Map([[name, FAR]]) });
      expect(error).toBeInstanceOf(JITLinkError);
      expect((error as JITLinkError).code).toBe('FixupOutOfRange');
      expect(graph.findSectionByName(STUBS_SECTION_NAME)?.blocks.size ?? 0).toBe(0);
    }
  });
});

describe('per-link state', () => {
  it('two links in flight at once keep their own GOT, stubs and redirections', async () => {
    const ENDL = '_ZSt4endlIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_';
    // Non-PIC: an absolute 32-bit function address beyond 4 GiB, redirected to a stub.
    const nonPic = x86Graph('nonpic.o');
    const np = codeBlock(nonPic, new Array(4).fill(0)).block;
    np.addEdge(K.Pointer32, 0, nonPic.addExternalSymbol(ENDL, 0), 0);
    // PIC: a call through a stub and a GOT load of the same name, nothing to redirect.
    const pic = x86Graph('pic.o');
    const p = codeBlock(pic, new Array(8).fill(0)).block;
    const endl = pic.addExternalSymbol(ENDL, 0);
    p.addEdge(K.BranchPCRel32ToPtrJumpStubBypassable, 0, endl, 0);
    p.addEdge(K.RequestGOTAndTransformToDelta32, 4, endl, -4);
    const symbols = new Map([[ENDL, FAR]]);
    // Both are between their post-prune and pre-fixup passes at once (allocation awaits).
    await Promise.all([linkOk(nonPic, { symbols }), linkOk(pic, { symbols })]);

    const [npStub] = stubSymbols(nonPic);
    expect(stubSymbols(nonPic)).toHaveLength(1);
    expect(np.edges[0]!.target).toBe(npStub);
    expect(Number(readLE(np.getContent(), 0, 4))).toBe(npStub!.address);
    expect(gotEntries(nonPic).every((e) => e.block.section.name === GOT_SECTION_NAME)).toBe(true);

    const [picStub] = stubSymbols(pic);
    expect(stubSymbols(pic)).toHaveLength(1);
    expect(gotEntries(pic)).toHaveLength(1);
    expect(p.edges[0]!.target).toBe(picStub);
    expect(p.edges[1]!.target).toBe(gotEntries(pic)[0]);
    expect(readLE(bytesOf(gotEntries(pic)[0]!), 0, 8)).toBe(BigInt(FAR));
  });
});
