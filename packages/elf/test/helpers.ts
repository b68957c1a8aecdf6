/** Test-only helpers: a permissive architecture and corpus discovery. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EdgeKinds, JITLinkError, type ByteSource } from '@jitlink/core';
import type { ElfArchSupport } from '../src/index.js';
import { condition } from '@jitlink/test-support';

export interface GenericArch extends ElfArchSupport {
  /** Relocations seen, in order, as "type@offset". */
  seen: number;
}

/**
 * Accepts every relocation type as edge kind FirstRelocation + type with the
 * entry's addend, so that tests can check one edge per relocation.
 */
export function genericArch(machine = 62, archName = 'x86_64'): GenericArch {
  const arch: GenericArch = {
    machine,
    arch: archName,
    packageName: 'test-generic-arch',
    seen: 0,
    triple: () => `${archName}-unknown-linux-gnu`,
    getEdgeKindName: (kind) =>
      kind === EdgeKinds.KeepAlive ? 'Keep-Alive' : `R_${kind - EdgeKinds.FirstRelocation}`,
    relocationTypeName: (type) => `R_TEST_${type}`,
    addRelocationEdge(rel, target, site) {
      arch.seen++;
      site.block.addEdge(EdgeKinds.FirstRelocation + rel.type, site.offsetInBlock, target, rel.addend);
    },
    readImplicitAddend(_type, content, offset, endianness) {
      if (offset + 4 > content.length) return 0;
      return new DataView(content.buffer, content.byteOffset, content.byteLength).getInt32(
        offset,
        endianness === 'little',
      );
    },
    target: { applyFixup: () => {} },
  };
  return arch;
}

export const repoRoot = path.resolve(__dirname, '../../..');
export const corpusObjDir = path.join(repoRoot, 'test-corpus/obj');

/**
 * Every x86-64 object under test-corpus/obj (empty if the corpus is absent):
 * the generic test architecture stands for x86-64 (EM_X86_64); the trees of
 * other architectures are read by their architecture packages' tests.
 */
export function corpusObjects(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.o')) out.push(p);
    }
  };
  if (fs.existsSync(corpusObjDir)) walk(corpusObjDir);
  const isX86_64 = (p: string): boolean => {
    const fd = fs.openSync(p, 'r');
    try {
      const header = Buffer.alloc(20);
      fs.readSync(fd, header, 0, 20, 0);
      return header.readUInt16LE(18) === 62;
    } finally {
      fs.closeSync(fd);
    }
  };
  return out.filter(isX86_64).sort();
}

export function readObject(p: string): Uint8Array {
  const b = fs.readFileSync(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Deterministic PRNG (mulberry32), shared by the workspace's tests. */
export { prng } from '@jitlink/test-support';

/** The committed corpus, as a test prerequisite. */
export const corpusPresent = condition(`objects in ${corpusObjDir}`, () => corpusObjects().length > 0);

/** A source over `bytes` that counts the bytes read from it. */
export function countingSource(bytes: Uint8Array): ByteSource & { bytesRead: number } {
  return {
    size: bytes.length,
    bytesRead: 0,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length)
        throw new Error(`read outside the object`);
      this.bytesRead += length;
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** The outcome of reading definitions: the definitions, or the error's code and message. */
export function definitionsOutcome(read: () => unknown): unknown {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof JITLinkError)) throw e;
    return [e.code, e.message];
  }
}
