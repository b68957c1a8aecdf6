import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EdgeKinds, JITLinkError, type LinkTarget } from '@jitlink/core';
import type { MachOArchSupport } from '../src/index.js';
import { CPU_TYPE_X86_64 } from '../src/index.js';

export const CORPUS = resolve(__dirname, '../../../test-corpus/obj-macho');

export function corpusObject(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(CORPUS, rel)));
}

const target: LinkTarget = {
  applyFixup() {
    throw new JITLinkError('UnsupportedRelocation', 'the test architecture applies no fixups');
  },
};

/**
 * An x86-64 stand-in that knows no relocation semantics: every relocation
 * becomes a keep-alive edge to its symbol (extern) or to the symbol at the
 * address its section ordinal and implicit 32-bit value name, enough to see
 * the container and graph rules of this package on their own.
 */
export function recordingArch(): MachOArchSupport & { seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    cpuType: CPU_TYPE_X86_64,
    arch: 'x86_64',
    packageName: 'test',
    triple: () => 'x86_64-apple-macosx',
    getEdgeKindName: (k) => `kind${k}`,
    relocationTypeName: (t) => `type${t}`,
    addRelocationEdges(relocations, index, ctx) {
      const rel = relocations[index]!;
      seen.push(rel.type);
      if (rel.extern) ctx.block.appendEdge(EdgeKinds.KeepAlive, ctx.offsetInBlock, ctx.symbolByIndex(rel.symbolNumber, rel), 0);
      else if (!rel.pcrel) {
        const content = ctx.block.getContent();
        const stored = new DataView(content.buffer, content.byteOffset, content.byteLength).getUint32(ctx.offsetInBlock, true);
        ctx.block.appendEdge(EdgeKinds.KeepAlive, ctx.offsetInBlock, ctx.symbolByAddress(rel.symbolNumber, stored, rel), 0);
      }
      return 1;
    },
    target,
  };
}
