import { JITLinkError, Linkage, MemLifetime, MemProt, Scope, type Symbol } from '@jitlink/core';
import type { ElfRelocation, ElfRelocationSite } from '@jitlink/elf';
import { X86_64EdgeKinds as K } from '../src/index.js';
import { R_X86_64, x86_64Elf } from '../src/elf/index.js';
import { codeBlock, dataSection, x86Graph } from './helpers.js';

function setup() {
  const graph = x86Graph('map.o');
  const { block } = codeBlock(graph, new Array(32).fill(0));
  const site: ElfRelocationSite = {
    graph,
    block,
    offsetInBlock: 8,
    file: 'map.o',
    relocationSection: '.rela.text',
    entryOffset: 0x240,
  };
  const ext = graph.addExternalSymbol('ext', 0);
  const data = graph.createMutableContentBlock(dataSection(graph), new Uint8Array(8), 0, 8, 0);
  const local = graph.addDefinedSymbol(data, 0, 'local', 8, Linkage.Strong, Scope.Local, false, true);
  return { graph, block, site, ext, local };
}

function rel(type: number, addend = -4): ElfRelocation {
  return { type, offset: 8, symbolIndex: 1, addend };
}

describe('R_X86_64_* to edge kinds', () => {
  it.each([
    ['64', R_X86_64._64, K.Pointer64, 0],
    ['PC32', R_X86_64.PC32, K.Delta32, 0],
    ['PLT32', R_X86_64.PLT32, K.BranchPCRel32ToPtrJumpStubBypassable, 4],
    ['GOTPCREL', R_X86_64.GOTPCREL, K.RequestGOTAndTransformToDelta32, 0],
    ['GOTPCRELX', R_X86_64.GOTPCRELX, K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable, 4],
    ['REX_GOTPCRELX', R_X86_64.REX_GOTPCRELX, K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable, 4],
    ['32', R_X86_64._32, K.Pointer32, 0],
    ['32S', R_X86_64._32S, K.Pointer32Signed, 0],
    ['16', R_X86_64._16, K.Pointer16, 0],
    ['PC16', R_X86_64.PC16, K.Delta16, 0],
    ['8', R_X86_64._8, K.Pointer8, 0],
    ['PC8', R_X86_64.PC8, K.Delta8, 0],
    ['PC64', R_X86_64.PC64, K.Delta64, 0],
    ['GOTOFF64', R_X86_64.GOTOFF64, K.Delta64FromGOT, 0],
    ['GOT64', R_X86_64.GOT64, K.RequestGOTAndTransformToDelta64FromGOT, 0],
    ['GOTPCREL64', R_X86_64.GOTPCREL64, K.RequestGOTAndTransformToDelta64, 0],
    ['PLTOFF64', R_X86_64.PLTOFF64, K.Delta64FromGOT, 0],
    ['SIZE32', R_X86_64.SIZE32, K.Size32, 0],
    ['SIZE64', R_X86_64.SIZE64, K.Size64, 0],
  ])('R_X86_64_%s', (_name, type, kind, addendDelta) => {
    const { block, site, ext } = setup();
    x86_64Elf.addRelocationEdge(rel(type, -4), ext, site);
    expect(block.edges).toHaveLength(1);
    const edge = block.edges[0]!;
    expect(edge.kind).toBe(kind);
    expect(edge.offset).toBe(8);
    expect(edge.addend).toBe(-4 + addendDelta);
    expect(edge.target).toBe(ext);
  });

  it.each([
    ['GOTPC32', R_X86_64.GOTPC32, K.Delta32],
    ['GOTPC64', R_X86_64.GOTPC64, K.Delta64],
  ])('R_X86_64_%s targets _GLOBAL_OFFSET_TABLE_', (_name, type, kind) => {
    const { graph, block, site, ext } = setup();
    const got = graph.addExternalSymbol('_GLOBAL_OFFSET_TABLE_', 0);
    x86_64Elf.addRelocationEdge(rel(type, 2), got, site);
    expect(block.edges[0]!.kind).toBe(kind);
    expect(block.edges[0]!.target).toBe(got);
    expect(block.edges[0]!.addend).toBe(2);
    // Whatever symbol the relocation names, the value is measured from the GOT.
    x86_64Elf.addRelocationEdge(rel(type, 2), ext, site);
    expect(block.edges[1]!.target).toBe(got);
  });

  it('skips R_X86_64_NONE', () => {
    const { block, site, ext } = setup();
    x86_64Elf.addRelocationEdge(rel(R_X86_64.NONE), ext, site);
    expect(block.edges).toHaveLength(0);
  });

  it('asks for low memory only for absolute 32-bit references to allocated content of the graph', () => {
    const a = setup();
    x86_64Elf.addRelocationEdge(rel(R_X86_64._32S, 0), a.ext, a.site);
    expect(a.graph.requiresLow32BitAddresses).toBe(false);
    x86_64Elf.addRelocationEdge(rel(R_X86_64._32, 0), a.local, a.site);
    expect(a.graph.requiresLow32BitAddresses).toBe(true);

    const b = setup();
    x86_64Elf.addRelocationEdge(rel(R_X86_64._32S, 0), b.local, b.site);
    expect(b.graph.requiresLow32BitAddresses).toBe(true);

    // DWARF32 .debug_info -> .debug_str references do not constrain memory.
    const c = setup();
    const debugStr = c.graph.createSection('.debug_str', MemProt.Read, MemLifetime.NoAlloc);
    const strBlock = c.graph.createMutableContentBlock(debugStr, new Uint8Array(4), 0, 1, 0);
    const str: Symbol = c.graph.addAnonymousSymbol(strBlock, 0, 0, false, false);
    x86_64Elf.addRelocationEdge(rel(R_X86_64._32, 0), str, c.site);
    expect(c.graph.requiresLow32BitAddresses).toBe(false);
  });

  it.each([
    [R_X86_64.TLSGD, K.RequestTLSGDAndTransformToDelta32],
    [R_X86_64.TLSLD, K.RequestTLSLDAndTransformToDelta32],
    [R_X86_64.DTPOFF32, K.DTPOff32],
    [R_X86_64.DTPOFF64, K.DTPOff64],
    [R_X86_64.DTPMOD64, K.TLSModuleId64],
    [R_X86_64.GOTTPOFF, K.RequestGOTTPOffAndTransformToDelta32],
    [R_X86_64.CODE_4_GOTTPOFF, K.RequestGOTTPOffAndTransformToDelta32],
    [R_X86_64.TPOFF32, K.TPOff32],
    [R_X86_64.TPOFF64, K.TPOff64],
    [R_X86_64.GOTPC32_TLSDESC, K.RequestTLSDescAndTransformToDelta32],
    [R_X86_64.CODE_4_GOTPC32_TLSDESC, K.RequestTLSDescAndTransformToDelta32],
  ])('maps TLS relocation %i to its thread-local kind', (type, kind) => {
    const { site, ext, block } = setup();
    x86_64Elf.addRelocationEdge(rel(type), ext, site);
    expect(block.edges.map((e) => [e.kind, e.offset, e.addend])).toEqual([[kind, 8, -4]]);
  });

  it('adds no edge for R_X86_64_TLSDESC_CALL (the call needs no fixup)', () => {
    const { site, ext, block } = setup();
    x86_64Elf.addRelocationEdge(rel(R_X86_64.TLSDESC_CALL), ext, site);
    expect(block.edgeCount).toBe(0);
  });

  it('reports R_X86_64_TLSDESC (a dynamic relocation) as unsupported', () => {
    const { site, ext } = setup();
    expect(() => x86_64Elf.addRelocationEdge(rel(R_X86_64.TLSDESC), ext, site)).toThrow(
      'thread-local storage is not yet supported: R_X86_64_TLSDESC in map.o section .text at offset 0x8',
    );
  });

  it.each([
    [R_X86_64.COPY, 'R_X86_64_COPY'],
    [R_X86_64.GLOB_DAT, 'R_X86_64_GLOB_DAT'],
    [R_X86_64.RELATIVE, 'R_X86_64_RELATIVE'],
    [R_X86_64.IRELATIVE, 'R_X86_64_IRELATIVE'],
    [R_X86_64.GOT32, 'R_X86_64_GOT32'],
    [200, 'unknown relocation type 200'],
  ])('rejects type %i (%s) as UnsupportedRelocation', (type, name) => {
    const { site, ext } = setup();
    expect(() => x86_64Elf.addRelocationEdge(rel(type), ext, site)).toThrow(
      expect.objectContaining({
        code: 'UnsupportedRelocation',
        file: 'map.o',
        section: '.rela.text',
        offset: 0x240,
        message: expect.stringContaining(`unsupported relocation type ${type} (${name})`),
      }),
    );
  });

  it('rejects a relocation that patches bytes past its section', () => {
    const { site, ext } = setup();
    site.offsetInBlock = 28;
    expect(() => x86_64Elf.addRelocationEdge({ ...rel(R_X86_64._64), offset: 28 }, ext, site)).toThrow(
      expect.objectContaining({
        code: 'MalformedObject',
        message: expect.stringContaining('patches 8 bytes outside .text'),
      }),
    );
    // A 4-byte relocation at the same place fits.
    x86_64Elf.addRelocationEdge({ ...rel(R_X86_64.PC32), offset: 28 }, ext, site);
  });
});

describe('x86_64Elf', () => {
  it('describes the architecture', () => {
    expect(x86_64Elf.machine).toBe(62);
    expect(x86_64Elf.arch).toBe('x86_64');
    expect(x86_64Elf.packageName).toBe('@jitlink/arch-x86-64');
    expect(x86_64Elf.triple(64, 'little')).toBe('x86_64-unknown-linux-gnu');
    expect(() => x86_64Elf.triple(32, 'little')).toThrow(JITLinkError);
    expect(x86_64Elf.getEdgeKindName(K.Delta32)).toBe('Delta32');
  });

  it('names every relocation type 0..45', () => {
    const expected = [
      'NONE',
      '64',
      'PC32',
      'GOT32',
      'PLT32',
      'COPY',
      'GLOB_DAT',
      'JUMP_SLOT',
      'RELATIVE',
      'GOTPCREL',
      '32',
      '32S',
      '16',
      'PC16',
      '8',
      'PC8',
      'DTPMOD64',
      'DTPOFF64',
      'TPOFF64',
      'TLSGD',
      'TLSLD',
      'DTPOFF32',
      'GOTTPOFF',
      'TPOFF32',
      'PC64',
      'GOTOFF64',
      'GOTPC32',
      'GOT64',
      'GOTPCREL64',
      'GOTPC64',
      'GOTPLT64',
      'PLTOFF64',
      'SIZE32',
      'SIZE64',
      'GOTPC32_TLSDESC',
      'TLSDESC_CALL',
      'TLSDESC',
      'IRELATIVE',
      'RELATIVE64',
      'PC32_BND',
      'PLT32_BND',
      'GOTPCRELX',
      'REX_GOTPCRELX',
      'CODE_4_GOTPCRELX',
      'CODE_4_GOTTPOFF',
      'CODE_4_GOTPC32_TLSDESC',
    ];
    expected.forEach((name, type) => expect(x86_64Elf.relocationTypeName(type)).toBe(`R_X86_64_${name}`));
  });
});
