import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EdgeKinds, x86_64LikeNamer, type LinkGraph } from './namer.js';
import { createCoffLinkGraph, type CoffArchSupport, type CoffRelocationSite } from '../src/index.js';

export const CORPUS = resolve(__dirname, '../../../test-corpus/obj');

/** Every COFF object of the corpus (compiled and assembled). */
export function corpusCoffObjects(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.obj')) out.push(path);
    }
  };
  for (const dir of ['clang-19-coff-x86_64', 'mingw-coff-x86_64', 'asm/x86_64-coff']) walk(join(CORPUS, dir));
  return out;
}

export interface RecordedRelocation {
  type: number;
  target: string;
  site: CoffRelocationSite;
}

/** An architecture for format tests: each relocation becomes one generic edge, and is recorded. */
export function recordingArch(recorded: RecordedRelocation[] = [], machine = 0x8664): CoffArchSupport {
  return {
    machine,
    arch: machine === 0x8664 ? 'x86_64' : 'aarch64',
    packageName: 'test',
    triple: 'x86_64-pc-windows-msvc',
    pointerSize: 8,
    getEdgeKindName: x86_64LikeNamer,
    relocationTypeName: (t) => `type ${t}`,
    addRelocationEdge(rel, target, site) {
      recorded.push({ type: rel.type, target: target.describe(), site });
      site.block.appendEdge(EdgeKinds.FirstRelocation, site.offsetInBlock, target, 0);
    },
    returnInstruction: Uint8Array.of(0xc3),
    target: { applyFixup() {} },
  };
}

export function buildCorpusObject(relative: string, recorded?: RecordedRelocation[]): LinkGraph {
  const bytes = new Uint8Array(readFileSync(join(CORPUS, relative)));
  return createCoffLinkGraph(bytes, recordingArch(recorded), { name: relative });
}

/** A deterministic pseudo-random generator (xorshift32). */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
