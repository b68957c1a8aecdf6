/**
 * The assembly tests of test-corpus/obj/asm/aarch64 (one per R_AARCH64_*
 * relocation type), linked into a slab at 0x10000 and verified with their
 * `# jitlink-check:` lines; and the same command line under llvm-jitlink-19
 * wherever it supports the relocation, so the expected values are LLVM's too.
 */
import { spawnSync } from 'node:child_process';
import { needs, tool } from '@jitlink/test-support';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aarch64BEElf } from '../src/elf/index.js';
import { JITLinkError } from '@jitlink/core';
import { VENEERS_SECTION_NAME } from '../src/index.js';
import { CORPUS, linkObject, runChecks } from './helpers.js';

const ASM = join(CORPUS, 'asm/aarch64');

const FAR = { extern_far: 0x1000_0000_0000 };
const BIG = { ext_big: 0x1f_5678_9abc_def0 };

interface Case {
  name: string;
  abs: Record<string, number>;
  /** llvm-jitlink-19 rejects this relocation. */
  llvmGap?: boolean;
}

const CASES: Case[] = [
  { name: 'ABS64', abs: FAR },
  { name: 'ABS32', abs: { extern_low: 0x12345678 } },
  { name: 'ABS16', abs: { extern16: 0xbeef }, llvmGap: true },
  { name: 'PREL64', abs: FAR },
  { name: 'PREL32', abs: {} },
  { name: 'PREL16', abs: {} },
  { name: 'CALL26', abs: FAR },
  { name: 'JUMP26', abs: FAR },
  { name: 'ADR_PREL_PG_HI21', abs: {} },
  { name: 'ADR_PREL_PG_HI21_NC', abs: {}, llvmGap: true },
  { name: 'ADR_PREL_LO21', abs: {} },
  { name: 'ADD_ABS_LO12_NC', abs: {} },
  { name: 'LDST8_ABS_LO12_NC', abs: {} },
  { name: 'LDST16_ABS_LO12_NC', abs: {} },
  { name: 'LDST32_ABS_LO12_NC', abs: {} },
  { name: 'LDST64_ABS_LO12_NC', abs: {} },
  { name: 'LDST128_ABS_LO12_NC', abs: {} },
  { name: 'ADR_GOT_PAGE', abs: FAR },
  { name: 'LD64_GOT_LO12_NC', abs: FAR },
  { name: 'LD64_GOTPAGE_LO15', abs: FAR, llvmGap: true },
  { name: 'GOT_LD_PREL19', abs: FAR, llvmGap: true },
  { name: 'LD_PREL_LO19', abs: {} },
  { name: 'CONDBR19', abs: {} },
  { name: 'TSTBR14', abs: {} },
  { name: 'MOVW_UABS_G0', abs: { extern16: 0xbeef }, llvmGap: true },
  { name: 'MOVW_UABS_G0_NC', abs: BIG },
  { name: 'MOVW_UABS_G1', abs: { ext_g1: 0x12345678 }, llvmGap: true },
  { name: 'MOVW_UABS_G1_NC', abs: BIG },
  { name: 'MOVW_UABS_G2', abs: { ext_g2: 0x1234_5678_9abc }, llvmGap: true },
  { name: 'MOVW_UABS_G2_NC', abs: BIG },
  { name: 'MOVW_UABS_G3', abs: BIG },
  { name: 'MOVW_SABS_G0', abs: { ext_neg: -0x1235 }, llvmGap: true },
  { name: 'MOVW_SABS_G1', abs: { ext_neg1: -0x12345678 }, llvmGap: true },
  { name: 'MOVW_SABS_G2', abs: { ext_neg2: -0x1234_5678_9abc }, llvmGap: true },
  { name: 'MOVW_PREL_G0', abs: {}, llvmGap: true },
  { name: 'MOVW_PREL_G0_NC', abs: BIG, llvmGap: true },
  { name: 'MOVW_PREL_G1', abs: { ext_g1: 0x12345678 }, llvmGap: true },
  { name: 'MOVW_PREL_G1_NC', abs: BIG, llvmGap: true },
  { name: 'MOVW_PREL_G2', abs: { ext_g2: 0x1234_5678_9abc }, llvmGap: true },
  { name: 'MOVW_PREL_G2_NC', abs: BIG, llvmGap: true },
  { name: 'MOVW_PREL_G3', abs: BIG, llvmGap: true },
];

const paths = (c: Case) => ({ s: join(ASM, `R_AARCH64_${c.name}.s`), o: join(ASM, `R_AARCH64_${c.name}.o`) });

const withJitlink = needs(tool('llvm-jitlink-19', 'llvm-19'));

/** `-abs` arguments: addresses as unsigned 64-bit hex, as on a command line. */
const absArgs = (abs: Record<string, number>) =>
  Object.entries(abs).flatMap(([name, a]) => ['-abs', `${name}=0x${BigInt.asUintN(64, BigInt(a)).toString(16)}`]);

describe('jitlink-check on the aarch64 relocation tests', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('R_AARCH64_%s passes its checks', async (_name, c) => {
    const { s, o } = paths(c);
    const { error, checker } = await linkObject(o, { absolutes: c.abs, slabSize: 100 * 1024 });
    expect(error).toBeUndefined();
    const { failures, checks } = runChecks(checker, s);
    expect(failures).toEqual([]);
    expect(checks).toBeGreaterThan(0);
  });

  // llvm-jitlink-19 does not read big-endian aarch64 objects ("Object is not a relocatable ELF file").
  // Check files that read instruction words as memory (`(*{4}insn)[hi:lo]`) are left out: the checker
  // reads memory in the target's byte order, and instructions are little-endian on aarch64_be too.
  const BE_CASES = CASES.filter((c) => !readFileSync(paths(c).s, 'utf8').includes('(*{4}'));
  it('runs most relocation tests big-endian', () => expect(BE_CASES.length).toBeGreaterThanOrEqual(CASES.length - 5));
  it.each(BE_CASES.map((c) => [c.name, c] as const))('big-endian R_AARCH64_%s passes the same checks', async (_name, c) => {
    const { s } = paths(c);
    const o = join(CORPUS, 'asm/aarch64_be', `R_AARCH64_${c.name}.o`);
    const { error, checker, graph } = await linkObject(o, { absolutes: c.abs, slabSize: 100 * 1024, elf: aarch64BEElf });
    expect(error).toBeUndefined();
    expect(graph.endianness).toBe('big');
    const { failures, checks } = runChecks(checker, s);
    expect(failures).toEqual([]);
    expect(checks).toBeGreaterThan(0);
  });

  withJitlink.it.each(CASES.map((c) => [c.name, c] as const))(
    'llvm-jitlink-19 agrees on R_AARCH64_%s (or rejects a relocation it does not support)',
    (name, c) => {
      const { s, o } = paths(c);
      const args = ['-noexec', '-slab-allocate', '100Kb', '-slab-address', '0x10000', '-slab-page-size', '4096'];
      const llvm = spawnSync('llvm-jitlink-19', [...args, ...absArgs(c.abs), '-check', s, o], { encoding: 'utf8' });
      if (c.llvmGap) {
        expect(llvm.stderr).toContain(`Unsupported aarch64 relocation:`);
        expect(llvm.stderr).toContain(`R_AARCH64_${name}`);
        expect(llvm.status).not.toBe(0);
      } else {
        expect(llvm.stderr).toBe('');
        expect(llvm.status).toBe(0);
      }
    },
  );
});

describe('branch range-extension veneers (test-corpus/src/asm/aarch64/veneer.s)', () => {
  const s = join(ASM, 'veneer.s');
  const slabSize = 160 * 1024 * 1024;

  it('routes a BL to a callee beyond ±128 MiB through a veneer that reaches it', async () => {
    const { error, checker, graph } = await linkObject(join(ASM, 'veneer.o'), { slabSize });
    expect(error).toBeUndefined();
    const veneers = graph.findSectionByName(VENEERS_SECTION_NAME);
    expect(veneers?.symbols.size).toBe(1);
    const { failures, checks } = runChecks(checker, s);
    expect(failures).toEqual([]);
    expect(checks).toBe(5);
  });

  withJitlink.it('llvm-jitlink-19 has no veneers: the same link fails with its Branch26PCRel range error', () => {
    const args = ['-noexec', '-slab-allocate', '160Mb', '-slab-address', '0x10000', '-slab-page-size', '4096'];
    const llvm = spawnSync('llvm-jitlink-19', [...args, '-check', s, join(ASM, 'veneer.o')], { encoding: 'utf8' });
    expect(llvm.stderr).toContain('relocation target "far_func" at address 0x8811000 is out of range of Branch26PCRel fixup');
    expect(llvm.status).not.toBe(0);
  });

  it('keeps the range error when the veneer itself is out of reach (veneer_unreachable.s)', async () => {
    const { error } = await linkObject(join(ASM, 'veneer_unreachable.o'), { slabSize });
    expect(error).toBeInstanceOf(JITLinkError);
    expect((error as JITLinkError).code).toBe('FixupOutOfRange');
    expect(error!.message).toContain('Branch26PCRel fixup at 0x0000000008811000');
    expect(error!.message).toContain(`in ${VENEERS_SECTION_NAME} at 0x0000000000010008`);
    expect(error!.message).toContain('out of range of ±128 MiB');
  });

  it('passes the same checks big-endian', async () => {
    const o = join(CORPUS, 'asm/aarch64_be', 'veneer.o');
    const { error, checker } = await linkObject(o, { slabSize, elf: aarch64BEElf });
    expect(error).toBeUndefined();
    const { failures } = runChecks(checker, s);
    // Only the two checks that read the veneer's (little-endian) instruction words as big-endian memory differ.
    expect(failures).toHaveLength(2);
    for (const f of failures) expect(f).toContain('*{4}');
  });
});

describe('GOT-load relaxation (test-corpus/src/asm/aarch64/got_relax.s)', () => {
  it('turns an ADRP + LDR of a GOT entry into ADRP + ADD of a target in reach, and keeps the far load', async () => {
    const { error, checker } = await linkObject(join(ASM, 'got_relax.o'), { absolutes: FAR, slabSize: 100 * 1024 });
    expect(error).toBeUndefined();
    const { failures, checks } = runChecks(checker, join(ASM, 'got_relax.s'));
    expect(failures).toEqual([]);
    expect(checks).toBe(5);
  });
});

describe('thread-local storage (test-corpus/src/asm/aarch64/tls_models.s)', () => {
  const s = join(ASM, 'tls_models.s');

  it('builds TLS descriptors and IE GOT entries, and encodes TP- and DTP-relative offsets, as the check lines say', async () => {
    const { error, checker, graph } = await linkObject(join(ASM, 'tls_models.o'), { slabSize: 1024 * 1024 });
    expect(error).toBeUndefined();
    // One descriptor (16 bytes) and one IE entry (8 bytes).
    expect([...graph.findSectionByName('$__TLSGOT')!.blocks].map((b) => b.size).sort()).toEqual([16, 8]);
    const { failures, checks } = runChecks(checker, s);
    expect(failures).toEqual([]);
    expect(checks).toBe(18);
  });

  it('without a platform that loads TLS blocks, the link fails naming the edge', async () => {
    const { error } = await linkObject(join(ASM, 'tls_models.o'), { slabSize: 1024 * 1024, threadLocal: false });
    expect(error).toBeInstanceOf(JITLinkError);
    expect(error!.message).toContain('thread-local storage needs a platform with TLS support');
  });

  withJitlink.it('llvm-jitlink-19 rejects the same object (no AArch64 TLS relocations)', () => {
    const args = ['-noexec', '-slab-allocate', '1Mb', '-slab-address', '0x10000', '-slab-page-size', '4096'];
    const llvm = spawnSync('llvm-jitlink-19', [...args, '-check', s, join(ASM, 'tls_models.o')], { encoding: 'utf8' });
    expect(llvm.stderr).toContain('Unsupported aarch64 relocation:541: R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21');
    expect(llvm.status).not.toBe(0);
  });
});
