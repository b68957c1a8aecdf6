import {
  JITLinkError,
  Linkage,
  Scope,
  SlabMemoryManager,
  InMemoryMemoryManager,
  type LinkGraph,
  type Block,
  type Symbol,
} from '@jitlink/core';
import { applyFixup, getX86_64EdgeKindName, X86_64EdgeKinds as K } from '../src/index.js';
import { absolute, codeBlock, linkGraph, linkOk, readLE, x86Graph } from './helpers.js';

const FIXUP_OFFSET = 4;
const HIGH_BASE = -0x8000_0000_0000; // 0xffff800000000000 read as signed

interface Case {
  name: string;
  kind: number;
  width: number;
  addend: number;
  /** The target: an absolute address relative to the memory base, or 'local' (in the fixup's block, at offset 12). */
  target: (base: number) => number | 'local';
  formula: (T: bigint, P: bigint, A: bigint, Z: bigint, GOT: bigint) => bigint;
}

const SIZE = 0x1234;
const cases: Case[] = [
  {
    name: 'Pointer64',
    kind: K.Pointer64,
    width: 8,
    addend: -0x10,
    target: (b) => b + 0x1_2345_6789,
    formula: (T, _P, A) => T + A,
  },
  {
    name: 'Pointer32',
    kind: K.Pointer32,
    width: 4,
    addend: 0xf,
    target: () => 0xffff_fff0,
    formula: (T, _P, A) => T + A,
  },
  {
    name: 'Pointer32Signed',
    kind: K.Pointer32Signed,
    width: 4,
    addend: -8,
    target: () => -0x7fff_fff0,
    formula: (T, _P, A) => T + A,
  },
  {
    name: 'Pointer16',
    kind: K.Pointer16,
    width: 2,
    addend: 0xf,
    target: () => 0xfff0,
    formula: (T, _P, A) => T + A,
  },
  {
    name: 'Pointer16 negative',
    kind: K.Pointer16,
    width: 2,
    addend: 0,
    target: () => -0x8000,
    formula: (T, _P, A) => T + A,
  },
  {
    name: 'Pointer8',
    kind: K.Pointer8,
    width: 1,
    addend: 1,
    target: () => 0xfe,
    formula: (T, _P, A) => T + A,
  },
  {
    name: 'Delta64',
    kind: K.Delta64,
    width: 8,
    addend: -4,
    target: (b) => b - 0x12_3456_789a,
    formula: (T, P, A) => T - P + A,
  },
  {
    name: 'Delta32',
    kind: K.Delta32,
    width: 4,
    addend: -4,
    target: (b) => b + 0x7000_0000,
    formula: (T, P, A) => T - P + A,
  },
  {
    name: 'Delta32 backwards',
    kind: K.Delta32,
    width: 4,
    addend: -4,
    target: (b) => b - 0x7000_0000,
    formula: (T, P, A) => T - P + A,
  },
  {
    name: 'Delta16',
    kind: K.Delta16,
    width: 2,
    addend: -2,
    target: () => 'local',
    formula: (T, P, A) => T - P + A,
  },
  {
    name: 'Delta8',
    kind: K.Delta8,
    width: 1,
    addend: -20,
    target: () => 'local',
    formula: (T, P, A) => T - P + A,
  },
  {
    name: 'NegDelta64',
    kind: K.NegDelta64,
    width: 8,
    addend: 3,
    target: (b) => b + 0x55_0000_0000,
    formula: (T, P, A) => P - T + A,
  },
  {
    name: 'NegDelta32',
    kind: K.NegDelta32,
    width: 4,
    addend: 3,
    target: (b) => b + 0x1000_0000,
    formula: (T, P, A) => P - T + A,
  },
  {
    name: 'Size64',
    kind: K.Size64,
    width: 8,
    addend: -1,
    target: (b) => b + 0x100,
    formula: (_T, _P, A, Z) => Z + A,
  },
  {
    name: 'Size32',
    kind: K.Size32,
    width: 4,
    addend: 8,
    target: (b) => b + 0x100,
    formula: (_T, _P, A, Z) => Z + A,
  },
  {
    name: 'PCRel32',
    kind: K.PCRel32,
    width: 4,
    addend: 0,
    target: (b) => b + 0x4000_0000,
    formula: (T, P, A) => T - (P + 4n) + A,
  },
  {
    name: 'BranchPCRel32',
    kind: K.BranchPCRel32,
    width: 4,
    addend: -2,
    target: (b) => b - 0x10_0000,
    formula: (T, P, A) => T - (P + 4n) + A,
  },
  {
    name: 'BranchPCRel32ToPtrJumpStub',
    kind: K.BranchPCRel32ToPtrJumpStub,
    width: 4,
    addend: 0,
    target: () => 'local',
    formula: (T, P, A) => T - (P + 4n) + A,
  },
];

interface Built {
  graph: LinkGraph;
  block: Block;
  target: Symbol;
}

function build(c: Case, base: number): Built {
  const graph = x86Graph();
  const { block } = codeBlock(graph, new Array(16).fill(0xcc));
  const where = c.target(base);
  let target: Symbol;
  if (where === 'local')
    target = graph.addDefinedSymbol(block, 12, 'local', SIZE, Linkage.Strong, Scope.Local, false, true);
  else target = absolute(graph, 'target', where, SIZE);
  block.addEdge(c.kind, FIXUP_OFFSET, target, c.addend);
  return { graph, block, target };
}

function expected(c: Case, built: Built): bigint {
  const T = BigInt(built.target.address);
  const P = BigInt(built.block.address + FIXUP_OFFSET);
  return BigInt.asUintN(c.width * 8, c.formula(T, P, BigInt(c.addend), BigInt(SIZE), 0n));
}

describe.each([
  ['low memory (0x10000)', () => new InMemoryMemoryManager(), 0x10000],
  [
    'high-half memory (0xffff800000000000)',
    () => new SlabMemoryManager({ size: 0x10_0000, baseAddress: HIGH_BASE }),
    HIGH_BASE,
  ],
])('fixup formulas in %s', (_label, memory, base) => {
  it.each(cases)('$name', async (c) => {
    const built = build(c, base);
    await linkOk(built.graph, { memory: memory() });
    const content = built.block.getContent();
    expect(readLE(content, FIXUP_OFFSET, c.width)).toBe(expected(c, built));
    // Neighbouring bytes are untouched.
    expect(content[FIXUP_OFFSET - 1]).toBe(0xcc);
    expect(content[FIXUP_OFFSET + c.width]).toBe(0xcc);
  });
});

describe('64-bit exactness', () => {
  it('writes high-half addresses exactly', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(24).fill(0));
    const self = graph.addDefinedSymbol(block, 0, 'self', 24, Linkage.Strong, Scope.Local, false, true);
    block.addEdge(K.Pointer64, 0, self, 0x10);
    block.addEdge(K.Pointer64, 8, absolute(graph, 'kernelish', -0x8000_0000), 0); // 0xffffffff80000000
    block.addEdge(K.Delta64, 16, absolute(graph, 'low', 0x1000), 0);
    await linkOk(graph, { memory: new SlabMemoryManager({ size: 0x10000, baseAddress: HIGH_BASE }) });
    const c = block.getContent();
    expect(readLE(c, 0, 8)).toBe(0xffff_8000_0000_0010n);
    expect(readLE(c, 8, 8)).toBe(0xffff_ffff_8000_0000n);
    // 0x1000 - (0xffff800000000010) mod 2^64
    expect(readLE(c, 16, 8)).toBe(BigInt.asUintN(64, 0x1000n - 0xffff_8000_0000_0010n));
  });

  it('writes Pointer32Signed of a high-half address as its sign-extended low half', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(4).fill(0));
    block.addEdge(K.Pointer32Signed, 0, absolute(graph, 'k', -0x7000_0000), 0);
    await linkOk(graph);
    expect(readLE(block.getContent(), 0, 4)).toBe(0x9000_0000n);
  });
});

describe('range checks', () => {
  async function failure(
    kind: number,
    targetAddress: number,
    addend = 0,
    memory = new InMemoryMemoryManager(),
  ): Promise<JITLinkError> {
    const graph = x86Graph('range.o');
    const { block } = codeBlock(graph, new Array(16).fill(0), 'func');
    block.addEdge(kind, 4, absolute(graph, 'far_away', targetAddress), addend);
    const outcome = await linkGraph(graph, { memory });
    expect(outcome.error).toBeInstanceOf(JITLinkError);
    const err = outcome.error as JITLinkError;
    expect(err.code).toBe('FixupOutOfRange');
    expect(err.file).toBe('range.o');
    expect(err.section).toBe('.text');
    // Names the kind, the target, the block and the fixup address.
    expect(err.message).toContain(getX86_64EdgeKindName(kind));
    expect(err.message).toContain('far_away');
    expect(err.message).toContain('section .text');
    expect(err.message).toContain('block 0x0000000000010000');
    expect(err.message).toContain('fixup at 0x0000000000010004');
    return err;
  }

  it('rejects Pointer32 above 4 GiB and advises -fPIC', async () => {
    const err = await failure(K.Pointer32, 0xffff_fff0, 0x10);
    expect(err.message).toContain('out of range of uint32');
    expect(err.message).toContain('rebuild with -fPIC or -fPIE, or place the code below 2 GiB');
  });

  it('rejects negative Pointer32', async () => {
    const err = await failure(K.Pointer32, 0x10, -0x11);
    expect(err.message).toContain('value -0x1');
  });

  it('rejects Pointer32Signed at 2 GiB', async () => {
    const err = await failure(K.Pointer32Signed, 0x8000_0000);
    expect(err.message).toContain('out of range of int32');
    expect(err.message).toContain('-fPIC');
  });

  it('rejects Pointer32 of high memory', async () => {
    const graph = x86Graph('high.o');
    const { block, sym } = codeBlock(graph, new Array(8).fill(0));
    block.addEdge(K.Pointer32, 0, sym, 0);
    const outcome = await linkGraph(graph, {
      memory: new SlabMemoryManager({ size: 0x10000, baseAddress: HIGH_BASE }),
    });
    expect(outcome.error?.message).toContain('Pointer32 fixup at 0xffff800000000000');
  });

  it.each([
    ['Delta32', K.Delta32, 0x10000 + 4 + 0x8000_0000],
    ['Delta32', K.Delta32, 0x10000 + 4 - 0x8000_0001],
    ['PCRel32', K.PCRel32, 0x10000 + 8 + 0x8000_0000],
    ['BranchPCRel32', K.BranchPCRel32, 0x7f00_0000_0000],
    ['NegDelta32', K.NegDelta32, 0x7f00_0000_0000],
    ['Delta16', K.Delta16, 0x10000 + 4 + 0x8000],
    ['Delta8', K.Delta8, 0x10000 + 4 - 0x81],
    ['Pointer16', K.Pointer16, 0x1_0000],
    ['Pointer8', K.Pointer8, -0x81],
  ])('rejects %s to %d', async (_name, kind, address) => {
    const err = await failure(kind, address);
    expect(err.message).toMatch(/out of range of u?int(8|16|32)/);
  });

  it('accepts the exact int32 limits', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(8).fill(0));
    block.addEdge(K.Delta32, 0, absolute(graph, 'max', 0x10000 + 0x7fff_ffff), 0);
    block.addEdge(K.Delta32, 4, absolute(graph, 'min', 0x10004 - 0x8000_0000), 0);
    await linkOk(graph);
    expect(readLE(block.getContent(), 0, 4)).toBe(0x7fff_ffffn);
    expect(readLE(block.getContent(), 4, 4)).toBe(0x8000_0000n);
  });

  it('rejects 64-bit values that are not exact', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(8).fill(0));
    block.addEdge(K.Delta64, 0, absolute(graph, 'top', 2 ** 53), 0);
    const outcome = await linkGraph(graph, {
      memory: new SlabMemoryManager({ size: 0x10000, baseAddress: -(2 ** 53) }),
    });
    expect((outcome.error as JITLinkError).code).toBe('FixupOutOfRange');
  });
});

describe('invalid edges', () => {
  function direct(kind: number, offset: number, size = 8): () => void {
    const graph = x86Graph('bad.o');
    const { block, sym } = codeBlock(graph, new Array(size).fill(0));
    const edge = block.addEdge(kind, offset, sym, 0);
    const content = block.getContent();
    return () =>
      applyFixup(
        graph,
        block,
        edge,
        content,
        new DataView(content.buffer, content.byteOffset, content.length),
      );
  }

  it('rejects a fixup that runs past its block', () => {
    expect(direct(K.Pointer64, 4)).toThrow(/does not fit in the 8-byte block/);
    expect(direct(K.Delta32, -1)).toThrow(JITLinkError);
  });

  it('rejects unknown kinds as UnsupportedRelocation', () => {
    expect(direct(999, 0)).toThrow(expect.objectContaining({ code: 'UnsupportedRelocation' }));
  });

  it('rejects GOT requests that were not lowered', () => {
    expect(direct(K.RequestGOTAndTransformToDelta32, 0)).toThrow(
      /must be lowered before fixups \(by the GOT\/PLT pass/,
    );
  });

  it('reports TLS kinds as unsupported', () => {
    expect(direct(K.RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable, 2)).toThrow(
      expect.objectContaining({
        code: 'UnsupportedFeature',
        message: expect.stringContaining('thread-local storage is not yet supported: RequestTLSDescInGOT'),
      }),
    );
  });

  it('requires a GOT base for Delta64FromGOT when passes are skipped', async () => {
    const graph = x86Graph('nogot.o');
    const { block, sym } = codeBlock(graph, new Array(8).fill(0));
    block.addEdge(K.Delta64FromGOT, 0, sym, 0);
    const outcome = await linkGraph(graph, { addDefaultPasses: false });
    expect(outcome.error?.message).toContain('has no _GLOBAL_OFFSET_TABLE_');
  });
});

describe('edge kind names', () => {
  it('names every kind', () => {
    for (const [name, kind] of Object.entries(K)) expect(getX86_64EdgeKindName(kind)).toBe(name);
    expect(getX86_64EdgeKindName(1)).toBe('Keep-Alive');
  });
});
