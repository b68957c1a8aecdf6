/**
 * The helpers architecture mappings share: relocation type names, the
 * UnsupportedRelocation error, and implicit addends, read from llvm-mc-19's
 * objects through an architecture that uses only them.
 */
import { EdgeKinds, JITLinkError, Linkage, MemProt, Scope } from '@jitlink/core';
import {
  addMachOSubtractorPair,
  createMachOLinkGraph,
  machoRelocationTypes,
  parseMachO,
  readRelocations,
  readMachOImplicitAddend,
  type ImplicitAddendOptions,
  type MachOArchSupport,
  type MachORelocation,
  type MachORelocationContext,
} from '../src/index.js';
import { corpusObject, recordingArch } from './helpers.js';

const TYPES = machoRelocationTypes('X86_64_RELOC_', {
  UNSIGNED: 0,
  SIGNED: 1,
  BRANCH: 2,
  SIGNED_1: 6,
  SIGNED_2: 7,
  SIGNED_4: 8,
});

/** The recording architecture, with each relocation's description and signed implicit addend noted, and `refuse`d types refused. */
function addendArch(refuse: number[] = []): MachOArchSupport & { read: [string, number][] } {
  const read: [string, number][] = [];
  const base = recordingArch();
  return {
    ...base,
    read,
    relocationTypeName: TYPES.name,
    addRelocationEdges(relocations, index, ctx) {
      const rel = relocations[index]!;
      if (refuse.includes(rel.type)) TYPES.unsupported(rel, ctx);
      read.push([TYPES.describe(rel), readMachOImplicitAddend(ctx, rel, { signed: rel.pcrel })]);
      return base.addRelocationEdges(relocations, index, ctx);
    },
  };
}

function thrown(f: () => unknown): JITLinkError {
  try {
    f();
  } catch (e) {
    if (e instanceof JITLinkError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('machoRelocationTypes', () => {
  test('names the types of its table and says which numbers are unknown', () => {
    expect(TYPES.name(2)).toBe('X86_64_RELOC_BRANCH');
    expect(TYPES.name(8)).toBe('X86_64_RELOC_SIGNED_4');
    expect(TYPES.name(3)).toBe('unknown relocation type 3');
    expect(TYPES.name(16)).toBe('unknown relocation type 16');
  });

  test('the UnsupportedRelocation error names the type, its fields, the file, the section and the entry', () => {
    const name = 'X86_64_RELOC_SIGNED.o';
    const e = thrown(() =>
      createMachOLinkGraph(corpusObject(`asm/x86_64/${name}`), addendArch([1]), { name }),
    );
    expect(e.code).toBe('UnsupportedRelocation');
    expect(e.file).toBe(name);
    expect(e.section).toBe('__TEXT,__text');
    // Relocations are listed last-to-first: the last SIGNED of the section comes first.
    expect(e.message).toMatch(
      /^X86_64_RELOC_SIGNED\.o, section __TEXT,__text, offset 0x[0-9a-f]+: unsupported relocation X86_64_RELOC_SIGNED \(pcrel=1, length=2, extern=0\) at offset 0x59 of __TEXT,__text$/,
    );
  });
});

describe('readMachOImplicitAddend', () => {
  test('reads the displacements llvm-mc-19 stored, signed', () => {
    const arch = addendArch();
    createMachOLinkGraph(corpusObject('asm/x86_64/X86_64_RELOC_SIGNED.o'), arch, {
      name: 'X86_64_RELOC_SIGNED.o',
    });
    const by = (description: string) => arch.read.filter(([d]) => d === description).map(([, v]) => v);
    // The immediate after the field is folded in: movb $imm8, _data(%rip) stores -1 (SIGNED_1), movw -2, movl -4.
    expect(by('X86_64_RELOC_SIGNED_1 (pcrel=1, length=2, extern=1)')).toContain(-1);
    expect(by('X86_64_RELOC_SIGNED_2 (pcrel=1, length=2, extern=1)')).toContain(-2);
    expect(by('X86_64_RELOC_SIGNED_4 (pcrel=1, length=2, extern=1)')).toContain(-4);
    // movl _data(%rip), movl _extern_near+8(%rip).
    expect(by('X86_64_RELOC_SIGNED (pcrel=1, length=2, extern=1)')).toEqual(expect.arrayContaining([0, 8]));
    // The one data relocation: an 8-byte pointer to __anon, its object address.
    const [pointer] = by('X86_64_RELOC_UNSIGNED (pcrel=0, length=3, extern=0)');
    expect(pointer).toBeGreaterThan(0);
  });

  /** A context for an 8-byte field holding `value`. */
  function field(value: bigint): { ctx: MachORelocationContext; rel: MachORelocation } {
    const graph = createMachOLinkGraph(corpusObject('asm/x86_64/X86_64_RELOC_SIGNED.o'), recordingArch(), {
      name: 'f.o',
    });
    const content = new Uint8Array(8);
    new DataView(content.buffer).setBigInt64(0, value, true);
    const block = graph.createContentBlock(
      graph.createSection('__DATA,__test', MemProt.Read),
      content,
      0,
      8,
      0,
    );
    graph.addDefinedSymbol(block, 0, '_field', 8, Linkage.Strong, Scope.Local, false, false);
    const rel: MachORelocation = {
      address: 0,
      symbolNumber: 0,
      pcrel: false,
      length: 3,
      extern: true,
      type: 0,
      entryOffset: 0x80,
    };
    const ctx: MachORelocationContext = {
      graph,
      file: 'f.o',
      sectionName: '__DATA,__test',
      block,
      offsetInBlock: 0,
      fixupAddress: 0,
      symbolByIndex: () => {
        throw new Error('not asked');
      },
      symbolByAddress: () => {
        throw new Error('not asked');
      },
      error: (r, detail) => {
        throw new JITLinkError('MalformedObject', `${TYPES.name(r.type)}: ${detail}`, {
          file: 'f.o',
          section: '__DATA,__test',
          offset: r.entryOffset,
        });
      },
    };
    return { ctx, rel };
  }
  const read = (value: bigint, options?: ImplicitAddendOptions) => {
    const { ctx, rel } = field(value);
    return readMachOImplicitAddend(ctx, rel, options);
  };

  test('an 8-byte value is signed, and exact or an error', () => {
    expect(read(-16n)).toBe(-16);
    expect(read(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    const e = thrown(() => read(-(2n ** 63n)));
    expect(e.code).toBe('MalformedObject');
    expect(e.message).toBe(
      'f.o, section __DATA,__test, offset 0x80: X86_64_RELOC_UNSIGNED: implicit addend -9223372036854775808 is not representable',
    );
  });

  test('exactDoubles takes any value a double holds exactly (arm64 type_info names carry 2^63), and no other', () => {
    expect(read(-(2n ** 63n), { exactDoubles: true })).toBe(-(2 ** 63));
    expect(thrown(() => read(2n ** 53n + 1n, { exactDoubles: true })).message).toContain(
      'implicit addend 9007199254740993 is not representable',
    );
  });

  test('a field of 1 or 2 bytes has no implicit addend to read', () => {
    const { ctx, rel } = field(0n);
    expect(thrown(() => readMachOImplicitAddend(ctx, { ...rel, length: 1 })).code).toBe('InvalidArgument');
  });
});

describe('addMachOSubtractorPair', () => {
  const F = EdgeKinds.FirstRelocation;
  const KINDS = ['Delta32', 'Delta64', 'NegDelta32', 'NegDelta64'];
  /** The recording architecture, with SUBTRACTOR (5) pairs made by the helper into the kinds above. */
  const pairArch = (): MachOArchSupport => {
    const base = recordingArch();
    const types = machoRelocationTypes('X86_64_RELOC_', { UNSIGNED: 0, SUBTRACTOR: 5 });
    return {
      ...base,
      relocationTypeName: types.name,
      getEdgeKindName: (k) => KINDS[k - F] ?? `kind${k}`,
      addRelocationEdges(relocations, index, ctx) {
        if (relocations[index]!.type !== 5) return base.addRelocationEdges(relocations, index, ctx);
        return addMachOSubtractorPair(relocations, index, ctx, {
          types,
          subtractor: 5,
          unsigned: 0,
          delta32: F,
          delta64: F + 1,
          negDelta32: F + 2,
          negDelta64: F + 3,
        });
      },
    };
  };
  const NAME = 'asm/x86_64/X86_64_RELOC_SUBTRACTOR.o';

  test("llvm-mc-19's pairs: a Delta edge from B's block, a NegDelta edge from A's", () => {
    const graph = createMachOLinkGraph(corpusObject(NAME), pairArch(), { name: NAME });
    const edge = (name: string) => {
      const sym = [...graph.definedSymbols()].find((s) => s.name === name)!;
      const e = sym.block.edges.find((x) => x.offset === sym.offset)!;
      return [graph.getEdgeKindName(e.kind), e.target.name, e.addend];
    };
    // .quad _main - _delta64 + 8; .long _main - _delta32; .quad _negdelta64 - _main.
    expect(edge('_delta64')).toEqual(['Delta64', '_main', 8]);
    expect(edge('_delta32')).toEqual(['Delta32', '_main', 0]);
    expect(edge('_negdelta64')).toEqual(['NegDelta64', '_main', 0]);
  });

  test("a SUBTRACTOR whose partner is missing is MalformedObject, in the architecture's names", () => {
    const bytes = corpusObject(NAME);
    const m = parseMachO(bytes, NAME);
    const data = m.sections.find((s) => s.fullName === '__DATA,__data')!;
    const relocations = readRelocations(m, data);
    const partner = relocations[relocations.findIndex((r) => r.type === 5) + 1]!;
    const view = new DataView(bytes.buffer);
    // The UNSIGNED partner becomes type 1.
    view.setUint32(
      partner.entryOffset + 4,
      (view.getUint32(partner.entryOffset + 4, true) & 0x0fffffff) | (1 << 28),
      true,
    );
    const e = thrown(() => createMachOLinkGraph(bytes, pairArch(), { name: NAME }));
    expect(e.code).toBe('MalformedObject');
    expect(e.message).toContain(
      'X86_64_RELOC_SUBTRACTOR: X86_64_RELOC_SUBTRACTOR is not followed by its X86_64_RELOC_UNSIGNED partner at the same address',
    );
  });
});
