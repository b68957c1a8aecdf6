import * as path from 'node:path';
import { EdgeKinds, type LinkGraph } from '@jitlink/core';
import {
  createElfLinkGraph,
  getElfGraphInfo,
  parseElf,
  SHF_ALLOC,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
} from '../src/index.js';
import { corpusObjDir, corpusObjects, corpusPresent, genericArch, readObject } from './helpers.js';
import { needs } from '@jitlink/test-support';

const objects = corpusObjects();
needs(corpusPresent).describe('every object of test-corpus/obj', () => {
  test.each(objects.map((p) => [path.relative(corpusObjDir, p), p]))('%s', (_name, p) => {
    const bytes = readObject(p);
    const elf = parseElf(bytes, p);
    const arch = genericArch();
    const graph = createElfLinkGraph(bytes, arch, { name: p });
    const info = getElfGraphInfo(graph)!;

    // One block per allocated content section, with the section's size.
    let expectedRelocations = 0;
    for (const sec of elf.sections) {
      const built = info.sectionsByIndex[sec.index];
      const isMeta = [SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_REL, SHT_GROUP].includes(sec.type);
      if (sec.index === 0 || (sec.flags & SHF_ALLOC) === 0 || isMeta) {
        expect(built).toBeUndefined();
        continue;
      }
      expect(built).toBeDefined();
      const blocks = [...built!.blocks];
      expect(blocks).toHaveLength(1);
      expect(blocks[0]!.size).toBe(sec.size);
      expect(blocks[0]!.isZeroFill()).toBe(sec.type === SHT_NOBITS);
      expect(info.originalNames.get(built!)).toBe(sec.name);
    }
    for (const rs of elf.relocationSections) {
      if (info.sectionsByIndex[rs.targetIndex] !== undefined) expectedRelocations += rs.count;
    }
    // Every relocation of a built section became an edge, or was a NONE relocation.
    expect(arch.seen + info.skippedNoneRelocations).toBe(expectedRelocations);
    expect(countRelocationEdges(graph)).toBe(arch.seen);
    checkInvariants(graph);
  });
});

function countRelocationEdges(graph: LinkGraph): number {
  let n = 0;
  for (const b of graph.blocks()) for (const e of b.edges) if (e.kind >= EdgeKinds.FirstRelocation) n++;
  return n;
}

function checkInvariants(graph: LinkGraph): void {
  const addresses = new Set<number>();
  for (const section of graph.sections()) {
    for (const b of section.blocks) {
      expect(addresses.has(b.address)).toBe(false);
      addresses.add(b.address);
      for (const e of b.edges) {
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThan(b.size);
        expect(e.target.inGraph).toBe(true);
      }
    }
    for (const s of section.symbols) {
      expect(s.block.section).toBe(section);
      expect(s.offset + s.size).toBeLessThanOrEqual(s.block.size);
    }
  }
}
