/**
 * The helpers architecture mappings share: relocation type names and
 * errors, implicit addends and the lowering of COFF's address-dependent
 * references, on llvm-mc-19's relocs.obj through an architecture that uses
 * only them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { edgeKindNamer, EdgeKinds, JITLinkError } from '@jitlink/core';
import {
  coffRelocationTypes,
  createCoffEdgeLowering,
  createCoffLinkGraph,
  defineImageBase,
  graphImageBase,
  readCoffImplicitAddend,
  type CoffArchSupport,
} from '../src/index.js';
import { CORPUS, recordingArch } from './helpers.js';

const AMD64 = { ABSOLUTE: 0, ADDR64: 1, ADDR32: 2, ADDR32NB: 3, REL32: 4, SECTION: 10, SECREL: 11 };
const TYPES = coffRelocationTypes('IMAGE_REL_AMD64_', AMD64);

// A stand-in architecture's kinds: one per relocation type above, and the kinds lowering makes.
const F = EdgeKinds.FirstRelocation;
const Kind = {
  Pointer64: F,
  Pointer32: F + 1,
  ImageRelative: F + 2,
  Delta32: F + 3,
  SectionIndex: F + 4,
  SectionRelative: F + 5,
};
const KIND_OF: Record<number, number> = {
  [AMD64.ADDR64]: Kind.Pointer64,
  [AMD64.ADDR32]: Kind.Pointer32,
  [AMD64.ADDR32NB]: Kind.ImageRelative,
  [AMD64.REL32]: Kind.Delta32,
  [AMD64.SECTION]: Kind.SectionIndex,
  [AMD64.SECREL]: Kind.SectionRelative,
};

/** An x86-64 stand-in made of the helpers only: `refuse`d types are refused. */
function helperArch(refuse: number[] = []): CoffArchSupport {
  return {
    ...recordingArch(),
    getEdgeKindName: edgeKindNamer(Object.keys(Kind)),
    relocationTypeName: TYPES.name,
    addRelocationEdge(rel, target, site) {
      if (refuse.includes(rel.type)) TYPES.unsupported(rel, site, 'refused by the test');
      if (site.throughImportTable)
        TYPES.unsupportedThroughImportTable(rel, target, site, 'no import entries here');
      const width = rel.type === AMD64.ADDR64 ? 8 : rel.type === AMD64.SECTION ? 2 : 4;
      const view = TYPES.field(rel, site, width);
      const addend =
        width === 2 ? 0 : readCoffImplicitAddend(view, site.offsetInBlock, width, rel.type === AMD64.ADDR32);
      site.block.appendEdge(KIND_OF[rel.type]!, site.offsetInBlock, target, addend);
    },
  };
}

const NAME = 'asm/x86_64-coff/relocs.obj';
const bytes = () => new Uint8Array(readFileSync(join(CORPUS, NAME)));
const build = (arch = helperArch()) => createCoffLinkGraph(bytes(), arch, { name: NAME });

function thrown(f: () => unknown): JITLinkError {
  try {
    f();
  } catch (e) {
    if (e instanceof JITLinkError) return e;
    throw e;
  }
  throw new Error('no error');
}

/** [kind name, target, addend] of each edge of the section, by offset. */
function edges(graph: ReturnType<typeof build>, section: string): [string, string | undefined, number][] {
  const block = [...graph.findSectionByName(section)!.blocks][0]!;
  return block.edges
    .sort((a, b) => a.offset - b.offset)
    .map((e) => [graph.getEdgeKindName(e.kind), e.target.name, e.addend]);
}

describe('coffRelocationTypes', () => {
  test('names the types of its table and says which numbers are unknown', () => {
    expect(TYPES.name(4)).toBe('IMAGE_REL_AMD64_REL32');
    expect(TYPES.name(5)).toBe('unknown relocation type 5');
  });

  test('a refused type is UnsupportedRelocation, naming the file, section and entry', () => {
    const e = thrown(() => build(helperArch([AMD64.SECREL])));
    expect(e.code).toBe('UnsupportedRelocation');
    expect(e.message).toMatch(
      /^asm\/x86_64-coff\/relocs\.obj, section \.data, offset 0x[0-9a-f]+: IMAGE_REL_AMD64_SECREL is not supported: refused by the test$/,
    );
  });

  test('a field outside its section is MalformedObject', () => {
    const graph = build();
    const block = [...graph.findSectionByName('.data')!.blocks][0]!;
    const site = {
      graph,
      block,
      offsetInBlock: block.size - 4,
      file: NAME,
      section: '.data',
      entryOffset: 0x200,
      throughImportTable: false,
    };
    const e = thrown(() => TYPES.field({ type: AMD64.ADDR64, offset: 0x2c, symbolIndex: 0 }, site, 8));
    expect(e.code).toBe('MalformedObject');
    expect(e.message).toBe(
      `${NAME}, section .data, offset 0x200: IMAGE_REL_AMD64_ADDR64 at offset 0x2c patches 8 bytes outside .data (size 0x${block.size.toString(16)})`,
    );
  });
});

describe('readCoffImplicitAddend', () => {
  test('reads what llvm-mc-19 stored: displacements signed, the 8-byte pointer as is', () => {
    // REL32 with 0, 1, 2 and 4 immediate bytes after the field stores 0, -1, -2, -4; the call to helper 0.
    expect(edges(build(), '.text').map(([, , addend]) => addend)).toEqual([0, -1, -2, -4, 0]);
    // .quad target_data + 8; @IMGREL, .secrel32 and .secidx store 0.
    expect(edges(build(), '.data')).toEqual([
      ['Pointer64', 'target_data', 8],
      ['ImageRelative', 'target_data', 0],
      ['SectionRelative', 'target_data', 0],
      ['SectionIndex', 'target_data', 0],
    ]);
  });

  test('8 bytes are signed; 4 bytes signed unless unsigned', () => {
    const view = new DataView(new Uint8Array([0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).buffer);
    expect(readCoffImplicitAddend(view, 0, 8)).toBe(-8);
    expect(readCoffImplicitAddend(view, 0, 4)).toBe(-8);
    expect(readCoffImplicitAddend(view, 0, 4, true)).toBe(0xfffffff8);
  });
});

describe('createCoffEdgeLowering', () => {
  const lower = createCoffEdgeLowering({
    imageRelative: [Kind.ImageRelative, Kind.Pointer32],
    sectionRelative: new Map([[Kind.SectionRelative, Kind.Pointer32]]),
    sectionIndex16: Kind.SectionIndex,
  });

  test('folds __ImageBase and the section start into the addends, and writes section numbers', () => {
    const graph = build();
    const data = graph.findSectionByName('.data')!;
    const block = [...data.blocks][0]!;
    // Placed as allocation would: the image base is the lowest address.
    graph.blockList().forEach((b, i) => (b.address = 0x10000 * (i + 1)));
    defineImageBase(graph);
    expect(graphImageBase(graph)).toBe(0x10000);
    expect(block.address).toBeGreaterThan(0x10000);
    lower(graph);
    expect(edges(graph, '.data')).toEqual([
      ['Pointer64', 'target_data', 8],
      ['Pointer32', 'target_data', -0x10000],
      ['Pointer32', 'target_data', -block.address],
    ]);
    const number = graph.sectionList().indexOf(data) + 1;
    const secidx = [...graph.definedSymbols()].find((s) => s.name === 'secidx_field')!;
    expect(block.getContent()[secidx.offset]! | (block.getContent()[secidx.offset + 1]! << 8)).toBe(number);
  });

  test('without __ImageBase, an image-relative edge is LinkFailed', () => {
    const e = thrown(() => lower(build()));
    expect(e.code).toBe('LinkFailed');
    expect(e.message).toContain(
      'image-relative relocations need __ImageBase, which the COFF backend defines',
    );
  });
});
