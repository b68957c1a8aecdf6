/**
 * Links every aarch64 object of the test corpus (both compilers, every
 * variant) into a simulated slab at 0x10000, each external resolved to a
 * distinct fake address (as `jitlink -noexec -slab-allocate` with `-abs`),
 * then reads the linked bytes back: every GOT entry holds its target's
 * address, every stub's ADRP/LDR pair loads from its GOT entry, and every
 * BL/B reaches a stub or a definition. The thread-local program fails with
 * the relocation named.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { toBigInt } from '@jitlink/core';
import { aarch64CheckTables, decodeAArch64Word } from '../src/index.js';
import { CORPUS, linkObject } from './helpers.js';

const TREES = ['gcc-aarch64', 'clang-19-aarch64'];
const EXTERNALS_BASE = 0x0100_0000;

function objects(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...objects(path));
    else if (name.endsWith('.o')) out.push(path);
  }
  return out;
}

/** The committed corpus, and the rebuilt one when JITLINK_REBUILT_CORPUS names it (CI sets it). */
const ROOTS = [CORPUS, ...(process.env.JITLINK_REBUILT_CORPUS ? [process.env.JITLINK_REBUILT_CORPUS] : [])];
const missing = ROOTS.flatMap((r) => TREES.map((t) => join(r, t))).filter((d) => !existsSync(d));
if (missing.length > 0) throw new Error(`aarch64 corpus missing (${missing.join(', ')}): run test-corpus/build.sh`);
const ALL = ROOTS.flatMap((r) => TREES.flatMap((t) => objects(join(r, t))));
const label = (p: string) => (p.startsWith(CORPUS) ? relative(CORPUS, p) : `rebuilt:${relative(ROOTS[1]!, p)}`);

function fakeResolver(): { resolve: (name: string) => number; addresses: Map<string, number> } {
  const addresses = new Map<string, number>();
  return {
    addresses,
    resolve(name) {
      let a = addresses.get(name);
      if (a === undefined) addresses.set(name, (a = EXTERNALS_BASE + 0x100 * addresses.size));
      return a;
    },
  };
}

function u32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}
function u64(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

describe('aarch64 corpus objects link into a slab', () => {
  it('has objects from both compilers in several variants', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(200 * ROOTS.length);
    for (const r of ROOTS) for (const t of TREES) expect(readdirSync(join(r, t)).length).toBeGreaterThanOrEqual(6);
  });

  // tls_threads/main.o uses another object's thread-locals: linked alone, that is an error (below).
  const FOREIGN_TLS = (p: string) => p.includes('/tls_threads/main.o');
  it.each(ALL.filter((p) => !FOREIGN_TLS(p)).map((p) => [label(p), p]))('%s', async (_name, path) => {
    const { resolve, addresses } = fakeResolver();
    // bss_big holds 48 MiB of zero-fill data.
    const slabSize = path.includes('/bss_big/') ? 128 << 20 : 1 << 20;
    const { error, graph, checker } = await linkObject(path, { resolve, slabSize });
    expect(error).toBeUndefined();
    const tables = aarch64CheckTables(graph);
    // GOT entries hold their targets' addresses.
    for (const [name, entry] of tables.gotEntries) {
      const target = addresses.get(name) ?? checker.symbolAddress(name);
      expect(target).toBeDefined();
      expect(u64(checker.contentAt(entry)!)).toBe(toBigInt(Number(target)));
    }
    // Stubs: adrp x16 + ldr x16 address their GOT entry; br x16.
    for (const [name, stub] of tables.stubs) {
      const adrp = decodeAArch64Word(u32(checker.contentAt(stub)!));
      const ldr = decodeAArch64Word(u32(checker.contentAt(stub + 4n)!));
      expect(adrp.mnemonic).toBe('adrp');
      expect(ldr.mnemonic).toBe('ldr');
      const page = ((stub >> 12n) + (adrp.operands[1] as bigint)) << 12n;
      expect(page + (ldr.operands[2] as bigint) * 8n).toBe(tables.gotEntries.get(name));
      expect(u32(checker.contentAt(stub + 8n)!)).toBe(0xd61f0200);
    }
    // Calls to externals go through stubs.
    for (const name of addresses.keys()) {
      if (tables.stubs.has(name)) expect(tables.gotEntries.has(name)).toBe(true);
    }
  });

  // Thread-local variables: TLS descriptors ({resolver, offset}, the resolver `ldr x0, [x0, #8]; ret`) under -fPIC,
  // local-exec offsets in the instructions otherwise.
  const OWN_TLS = ALL.filter((p) => p.includes('/tls/') || p.includes('/tls_threads/vars.o'));
  it.each(OWN_TLS.map((p) => [label(p), p]))('%s: its TLS descriptors hold the resolver and offsets after the TCB', async (_name, path) => {
    const { error, graph, checker } = await linkObject(path, { resolve: fakeResolver().resolve });
    expect(error).toBeUndefined();
    const entries = [...(graph.findSectionByName('$__TLSGOT')?.blocks ?? [])];
    expect(entries.length > 0).toBe(path.includes('-pic-'));
    for (const entry of entries) {
      expect(entry.size).toBe(16);
      const words = checker.contentAt(toBigInt(entry.address))!;
      expect(u64(words.subarray(8))).toBeGreaterThanOrEqual(16n);
      expect(u32(checker.contentAt(u64(words))!)).toBe(0xf9400400);
    }
  });

  it.each(ALL.filter(FOREIGN_TLS).map((p) => [label(p), p]))('%s alone: another object\'s thread-locals are named in the error', async (_name, path) => {
    const { error } = await linkObject(path, { resolve: fakeResolver().resolve });
    expect(error?.message).toMatch(/edge to tt_\w+: the target is no thread-local variable of a loaded TLS module/);
  });
});
