/**
 * COFF/arm64 (`@jitlink/arch-arm64/coff`): the assembly tests of
 * test-corpus/obj/asm/aarch64-coff (one per IMAGE_REL_ARM64_* type) linked
 * into a slab and verified with their `# jitlink-check:` lines; clang-19's
 * aarch64-pc-windows-msvc objects of the corpus programs link; TOKEN, unknown
 * types and relocations on the wrong instruction are typed errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCoffBackend, getCoffGraphInfo } from '@jitlink/coff';
import { createLinkGraph, defaultBackendRegistry, JITLinkError, registerBackend, type LinkGraph } from '@jitlink/core';
import { aarch64Coff, aarch64CoffRelocationTypeName, IMAGE_REL_ARM64 } from '../src/coff/index.js';
import { getAArch64EdgeKindName } from '../src/index.js';
import { CORPUS, linkGraphInSlab, runChecks } from './helpers.js';

const ASM = join(CORPUS, 'asm/aarch64-coff');
const backend = createCoffBackend(aarch64Coff);

beforeAll(() => registerBackend(backend));
afterAll(() => defaultBackendRegistry.unregister(backend));

function build(path: string, bytes: Uint8Array = new Uint8Array(readFileSync(path))): LinkGraph {
  return createLinkGraph(bytes, { name: path });
}

/** The `-abs name=0x…` definitions a test's header asks for. */
function absolutes(source: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of source.matchAll(/-abs (\w+)=(0x[0-9a-f]+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

const tests = readdirSync(ASM)
  .filter((f) => f.endsWith('.s'))
  .map((f) => f.slice(0, -2));

describe('jitlink-check on the COFF/arm64 relocation tests', () => {
  it('has a test for every IMAGE_REL_ARM64_* type but ABSOLUTE and TOKEN', () => {
    const types = Object.keys(IMAGE_REL_ARM64).filter((t) => t !== 'ABSOLUTE' && t !== 'TOKEN');
    expect(tests.filter((t) => t.startsWith('IMAGE_REL_ARM64_')).sort()).toEqual(types.map((t) => `IMAGE_REL_ARM64_${t}`).sort());
  });

  it.each(tests)('%s passes its checks', async (name) => {
    const source = readFileSync(join(ASM, `${name}.s`), 'utf8');
    const graph = build(join(ASM, `${name}.obj`));
    const { error, checker } = await linkGraphInSlab(graph, { absolutes: absolutes(source), target: backend, slabSize: 100 * 1024 });
    expect(error).toBeUndefined();
    const { failures, checks } = runChecks(checker, join(ASM, `${name}.s`));
    expect(failures).toEqual([]);
    expect(checks).toBe([...source.matchAll(/# jitlink-check:/g)].length);
  });
});

describe('relocation mapping', () => {
  const kinds = (path: string): string[] => {
    const graph = build(path);
    const names: string[] = [];
    for (const block of graph.blockList()) for (let i = 0; i < block.edgeCount; i++) names.push(getAArch64EdgeKindName(block.edgeKind(i)));
    return names.sort();
  };

  it.each([
    ['BRANCH26', 'Branch26PCRel'],
    ['BRANCH19', 'CondBranch19PCRel'],
    ['BRANCH14', 'TestAndBranch14PCRel'],
    ['PAGEBASE_REL21', 'Page21'],
    ['REL21', 'ADRLiteral21'],
    ['PAGEOFFSET_12A', 'PageOffset12'],
    ['PAGEOFFSET_12L', 'PageOffset12'],
    ['SECREL', 'SectionRelative32'],
    ['SECREL_LOW12A', 'SectionRelativePageOffset12'],
    ['SECREL_LOW12L', 'SectionRelativePageOffset12'],
    ['SECREL_HIGH12A', 'SectionRelativeHigh12'],
    ['SECTION', 'SectionIndex16'],
    ['ADDR32', 'Pointer32'],
    ['ADDR32NB', 'Pointer32NB'],
    ['ADDR64', 'Pointer64'],
    ['REL32', 'Delta32'],
  ])('IMAGE_REL_ARM64_%s becomes %s', (type, kind) => {
    expect(new Set(kinds(join(ASM, `IMAGE_REL_ARM64_${type}.obj`)))).toEqual(new Set([kind]));
  });

  it('reads the addend from the instruction field (ADRP: bytes; LDR: scaled by the access size)', () => {
    const addends = (path: string): number[] => {
      const graph = build(path);
      const out: number[] = [];
      for (const block of graph.blockList()) for (let i = 0; i < block.edgeCount; i++) out.push(block.edgeAddend(i));
      return out;
    };
    expect(addends(join(ASM, 'IMAGE_REL_ARM64_PAGEBASE_REL21.obj'))).toEqual([0, 0xdc8]);
    expect(addends(join(ASM, 'IMAGE_REL_ARM64_PAGEOFFSET_12L.obj'))).toEqual([16, 4, 6, 7, 16]);
    // llvm-mc writes A + 4 (the field's end is the base), read signed: -8 is stored as -4.
    expect(addends(join(ASM, 'IMAGE_REL_ARM64_REL32.obj'))).toEqual([0, 8, -8]);
  });

  it('turns __imp_ loads into GOT requests', () => {
    expect(kinds(join(ASM, 'import_table.obj'))).toEqual(['RequestGOTAndTransformToPage21', 'RequestGOTAndTransformToPageOffset12']);
  });
});

describe("clang-19's aarch64-pc-windows-msvc objects", () => {
  const objects = ['O0', 'O2'].flatMap((o) => ['compute', 'hello'].map((p) => `clang-19-coff-aarch64/${o}/${p}.obj`));

  it.each(objects)('%s links, its callees outside the object through stubs', async (relative) => {
    const graph = build(join(CORPUS, relative));
    expect(graph.triple).toBe('aarch64-pc-windows-msvc');
    expect(getCoffGraphInfo(graph)?.machine).toBe(0xaa64);
    const { error } = await linkGraphInSlab(graph, { resolve: () => 0x1000_0000_0000, target: backend });
    expect(error).toBeUndefined();
  });
});

describe('rejected relocations', () => {
  const path = join(ASM, 'IMAGE_REL_ARM64_BRANCH26.obj');
  /** The object with its first relocation's type replaced; the error of building it. */
  const withType = (type: number): JITLinkError => {
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer);
    const relocations = view.getUint32(20 + 24, true); // .text is the first section
    view.setUint16(relocations + 8, type, true);
    try {
      build('patched.obj', bytes);
    } catch (e) {
      if (e instanceof JITLinkError) return e;
      throw e;
    }
    throw new Error('accepted');
  };

  it('TOKEN, naming file, section and entry offset', () => {
    const e = withType(IMAGE_REL_ARM64.TOKEN);
    expect(e.code).toBe('UnsupportedRelocation');
    expect(e.message).toMatch(/^patched\.obj, section \.text, offset 0x[0-9a-f]+: IMAGE_REL_ARM64_TOKEN is not supported: a CLR token \(managed code\)$/);
  });

  it('an unknown type', () => {
    const e = withType(0x30);
    expect(e.code).toBe('UnsupportedRelocation');
    expect(e.message).toContain('unknown relocation type 48 is not supported');
  });

  it('a relocation on an instruction it does not apply to', () => {
    const e = withType(IMAGE_REL_ARM64.PAGEBASE_REL21);
    expect(e.code).toBe('MalformedObject');
    expect(e.message).toMatch(/IMAGE_REL_ARM64_PAGEBASE_REL21 at offset 0x8 applies to instruction 0x94000000, which is not an ADRP$/);
  });

  it('names every type', () => {
    expect(aarch64CoffRelocationTypeName(3)).toBe('IMAGE_REL_ARM64_BRANCH26');
    expect(aarch64CoffRelocationTypeName(0x11)).toBe('IMAGE_REL_ARM64_REL32');
  });
});

describe('mutated COFF/arm64 objects', () => {
  /** xorshift32: deterministic mutants. */
  const prng = (seed: number) => {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>>= 0);
    };
  };
  const seeds = ['asm/aarch64-coff/IMAGE_REL_ARM64_PAGEOFFSET_12L.obj', 'asm/aarch64-coff/import_table.obj', 'clang-19-coff-aarch64/O2/compute.obj'];

  it.each(seeds)('%s: 300 mutants build, link or fail with a JITLinkError', async (relative) => {
    const original = new Uint8Array(readFileSync(join(CORPUS, relative)));
    const next = prng(relative.length * 7919);
    let rejected = 0;
    for (let round = 0; round < 300; round++) {
      const bytes = original.slice();
      for (let i = 1 + (next() % 6); i > 0; i--) bytes[next() % bytes.length] = next() & 0xff;
      try {
        const { error } = await linkGraphInSlab(build('mutant.obj', bytes), { resolve: () => 0x1000_0000_0000, target: backend });
        if (error !== undefined) throw error;
      } catch (e) {
        if (!(e instanceof JITLinkError)) throw new Error(`mutant ${round} of ${relative}: ${(e as Error).stack}`);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
