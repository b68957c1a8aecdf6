import {
  addEHFramePasses,
  createEHFrameEdgeFixerPass,
  createEHFrameNullTerminatorPass,
  createEHFrameSplitterPass,
  EdgeKinds,
  JITLinkError,
  LinkGraph,
  MemProt,
  PassConfiguration,
  prune,
  computeSegmentLayout,
  type Block,
} from '../src/index.js';
import { countGraphOperations, expectLinear } from './helpers.js';

const K = { pointer32: 10, pointer64: 11, delta32: 12, delta64: 13, negDelta32: 14 };
const EH = '__eh_frame';

/** Little-endian byte writer for hand-made CFI records. */
class Bytes {
  readonly out: number[] = [];
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.out.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  i32(v: number): this {
    return this.u32(v >>> 0);
  }
  u64(v: number): this {
    this.u32(v % 0x1_0000_0000);
    return this.u32(Math.floor(v / 0x1_0000_0000));
  }
  str(s: string): this {
    for (const c of s) this.out.push(c.charCodeAt(0));
    return this.u8(0);
  }
  get length(): number {
    return this.out.length;
  }
}

/** Appends a record: length, then `body` (which starts with the CIE id / CIE pointer), padded to `padTo` (8 like GCC, 4 like Clang). */
function record(section: Bytes, body: (b: Bytes, recordStart: number) => void, padTo = 8): number {
  const start = section.length;
  const b = new Bytes();
  body(b, start);
  while ((4 + b.length) % padTo !== 0) b.u8(0); // DW_CFA_nop
  section.u32(b.length);
  for (const x of b.out) section.u8(x);
  return start;
}

function cie(section: Bytes, augmentation: string, augData: (b: Bytes, fieldOffset: () => number) => void): number {
  return record(section, (b, start) => {
    b.u32(0).u8(1).str(augmentation).u8(1).u8(0x78).u8(16);
    if (augmentation.startsWith('z')) {
      const data = new Bytes();
      // Offsets of augmentation-data fields within the section, for pcrel values.
      augData(data, () => start + 4 + b.length + 1 + data.length);
      b.u8(data.length);
      for (const x of data.out) b.u8(x);
    }
  });
}

interface Fixture {
  graph: LinkGraph;
  functions: Block[];
  ehBlock: Block;
  cieOffset: number;
  fdeOffsets: number[];
}

const TEXT_BASE = 0x1000;
const EH_BASE = 0x100000;

/** A graph with `n` 16-byte functions and an eh-frame with one CIE ("zR", pcrel sdata4) and one FDE each, no edges. */
function fixture(n: number, padTo = 8, fdePadding = 0): Fixture {
  const graph = new LinkGraph({ name: 'cfi.o', triple: 'x86_64-apple-macosx', pointerSize: 8, endianness: 'little' });
  const text = graph.createSection('__text', MemProt.Read | MemProt.Exec);
  const functions: Block[] = [];
  for (let i = 0; i < n; i++) {
    const b = graph.createContentBlock(text, new Uint8Array(16).fill(0xc3), TEXT_BASE + 16 * i, 16, 0);
    graph.addDefinedSymbol(b, 0, `f${i}`, 16, 0, 0, true, false);
    functions.push(b);
  }
  const s = new Bytes();
  const cieOffset = cie(s, 'zR', (d) => d.u8(0x1b));
  const fdeOffsets: number[] = [];
  for (let i = 0; i < n; i++) {
    fdeOffsets.push(
      record(s, (b, start) => {
        b.u32(start + 4 - cieOffset); // CIE pointer: distance back to the CIE
        b.i32(TEXT_BASE + 16 * i - (EH_BASE + start + 8)); // pc-begin, pcrel
        b.u32(16).u8(0); // pc-range, empty augmentation data
        for (let k = 0; k < fdePadding * i; k++) b.u8(0); // DW_CFA_nop: records of varied sizes
      }, padTo),
    );
  }
  const eh = graph.createSection(EH, MemProt.Read);
  const ehBlock = graph.createContentBlock(eh, Uint8Array.from(s.out), EH_BASE, 8, 0);
  return { graph, functions, ehBlock, cieOffset, fdeOffsets };
}

function runPasses(graph: LinkGraph): void {
  createEHFrameSplitterPass(EH)(graph);
  createEHFrameEdgeFixerPass(EH, 8, K)(graph);
}

/** What backends run: the passes `addEHFramePasses` adds (the terminator included). */
function runHelperPasses(graph: LinkGraph, kinds: typeof K & { requestGOTAndTransformToDelta32?: number } = K): void {
  const config = new PassConfiguration();
  addEHFramePasses(config, EH, { pointerSize: 8, edgeKinds: kinds });
  for (const pass of config.prePrunePasses) void pass(graph);
}

function records(graph: LinkGraph): Block[] {
  return [...graph.findSectionByName(EH)!.blocks].sort((a, b) => a.address - b.address);
}

/** Every block of every section by address, with its edges (targets by address and name) and symbols. */
function graphShape(graph: LinkGraph): string[] {
  const where = (s: { address: number; name: string | undefined }) => `${s.address.toString(16)}${s.name ?? ''}`;
  const out: string[] = [];
  for (const section of graph.sectionList()) {
    for (const b of [...section.blocks].sort((x, y) => x.address - y.address)) {
      out.push(`${section.name} ${b.address.toString(16)}+${b.size} align ${b.alignment}/${b.alignmentOffset}`);
      for (const e of b.edges) out.push(`  edge ${e.kind} @${e.offset} -> ${where(e.target)} + ${e.addend}`);
    }
    for (const sym of section.symbols) out.push(`  symbol ${where(sym)} size ${sym.size} live ${sym.live}`);
  }
  return out;
}

function catchError(fn: () => void): JITLinkError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('expected a JITLinkError');
}

describe('eh-frame passes on hand-made records without relocations', () => {
  test('split into one block per record; edges found by address; keep-alive from each function', () => {
    const { graph, functions } = fixture(8);
    runPasses(graph);
    const blocks = records(graph);
    expect(blocks).toHaveLength(9);
    const cieBlock = blocks[0]!;
    for (let i = 0; i < 8; i++) {
      const fde = blocks[i + 1]!;
      const cieEdge = fde.edges.find((e) => e.offset === 4)!;
      expect(cieEdge.kind).toBe(K.negDelta32);
      expect(cieEdge.target.block).toBe(cieBlock);
      // The edge leads to the CIE's first byte, and P - (T + A) is the CIE pointer the record holds.
      expect(cieEdge.target.address + cieEdge.addend).toBe(cieBlock.address);
      const ciePointer = new DataView(fde.getContent().buffer, fde.getContent().byteOffset).getUint32(4, true);
      expect(fde.address + 4 - (cieEdge.target.address + cieEdge.addend)).toBe(ciePointer);
      const pcBegin = fde.edges.find((e) => e.offset === 8)!;
      expect(pcBegin.kind).toBe(K.delta32);
      expect(pcBegin.target.name).toBe(`f${i}`);
      const keepAlive = functions[i]!.edges.filter((e) => e.kind === EdgeKinds.KeepAlive);
      expect(keepAlive).toHaveLength(1);
      expect(keepAlive[0]!.target.block).toBe(fde);
    }
  });

  test('dead functions lose their FDEs; the terminator stays last', () => {
    const { graph } = fixture(5);
    runPasses(graph);
    createEHFrameNullTerminatorPass(EH)(graph);
    [...graph.definedSymbols()].find((s) => s.name === 'f3')!.live = true;
    prune(graph);
    const blocks = records(graph);
    expect(blocks).toHaveLength(3);
    expect(blocks[1]!.edges.find((e) => e.offset === 8)!.target.name).toBe('f3');
    expect([...blocks[2]!.getContent()]).toEqual([0, 0, 0, 0]);
    expect(blocks[2]!.address).toBeGreaterThan(blocks[1]!.address);
  });

  test('records padded only to 4 stay contiguous after FDEs are dead-stripped', () => {
    // Clang pads records to 4 in an 8-aligned section: removing one FDE must
    // not let the layout insert zero padding, which runtimes read as the end.
    const { graph, ehBlock } = fixture(6, 4, 4);
    expect(ehBlock.alignment).toBe(8);
    runPasses(graph);
    for (const b of records(graph)) expect([b.alignment, b.alignmentOffset]).toEqual([4, 0]);
    createEHFrameNullTerminatorPass(EH)(graph);
    for (const name of ['f0', 'f2', 'f5']) [...graph.definedSymbols()].find((s) => s.name === name)!.live = true;
    prune(graph);
    const layout = computeSegmentLayout(graph);
    const segment = layout.segments.find((seg) => seg.blocks.some((b) => b.section.name === EH))!;
    const eh = segment.blocks.map((b, i) => ({ b, offset: segment.offsets[i]! })).filter((x) => x.b.section.name === EH);
    expect(eh).toHaveLength(5); // CIE, three FDEs, terminator
    for (let i = 1; i < eh.length; i++) expect(eh[i]!.offset).toBe(eh[i - 1]!.offset + eh[i - 1]!.b.size);
  });

  test('GCC-style records padded to 8 keep alignment 8', () => {
    const { graph } = fixture(3);
    runPasses(graph);
    for (const b of records(graph)) expect([b.alignment, b.alignmentOffset]).toEqual([8, 0]);
  });

  test('FDEs are split and fixed in linear work: 10x the FDEs, at most ~10x the graph operations', () => {
    // A quadratic split (moving every remaining edge or scanning every symbol per split) costs ~100x.
    expectLinear((n) => {
      const { graph, functions, ehBlock, fdeOffsets } = fixture(n);
      // As a compiler's object has them: a relocation at each pc-begin and a symbol at each record.
      fdeOffsets.forEach((at, i) => {
        ehBlock.addEdge(K.delta32, at + 8, graph.addAnonymousSymbol(functions[i]!, 0, 16, true, false), 0);
        graph.addAnonymousSymbol(ehBlock, at, 0, false, false);
      });
      const operations = countGraphOperations(() => runPasses(graph));
      expect(records(graph)).toHaveLength(n + 1);
      return operations;
    }, 2000);
  });

  test('symbols of the section move to the record that holds them, at their offset in it', () => {
    const { graph, ehBlock, cieOffset, fdeOffsets } = fixture(4);
    const atStart = fdeOffsets.map((at) => graph.addAnonymousSymbol(ehBlock, at, 0, false, false));
    const inside = graph.addAnonymousSymbol(ehBlock, fdeOffsets[2]! + 8, 4, false, false);
    const cieSymbol = graph.addAnonymousSymbol(ehBlock, cieOffset, 0, false, false);
    runPasses(graph);
    const blocks = records(graph);
    // Blocks compared by address: a failed match of two blocks would print whole graphs.
    const where = (sym: { block: Block; offset: number }) => [sym.block.address, sym.offset];
    expect(where(cieSymbol)).toEqual([blocks[0]!.address, 0]);
    atStart.forEach((sym, i) => expect([i, ...where(sym)]).toEqual([i, blocks[i + 1]!.address, 0]));
    expect([...where(inside), inside.size]).toEqual([blocks[3]!.address, 8, 4]);
    // The fixer's KeepAlive edges lead to those symbols rather than new ones.
    const keepAliveTargets = graph.findSectionByName('__text')!.symbols.size;
    expect(keepAliveTargets).toBe(4);
    for (const b of [...graph.findSectionByName('__text')!.blocks])
      expect(b.edges.filter((e) => e.kind === EdgeKinds.KeepAlive).map((e) => atStart.includes(e.target))).toEqual([true]);
  });

  test('personality (absptr) and LSDA (pcrel) pointers get edges', () => {
    const graph = new LinkGraph({ name: 'cxx.o', triple: 'x86_64-apple-macosx', pointerSize: 8, endianness: 'little' });
    const text = graph.createSection('__text', MemProt.Read | MemProt.Exec);
    const fn = graph.createContentBlock(text, new Uint8Array(32), 0x1000, 16, 0);
    graph.addDefinedSymbol(fn, 0, 'f', 32, 0, 0, true, false);
    const data = graph.createSection('__data', MemProt.Read);
    const personality = graph.createContentBlock(data, new Uint8Array(8), 0x2000, 8, 0);
    graph.addDefinedSymbol(personality, 0, '___gxx_personality_v0', 8, 0, 0, true, false);
    const lsda = graph.createContentBlock(data, new Uint8Array(16), 0x3000, 4, 0);
    const s = new Bytes();
    const cieAt = cie(s, 'zPLR', (d) => {
      d.u8(0x00).u64(0x2000); // personality: absptr
      d.u8(0x1b); // LSDA: pcrel sdata4
      d.u8(0x1b); // FDE: pcrel sdata4
    });
    const base = 0x8000;
    record(s, (b, start) => {
      b.u32(start + 4 - cieAt);
      b.i32(0x1000 - (base + start + 8));
      b.u32(32);
      b.u8(4); // augmentation data: the LSDA pointer
      b.i32(0x3004 - (base + start + 17));
    });
    const eh = graph.createSection(EH, MemProt.Read);
    graph.createContentBlock(eh, Uint8Array.from(s.out), base, 8, 0);
    runPasses(graph);
    const [cieBlock, fde] = records(graph);
    expect(cieBlock!.edges.map((e) => [e.kind, e.target.name])).toEqual([[K.pointer64, '___gxx_personality_v0']]);
    const lsdaEdge = fde!.edges.find((e) => e.offset === 17)!;
    expect(lsdaEdge.kind).toBe(K.delta32);
    expect(lsdaEdge.target.block).toBe(lsda);
    expect(lsdaEdge.target.offset).toBe(4);
  });

  test('malformed records give JITLinkErrors naming the section and record offset', () => {
    // Record length past the end of the section.
    let f = fixture(2);
    f.ehBlock.getMutableContent(f.graph)[f.fdeOffsets[1]!] = 0xf0;
    let err = catchError(() => createEHFrameSplitterPass(EH)(f.graph));
    expect(err.code).toBe('MalformedObject');
    expect(err.section).toBe(EH);
    expect(err.offset).toBe(f.fdeOffsets[1]);

    // CIE pointer that does not lead to a CIE.
    f = fixture(2);
    f.ehBlock.getMutableContent(f.graph)[f.fdeOffsets[1]! + 4] ^= 0x08;
    err = catchError(() => runPasses(f.graph));
    expect(err.code).toBe('MalformedObject');
    expect(err.offset).toBe(f.fdeOffsets[1]);
    expect(err.detail).toMatch(/CIE pointer/);

    // pc-begin pointing outside every block.
    f = fixture(2);
    new DataView(f.ehBlock.getMutableContent(f.graph).buffer).setInt32(f.fdeOffsets[0]! + 8, 0x7000000, true);
    err = catchError(() => runPasses(f.graph));
    expect(err.offset).toBe(f.fdeOffsets[0]);
    expect(err.detail).toMatch(/pc-begin/);

    // Unknown augmentation character.
    f = fixture(1);
    f.ehBlock.getMutableContent(f.graph)[f.cieOffset + 10] = 'Q'.charCodeAt(0);
    err = catchError(() => runPasses(f.graph));
    expect(err.offset).toBe(f.cieOffset);
    expect(err.detail).toMatch(/augmentation/);

    // An augmentation character that is a byte not UTF-8: shown escaped, exactly.
    f = fixture(1);
    const augmentation = f.ehBlock.getMutableContent(f.graph);
    augmentation[f.cieOffset + 10] = 0x9d;
    err = catchError(() => runPasses(f.graph));
    const text = [...augmentation.subarray(f.cieOffset + 9, augmentation.indexOf(0, f.cieOffset + 9))];
    expect(err.detail).toBe(
      `CIE augmentation character '\\x9d' in "${text.map((c) => (c === 0x9d ? '\\x9d' : String.fromCharCode(c))).join('')}" is not supported`,
    );

    // Truncated length field.
    const g = new LinkGraph({ name: 't.o', triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness: 'little' });
    g.createContentBlock(g.createSection(EH, MemProt.Read), new Uint8Array([0, 0]), 0, 1, 0);
    err = catchError(() => createEHFrameSplitterPass(EH)(g));
    expect(err.detail).toMatch(/truncated/);
  });

  test('malformed CIE and FDE fields give JITLinkErrors naming the record', () => {
    const cases: [string, (f: Fixture) => void, 'cie' | 'fde', RegExp][] = [
      // GCC's old "eh" augmentation (a pointer follows it): named as such, before the fields after the string are read.
      ['augmentation "eh"', (f) => f.ehBlock.getMutableContent(f.graph).set([0x65, 0x68, 0x58], f.cieOffset + 9), 'cie', /^CIE augmentation "eh" is not supported$/],
      ['CIE version 2', (f) => (f.ehBlock.getMutableContent(f.graph)[f.cieOffset + 8] = 2), 'cie', /CIE version 2/],
      ['augmentation string without its NUL', (f) => f.ehBlock.getMutableContent(f.graph).fill(0x53, f.cieOffset + 10, f.fdeOffsets[0]!), 'cie', /truncated augmentation string/],
      ['FDE augmentation data past its record', (f) => (f.ehBlock.getMutableContent(f.graph)[f.fdeOffsets[0]! + 16] = 0x7f), 'fde', /augmentation data runs past/],
      ['FDE augmentation data length of two bytes, past its record', (f) => f.ehBlock.getMutableContent(f.graph).set([0x80, 0x01], f.fdeOffsets[0]! + 16), 'fde', /augmentation data runs past/],
      ['FDE augmentation data length cut short', (f) => f.ehBlock.getMutableContent(f.graph).fill(0x80, f.fdeOffsets[0]! + 16, f.fdeOffsets[1]!), 'fde', /FDE: truncated augmentation data length/],
    ];
    for (const [what, mutate, record, detail] of cases) {
      const f = fixture(2);
      mutate(f);
      const err = catchError(() => runPasses(f.graph));
      expect([what, err.code, err.section, err.offset]).toEqual([what, 'MalformedObject', EH, record === 'cie' ? f.cieOffset : f.fdeOffsets[0]]);
      expect(err.detail).toMatch(detail);
    }
  });
});

describe('non-PIC exception tables re-encoded through GOT entries', () => {
  const REQUEST = 20;
  const KINDS = { ...K, requestGOTAndTransformToDelta32: REQUEST };
  const EXCEPT = '.gcc_except_table';

  /**
   * A -fno-pic style object: the CIE's personality is an absolute udata4
   * pointer (edge to an external), the FDE's LSDA pointer is absolute udata4,
   * and the LSDA's type table (udata4) has entries [external, null, local]
   * read backwards from its base.
   */
  function nonPicGraph(localPersonality = false, allLocalTypes = false) {
    const graph = new LinkGraph({ name: 'nopic.o', triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness: 'little' });
    const text = graph.createSection('.text', MemProt.Read | MemProt.Exec);
    const fn = graph.createContentBlock(text, new Uint8Array(32), 0x1000, 16, 0);
    graph.addDefinedSymbol(fn, 0, 'f', 32, 0, 0, true, true);
    const data = graph.createSection('.data.rel.ro', MemProt.Read);
    const localType = graph.createContentBlock(data, new Uint8Array(16), 0x2000, 8, 0);
    const localTypeSym = graph.addDefinedSymbol(localType, 0, '_ZTI8AppError', 16, 0, 0, false, false);
    const personality = localPersonality
      ? graph.addDefinedSymbol(graph.createContentBlock(text, new Uint8Array(1), 0x1100, 1, 0), 0, 'my_personality', 1, 0, 0, true, false)
      : graph.addExternalSymbol('__gxx_personality_v0', 0);
    const externalType = allLocalTypes ? localTypeSym : graph.addExternalSymbol('_ZTISt12out_of_range', 0);

    // LSDA: LPStart omit, TType udata4 + base offset, call sites uleb128 (one entry), action table, 3 entries.
    const lsda = new Bytes();
    lsda.u8(0xff).u8(0x03);
    const ttOffsetAt = lsda.length;
    lsda.u8(0); // TType base offset, patched below
    const afterTTOffset = lsda.length;
    lsda.u8(0x01).u8(4); // call-site encoding, table length
    lsda.u8(0).u8(8).u8(16).u8(1); // start, length, landing pad, action 1
    lsda.u8(1).u8(0).u8(2).u8(0x7d); // actions: filter 1; filter 2 chained
    while ((lsda.length + 12) % 4 !== 0) lsda.u8(0);
    const tableStart = lsda.length;
    lsda.u32(0).u32(0).u32(0); // entries 3, 2, 1
    lsda.out[ttOffsetAt] = lsda.length - afterTTOffset;
    const except = graph.createSection(EXCEPT, MemProt.Read);
    const lsdaBlock = graph.createContentBlock(except, Uint8Array.from(lsda.out), 0x3000, 4, 0);
    lsdaBlock.addEdge(K.pointer32, tableStart, localTypeSym, 0); // entry 3
    lsdaBlock.addEdge(K.pointer32, tableStart + 8, externalType, 0); // entry 1 (entry 2 is null: catch (...))
    const lsdaSym = graph.addAnonymousSymbol(lsdaBlock, 0, lsda.length, false, false);

    const s = new Bytes();
    let personalityField = 0;
    const cieAt = cie(s, 'zPLR', (d, at) => {
      d.u8(0x03);
      personalityField = at();
      d.u32(0);
      d.u8(0x03); // LSDA: udata4
      d.u8(0x1b);
    });
    let lsdaField = 0;
    const base = 0x8000;
    record(s, (b, start) => {
      b.u32(start + 4 - cieAt);
      b.i32(0x1000 - (base + start + 8));
      b.u32(32);
      b.u8(4);
      lsdaField = start + 4 + b.length;
      b.u32(0);
    });
    const eh = graph.createSection(EH, MemProt.Read);
    const ehBlock = graph.createContentBlock(eh, Uint8Array.from(s.out), base, 8, 0);
    ehBlock.addEdge(K.pointer32, personalityField, personality, 0);
    ehBlock.addEdge(K.pointer32, lsdaField, lsdaSym, 0);
    return { graph, lsdaBlock, tableStart, personalityField };
  }

  function run(graph: LinkGraph) {
    createEHFrameSplitterPass(EH)(graph);
    createEHFrameEdgeFixerPass(EH, 8, KINDS)(graph);
  }

  test('personality and type table to other modules become indirect|pcrel|sdata4 GOT requests', () => {
    const { graph, lsdaBlock, tableStart, personalityField } = nonPicGraph();
    run(graph);
    const [cieBlock] = records(graph);
    expect(cieBlock!.getContent()[personalityField - 1]).toBe(0x9b);
    expect(cieBlock!.edges.map((e) => [e.offset, e.kind, e.target.name])).toEqual([[personalityField, REQUEST, '__gxx_personality_v0']]);
    expect(lsdaBlock.getContent()[1]).toBe(0x9b);
    expect(lsdaBlock.edges.map((e) => [e.offset - tableStart, e.kind, e.target.name])).toEqual([
      [0, REQUEST, '_ZTI8AppError'],
      [8, REQUEST, '_ZTISt12out_of_range'],
    ]);
    // The null entry stays null: catch (...) under either encoding.
    expect([...lsdaBlock.getContent().subarray(tableStart + 4, tableStart + 8)]).toEqual([0, 0, 0, 0]);
  });

  test('pointers to symbols of the graph are left absolute', () => {
    const { graph, lsdaBlock, personalityField } = nonPicGraph(true, true);
    run(graph);
    const [cieBlock] = records(graph);
    expect(cieBlock!.getContent()[personalityField - 1]).toBe(0x03);
    expect(cieBlock!.edges[0]!.kind).toBe(K.pointer32);
    expect(lsdaBlock.getContent()[1]).toBe(0x03);
    for (const e of lsdaBlock.edges) expect(e.kind).toBe(K.pointer32);
  });

  test('without the request kind nothing is re-encoded', () => {
    const { graph, lsdaBlock } = nonPicGraph();
    runPasses(graph);
    expect(lsdaBlock.getContent()[1]).toBe(0x03);
    for (const e of lsdaBlock.edges) expect(e.kind).toBe(K.pointer32);
  });

  test('addEHFramePasses hands the request kind to the edge fixer', () => {
    const byHand = nonPicGraph();
    run(byHand.graph);
    createEHFrameNullTerminatorPass(EH)(byHand.graph);
    const viaHelper = nonPicGraph();
    runHelperPasses(viaHelper.graph, KINDS);
    expect(graphShape(viaHelper.graph)).toEqual(graphShape(byHand.graph));
    expect(viaHelper.lsdaBlock.edges.map((e) => e.kind)).toEqual([REQUEST, REQUEST]);
  });

  test('a malformed LSDA gives a JITLinkError naming .gcc_except_table', () => {
    const { graph, lsdaBlock } = nonPicGraph();
    lsdaBlock.getMutableContent(graph)[2] = 0x7f; // TType base offset past the end
    const err = catchError(() => run(graph));
    expect(err.code).toBe('MalformedObject');
    expect(err.section).toBe(EXCEPT);
    expect(err.offset).toBe(0);
    expect(err.detail).toMatch(/LSDA/);
  });

  test('an LSDA with an LPStart format it cannot size names .gcc_except_table, not the eh-frame', () => {
    const { graph, lsdaBlock } = nonPicGraph();
    lsdaBlock.getMutableContent(graph)[0] = 0x02; // LPStart: udata2, which no LSDA uses
    const err = catchError(() => run(graph));
    expect(err.code).toBe('UnsupportedFeature');
    expect([err.section, err.offset]).toEqual([EXCEPT, 0]);
    expect(err.detail).toBe('LPStart pointer format 0x2 is not supported');
  });
});

describe('addEHFramePasses', () => {
  /** The passes one by one (splitter, edge fixer, terminator), as each backend listed them. */
  function threePasses(graph: LinkGraph): void {
    createEHFrameSplitterPass(EH)(graph);
    createEHFrameEdgeFixerPass(EH, 8, K)(graph);
    createEHFrameNullTerminatorPass(EH)(graph);
  }

  const fdeWithRelocations = (): LinkGraph => {
    const { graph, functions, ehBlock, fdeOffsets } = fixture(5, 4, 4);
    fdeOffsets.forEach((at, i) => {
      ehBlock.addEdge(K.delta32, at + 8, graph.addAnonymousSymbol(functions[i]!, 0, 16, true, false), 0);
      if (i % 2 === 0) graph.addAnonymousSymbol(ehBlock, at, 0, false, false);
    });
    return graph;
  };
  const scenarios: [string, () => LinkGraph][] = [
    ['records without relocations', () => fixture(6).graph],
    ['records padded to 4, of varied sizes', () => fixture(6, 4, 4).graph],
    ['relocated pc-begins and symbols at records', fdeWithRelocations],
  ];

  test.each(scenarios)('gives the graph the three passes give: %s', (_, make) => {
    const byHand = make();
    threePasses(byHand);
    const viaHelper = make();
    runHelperPasses(viaHelper);
    expect(graphShape(viaHelper)).toEqual(graphShape(byHand));
  });

  test('leaves a graph without the section alone', () => {
    const graph = new LinkGraph({ name: 'none.o', triple: 'x86_64-apple-macosx', pointerSize: 8, endianness: 'little' });
    runHelperPasses(graph);
    expect(graph.sectionCount).toBe(0);
  });
});
