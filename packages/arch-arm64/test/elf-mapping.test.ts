/** The ELF R_AARCH64_* mapping: each type's kind and addend, and its errors. */
import { JITLinkError, Linkage, MemProt, Scope, type Block, type LinkGraph } from '@jitlink/core';
import type { ElfRelocationSite } from '@jitlink/elf';
import { aarch64Elf, aarch64RelocationTypeName, addAArch64RelocationEdge, EM_AARCH64, R_AARCH64 as R } from '../src/elf/index.js';
import { getAArch64EdgeKindName, isAArch64TLSEdgeKind } from '../src/index.js';
import { AARCH64_TLS_RULES } from '../src/tls-kinds.js';
import { aarch64Graph } from './helpers.js';

/** Instruction words each relocation applies to (llvm-mc-19 encodings). */
const WORDS: Record<string, number> = {
  movz_g0: 0xd2800000,
  movk_g1: 0xf2a00000,
  movz_g2: 0xd2c00000,
  movk_g3: 0xf2e00000,
  add: 0x91000000,
  ldrb: 0x39400000,
  ldrh: 0x79400000,
  ldrw: 0xb9400000,
  ldrx: 0xf9400000,
  ldrq: 0x3dc00000,
};

function setup(word = 0): { graph: LinkGraph; block: Block; site: ElfRelocationSite } {
  const graph = aarch64Graph('map.o');
  const content = new Uint8Array(16);
  new DataView(content.buffer).setUint32(4, word, true);
  const block = graph.createContentBlock(graph.createSection('.text', MemProt.Read | MemProt.Exec), content, 0, 4, 0);
  return { graph, block, site: { graph, block, offsetInBlock: 4, file: 'map.o', relocationSection: '.rela.text', entryOffset: 0x30 } };
}

function map(type: number, word = 0, addend = 7) {
  const { graph, block, site } = setup(word);
  const target = graph.addExternalSymbol('sym', 0);
  addAArch64RelocationEdge({ type, offset: 4, symbolIndex: 1, addend }, target, site);
  return block;
}

const CASES: [keyof typeof R, string, number?][] = [
  ['ABS64', 'Pointer64'],
  ['ABS32', 'Pointer32'],
  ['ABS16', 'Pointer16'],
  ['PREL64', 'Delta64'],
  ['PREL32', 'Delta32'],
  ['PREL16', 'Delta16'],
  ['MOVW_UABS_G0', 'MoveWide16Unsigned', WORDS.movz_g0],
  ['MOVW_UABS_G0_NC', 'MoveWide16', WORDS.movz_g0],
  ['MOVW_UABS_G1', 'MoveWide16Unsigned', WORDS.movk_g1],
  ['MOVW_UABS_G1_NC', 'MoveWide16', WORDS.movk_g1],
  ['MOVW_UABS_G2', 'MoveWide16Unsigned', WORDS.movz_g2],
  ['MOVW_UABS_G2_NC', 'MoveWide16', WORDS.movz_g2],
  ['MOVW_UABS_G3', 'MoveWide16', WORDS.movk_g3],
  ['MOVW_SABS_G0', 'MoveWide16Signed', WORDS.movz_g0],
  ['MOVW_SABS_G1', 'MoveWide16Signed', WORDS.movk_g1],
  ['MOVW_SABS_G2', 'MoveWide16Signed', WORDS.movz_g2],
  ['MOVW_PREL_G0', 'MoveWide16PCRelSigned', WORDS.movz_g0],
  ['MOVW_PREL_G0_NC', 'MoveWide16PCRel', WORDS.movz_g0],
  ['MOVW_PREL_G1', 'MoveWide16PCRelSigned', WORDS.movk_g1],
  ['MOVW_PREL_G1_NC', 'MoveWide16PCRel', WORDS.movk_g1],
  ['MOVW_PREL_G2', 'MoveWide16PCRelSigned', WORDS.movz_g2],
  ['MOVW_PREL_G2_NC', 'MoveWide16PCRel', WORDS.movz_g2],
  ['MOVW_PREL_G3', 'MoveWide16PCRelSigned', WORDS.movk_g3],
  ['LD_PREL_LO19', 'LDRLiteral19'],
  ['ADR_PREL_LO21', 'ADRLiteral21'],
  ['ADR_PREL_PG_HI21', 'Page21'],
  ['ADR_PREL_PG_HI21_NC', 'Page21'],
  ['ADD_ABS_LO12_NC', 'PageOffset12', WORDS.add],
  ['LDST8_ABS_LO12_NC', 'PageOffset12', WORDS.ldrb],
  ['LDST16_ABS_LO12_NC', 'PageOffset12', WORDS.ldrh],
  ['LDST32_ABS_LO12_NC', 'PageOffset12', WORDS.ldrw],
  ['LDST64_ABS_LO12_NC', 'PageOffset12', WORDS.ldrx],
  ['LDST128_ABS_LO12_NC', 'PageOffset12', WORDS.ldrq],
  ['TSTBR14', 'TestAndBranch14PCRel'],
  ['CONDBR19', 'CondBranch19PCRel'],
  ['JUMP26', 'Branch26PCRel'],
  ['CALL26', 'Branch26PCRel'],
  ['ADR_GOT_PAGE', 'RequestGOTAndTransformToPage21'],
  ['LD64_GOT_LO12_NC', 'RequestGOTAndTransformToPageOffset12', WORDS.ldrx],
  ['LD64_GOTPAGE_LO15', 'RequestGOTAndTransformToPageOffset15', WORDS.ldrx],
  ['GOTPCREL32', 'RequestGOTAndTransformToDelta32'],
  ['GOT_LD_PREL19', 'RequestGOTAndTransformToLDRLiteral19'],
];

describe('ELF/aarch64 relocation mapping', () => {
  // `word` has a default: jest reads a test function with more parameters than the row as taking `done`.
  it.each(CASES)('R_AARCH64_%s becomes %s with the addend unchanged', (name, kind, word = 0) => {
    const block = map(R[name], word);
    expect(block.edgeCount).toBe(1);
    expect(getAArch64EdgeKindName(block.edgeKind(0))).toBe(kind);
    expect(block.edgeOffset(0)).toBe(4);
    expect(block.edgeAddend(0)).toBe(7);
    expect(aarch64RelocationTypeName(R[name])).toBe(`R_AARCH64_${name}`);
  });

  it('R_AARCH64_NONE (0 and 256) adds no edge', () => {
    expect(map(R.NONE).edgeCount).toBe(0);
    expect(map(R.WITHDRAWN_NONE).edgeCount).toBe(0);
  });

  /** An instruction word each thread-local relocation accepts: the move group or access size its rule names. */
  function tlsWord(type: number): number {
    const rule = AARCH64_TLS_RULES[aarch64RelocationTypeName(type).slice('R_AARCH64_'.length)];
    if (rule && 'group' in rule && rule.group !== undefined) return 0xd2800000 | (rule.group << 21);
    if (rule?.access === 'add') return WORDS.add!;
    if (typeof rule?.access === 'number') return [WORDS.ldrb, WORDS.ldrh, WORDS.ldrw, WORDS.ldrx][rule.access]!;
    return 0;
  }

  it('every thread-local relocation (512..573) but TLSDESC_CALL becomes a TLS kind named after it', () => {
    for (let type = 512; type <= 573; type++) {
      const block = map(type, tlsWord(type));
      if (type === 569) {
        // TLSDESC_CALL marks the descriptor call (blr), which needs no fixup.
        expect(block.edgeCount).toBe(0);
        continue;
      }
      expect(isAArch64TLSEdgeKind(block.edgeKind(0))).toBe(true);
      expect(getAArch64EdgeKindName(block.edgeKind(0))).toBe('TLS_' + aarch64RelocationTypeName(type).slice('R_AARCH64_'.length));
    }
    expect(aarch64RelocationTypeName(541)).toBe('R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21');
    expect(aarch64RelocationTypeName(569)).toBe('R_AARCH64_TLSDESC_CALL');
  });

  function expectError(f: () => unknown, code: string, ...parts: string[]): void {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JITLinkError);
    expect((error as JITLinkError).code).toBe(code);
    for (const p of parts) expect((error as Error).message).toContain(p);
  }

  it('a thread-local LDST or MOVW relocation on the wrong instruction is MalformedObject', () => {
    // R_AARCH64_TLSLE_LDST64_TPREL_LO12 (558) on a 32-bit load; TLSLE_MOVW_TPREL_G1 (545) on a move of halfword 0.
    expectError(() => map(558, WORDS.ldrw), 'MalformedObject', 'R_AARCH64_TLSLE_LDST64_TPREL_LO12', 'not a 64-bit load or store');
    expectError(() => map(545, WORDS.movz_g0), 'MalformedObject', 'R_AARCH64_TLSLE_MOVW_TPREL_G1', 'halfword 1');
    expect(getAArch64EdgeKindName(map(R.TLS_DTPREL, 0).edgeKind(0))).toBe('DTPOff64');
  });

  it('an LDSTn relocation on an instruction of another access size is MalformedObject', () => {
    expectError(
      () => map(R.LDST64_ABS_LO12_NC, WORDS.ldrw),
      'MalformedObject',
      'map.o, section .rela.text, offset 0x30',
      'R_AARCH64_LDST64_ABS_LO12_NC at offset 0x4 of .text applies to instruction 0xb9400000, which is not a 64-bit load or store',
    );
    expectError(() => map(R.ADD_ABS_LO12_NC, WORDS.ldrx), 'MalformedObject', 'not an ADD (immediate)');
  });

  it('a MOVW relocation of group G on a move of another halfword is MalformedObject', () => {
    expectError(() => map(R.MOVW_UABS_G1_NC, WORDS.movz_g0), 'MalformedObject', 'not a move of halfword 1 (lsl #16)');
    expectError(() => map(R.MOVW_UABS_G0, WORDS.add), 'MalformedObject', 'not a MOVZ, MOVN or MOVK');
  });

  it('a relocation patching bytes outside its section is MalformedObject', () => {
    const { graph, site } = setup();
    expectError(
      () => addAArch64RelocationEdge({ type: R.ABS64, offset: 12, symbolIndex: 1, addend: 0 }, graph.addExternalSymbol('s', 0), { ...site, offsetInBlock: 12 }),
      'MalformedObject',
      'R_AARCH64_ABS64 at offset 0xc patches 8 bytes outside .text (size 0x10)',
    );
  });

  it.each([
    [R.COPY, 'R_AARCH64_COPY'],
    [R.GOTREL64, 'R_AARCH64_GOTREL64'],
    [999, 'unknown relocation type 999'],
  ])('type %d is UnsupportedRelocation naming %s', (type, name) => {
    expectError(() => map(type), 'UnsupportedRelocation', `unsupported relocation type ${type} (${name})`, 'map.o, section .rela.text, offset 0x30');
  });

  it('ABS32 to the graph\'s own content asks for memory below 4 GiB', () => {
    const { graph, block, site } = setup();
    const local = graph.addDefinedSymbol(block, 0, 'here', 4, Linkage.Strong, Scope.Default, false, false);
    expect(graph.requiresLow32BitAddresses).toBeFalsy();
    addAArch64RelocationEdge({ type: R.ABS32, offset: 4, symbolIndex: 1, addend: 0 }, local, site);
    expect(graph.requiresLow32BitAddresses).toBe(true);
  });

  it('describes the backend half: EM_AARCH64, little-endian 64-bit only', () => {
    expect(aarch64Elf.machine).toBe(EM_AARCH64);
    expect(aarch64Elf.triple(64, 'little')).toBe('aarch64-unknown-linux-gnu');
    expect(() => aarch64Elf.triple(64, 'big')).toThrow(/big-endian object given to the aarch64 ELF support/);
    expect(() => aarch64Elf.triple(32, 'little')).toThrow(/ILP32/);
  });
});

describe('ELF/aarch64 backends', () => {
  it('createLinkGraph picks the little- or big-endian backend by the object header', async () => {
    const { BackendRegistry } = await import('@jitlink/core');
    const { createElfBackend } = await import('@jitlink/elf');
    const { aarch64BEElf } = await import('../src/elf/index.js');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { CORPUS } = await import('./helpers.js');
    const registry = new BackendRegistry();
    registry.register(createElfBackend(aarch64Elf));
    registry.register(createElfBackend(aarch64BEElf));
    const little = registry.createLinkGraph(new Uint8Array(readFileSync(join(CORPUS, 'asm/aarch64/R_AARCH64_ABS64.o'))), { name: 'le.o' });
    const big = registry.createLinkGraph(new Uint8Array(readFileSync(join(CORPUS, 'asm/aarch64_be/R_AARCH64_ABS64.o'))), { name: 'be.o' });
    expect([little.triple, little.endianness]).toEqual(['aarch64-unknown-linux-gnu', 'little']);
    expect([big.triple, big.endianness]).toEqual(['aarch64_be-unknown-linux-gnu', 'big']);
  });
});
