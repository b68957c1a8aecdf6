/**
 * ELF/aarch64: maps R_AARCH64_* relocations onto AArch64 edge kinds (see the
 * package README for the table) and supplies the ELF default passes.
 */
import type { ElfArchSupport, ElfRelocation, ElfRelocationSite } from '@jitlink/elf';
import {
  addEHFramePasses,
  JITLinkError,
  MemLifetime,
  type EdgeKind,
  type LinkGraph,
  type LinkTarget,
  type PassConfiguration,
  type Symbol,
} from '@jitlink/core';
import {
  AARCH64_TLS_RELOCATIONS,
  aarch64EdgeKindInfo,
  aarch64TLSRelocationKind,
  getAArch64EdgeKindName,
  AArch64EdgeKinds as K,
} from '../edge-kinds.js';
import { isAddSubImmediate, isLoadStoreUnsignedImm, isMoveWide, loadStoreScale, moveWideHalfword } from '../encoders.js';
import { applyFixup } from '../fixups.js';
import { AARCH64_EH_FRAME_OPTIONS, addAArch64Passes } from '../passes.js';
import { AARCH64_TLS_RULES } from '../tls-kinds.js';
import { buildAArch64TLSEntries, lowerAArch64TLSEdges } from './tls.js';
import { aarch64Tools } from '../tools.js';

export const EM_AARCH64 = 183;

/** R_AARCH64_* numbers of relocatable objects (AArch64 ELF ABI, "aaelf64"). */
export const R_AARCH64 = {
  NONE: 0,
  WITHDRAWN_NONE: 256,
  ABS64: 257,
  ABS32: 258,
  ABS16: 259,
  PREL64: 260,
  PREL32: 261,
  PREL16: 262,
  MOVW_UABS_G0: 263,
  MOVW_UABS_G0_NC: 264,
  MOVW_UABS_G1: 265,
  MOVW_UABS_G1_NC: 266,
  MOVW_UABS_G2: 267,
  MOVW_UABS_G2_NC: 268,
  MOVW_UABS_G3: 269,
  MOVW_SABS_G0: 270,
  MOVW_SABS_G1: 271,
  MOVW_SABS_G2: 272,
  LD_PREL_LO19: 273,
  ADR_PREL_LO21: 274,
  ADR_PREL_PG_HI21: 275,
  ADR_PREL_PG_HI21_NC: 276,
  ADD_ABS_LO12_NC: 277,
  LDST8_ABS_LO12_NC: 278,
  TSTBR14: 279,
  CONDBR19: 280,
  JUMP26: 282,
  CALL26: 283,
  LDST16_ABS_LO12_NC: 284,
  LDST32_ABS_LO12_NC: 285,
  LDST64_ABS_LO12_NC: 286,
  MOVW_PREL_G0: 287,
  MOVW_PREL_G0_NC: 288,
  MOVW_PREL_G1: 289,
  MOVW_PREL_G1_NC: 290,
  MOVW_PREL_G2: 291,
  MOVW_PREL_G2_NC: 292,
  MOVW_PREL_G3: 293,
  LDST128_ABS_LO12_NC: 299,
  MOVW_GOTOFF_G0: 300,
  MOVW_GOTOFF_G0_NC: 301,
  MOVW_GOTOFF_G1: 302,
  MOVW_GOTOFF_G1_NC: 303,
  MOVW_GOTOFF_G2: 304,
  MOVW_GOTOFF_G2_NC: 305,
  MOVW_GOTOFF_G3: 306,
  GOTREL64: 307,
  GOTREL32: 308,
  GOT_LD_PREL19: 309,
  LD64_GOTOFF_LO15: 310,
  ADR_GOT_PAGE: 311,
  LD64_GOT_LO12_NC: 312,
  LD64_GOTPAGE_LO15: 313,
  PLT32: 314,
  GOTPCREL32: 315,
  COPY: 1024,
  GLOB_DAT: 1025,
  JUMP_SLOT: 1026,
  RELATIVE: 1027,
  TLS_DTPMOD: 1028,
  TLS_DTPREL: 1029,
  TLS_TPREL: 1030,
  TLSDESC: 1031,
  IRELATIVE: 1032,
} as const;

/** The thread-local relocations of relocatable objects are numbered 512..573 in AARCH64_TLS_RELOCATIONS' order. */
const FIRST_TLS_RELOCATION = 512;

const RELOCATION_NAMES: string[] = [];
for (const [key, value] of Object.entries(R_AARCH64)) RELOCATION_NAMES[value] = `R_AARCH64_${key}`;
RELOCATION_NAMES[R_AARCH64.WITHDRAWN_NONE] = 'R_AARCH64_NONE';
AARCH64_TLS_RELOCATIONS.forEach((name, i) => (RELOCATION_NAMES[FIRST_TLS_RELOCATION + i] = `R_AARCH64_${name}`));

/** "R_AARCH64_CALL26" for 283; "unknown relocation type N" outside the known set. */
export function aarch64RelocationTypeName(type: number): string {
  return RELOCATION_NAMES[type] ?? `unknown relocation type ${type}`;
}

/** The kind (its width from the edge-kind table), and for instruction relocations what the instruction must be. */
interface Mapping {
  kind: EdgeKind;
  width: number;
  /** Move-wide group: the instruction's hw field must equal it. */
  group?: number;
  /** log2 access size a load/store must have (PageOffset12), or 'add'. */
  access?: number | 'add';
}

const MAPPINGS: Mapping[] = [];
function map(type: number, kind: EdgeKind, extra: Omit<Mapping, 'kind' | 'width'> = {}): void {
  MAPPINGS[type] = { kind, width: aarch64EdgeKindInfo(kind)!.width, ...extra };
}
const R = R_AARCH64;
map(R.ABS64, K.Pointer64);
map(R.ABS32, K.Pointer32);
map(R.ABS16, K.Pointer16);
map(R.PREL64, K.Delta64);
map(R.PREL32, K.Delta32);
map(R.PREL16, K.Delta16);
map(R.MOVW_UABS_G0, K.MoveWide16Unsigned, { group: 0 });
map(R.MOVW_UABS_G0_NC, K.MoveWide16, { group: 0 });
map(R.MOVW_UABS_G1, K.MoveWide16Unsigned, { group: 1 });
map(R.MOVW_UABS_G1_NC, K.MoveWide16, { group: 1 });
map(R.MOVW_UABS_G2, K.MoveWide16Unsigned, { group: 2 });
map(R.MOVW_UABS_G2_NC, K.MoveWide16, { group: 2 });
map(R.MOVW_UABS_G3, K.MoveWide16, { group: 3 });
map(R.MOVW_SABS_G0, K.MoveWide16Signed, { group: 0 });
map(R.MOVW_SABS_G1, K.MoveWide16Signed, { group: 1 });
map(R.MOVW_SABS_G2, K.MoveWide16Signed, { group: 2 });
map(R.MOVW_PREL_G0, K.MoveWide16PCRelSigned, { group: 0 });
map(R.MOVW_PREL_G0_NC, K.MoveWide16PCRel, { group: 0 });
map(R.MOVW_PREL_G1, K.MoveWide16PCRelSigned, { group: 1 });
map(R.MOVW_PREL_G1_NC, K.MoveWide16PCRel, { group: 1 });
map(R.MOVW_PREL_G2, K.MoveWide16PCRelSigned, { group: 2 });
map(R.MOVW_PREL_G2_NC, K.MoveWide16PCRel, { group: 2 });
map(R.MOVW_PREL_G3, K.MoveWide16PCRelSigned, { group: 3 });
map(R.LD_PREL_LO19, K.LDRLiteral19);
map(R.ADR_PREL_LO21, K.ADRLiteral21);
// The _NC form skips the ±4 GiB check in static linkers; a page delta that
// does not fit is wrong either way, so both are checked.
map(R.ADR_PREL_PG_HI21, K.Page21);
map(R.ADR_PREL_PG_HI21_NC, K.Page21);
map(R.ADD_ABS_LO12_NC, K.PageOffset12, { access: 'add' });
map(R.LDST8_ABS_LO12_NC, K.PageOffset12, { access: 0 });
map(R.LDST16_ABS_LO12_NC, K.PageOffset12, { access: 1 });
map(R.LDST32_ABS_LO12_NC, K.PageOffset12, { access: 2 });
map(R.LDST64_ABS_LO12_NC, K.PageOffset12, { access: 3 });
map(R.LDST128_ABS_LO12_NC, K.PageOffset12, { access: 4 });
map(R.TSTBR14, K.TestAndBranch14PCRel);
map(R.CONDBR19, K.CondBranch19PCRel);
map(R.JUMP26, K.Branch26PCRel);
map(R.CALL26, K.Branch26PCRel);
map(R.ADR_GOT_PAGE, K.RequestGOTAndTransformToPage21);
map(R.LD64_GOT_LO12_NC, K.RequestGOTAndTransformToPageOffset12, { access: 3 });
map(R.LD64_GOTPAGE_LO15, K.RequestGOTAndTransformToPageOffset15, { access: 3 });
map(R.GOTPCREL32, K.RequestGOTAndTransformToDelta32);
// -mcmodel=tiny: `ldr x0, :got:sym`, a literal load of the GOT entry.
map(R.GOT_LD_PREL19, K.RequestGOTAndTransformToLDRLiteral19);
// Thread-local relocations (elf/tls.ts lowers them); the supported ones have their instruction checked.
AARCH64_TLS_RELOCATIONS.forEach((name, i) => {
  const rule = AARCH64_TLS_RULES[name];
  const group = rule && 'group' in rule ? rule.group : undefined;
  map(FIRST_TLS_RELOCATION + i, aarch64TLSRelocationKind(name), {
    ...(group !== undefined ? { group } : {}),
    ...(rule?.access !== undefined ? { access: rule.access } : {}),
  });
});
// A thread-local variable's offset in its module's block, in debug info (DW_OP_GNU_push_tls_address).
map(R.TLS_DTPREL, K.DTPOff64);
const TLSDESC_CALL = FIRST_TLS_RELOCATION + AARCH64_TLS_RELOCATIONS.indexOf('TLSDESC_CALL');

/** Adds the edge for one R_AARCH64_* relocation. */
export function addAArch64RelocationEdge(rel: ElfRelocation, target: Symbol, site: ElfRelocationSite): void {
  const type = rel.type;
  // TLSDESC_CALL marks a descriptor's `blr`, which needs no fixup.
  if (type === R.NONE || type === R.WITHDRAWN_NONE || type === TLSDESC_CALL) return;
  const { graph, block } = site;
  const where = { file: site.file, section: site.relocationSection, offset: site.entryOffset };
  const mapping = MAPPINGS[type];
  if (mapping === undefined) {
    throw new JITLinkError(
      'UnsupportedRelocation',
      `unsupported relocation type ${type} (${aarch64RelocationTypeName(type)}) at offset 0x${rel.offset.toString(16)} ` +
        `of ${block.section.name}`,
      where,
    );
  }
  const offset = site.offsetInBlock;
  const { kind, width } = mapping;
  if (block.isZeroFill() || offset < 0 || offset + width > block.size) {
    throw new JITLinkError(
      'MalformedObject',
      `${aarch64RelocationTypeName(type)} at offset 0x${rel.offset.toString(16)} patches ${width} bytes outside ` +
        `${block.section.name} (size 0x${block.size.toString(16)}${block.isZeroFill() ? ', no content' : ''})`,
      where,
    );
  }
  if (mapping.group !== undefined || mapping.access !== undefined) {
    const content = block.getContent();
    const word = new DataView(content.buffer, content.byteOffset + offset, 4).getUint32(0, true);
    const problem = instructionProblem(word, mapping);
    if (problem !== undefined) {
      throw new JITLinkError(
        'MalformedObject',
        `${aarch64RelocationTypeName(type)} at offset 0x${rel.offset.toString(16)} of ${block.section.name} ` +
          `applies to instruction 0x${word.toString(16).padStart(8, '0')}, which is not ${problem}`,
        where,
      );
    }
  }
  // Absolute 32-bit addresses of the graph's own content fit only if its memory lies below 4 GiB.
  if (
    kind === K.Pointer32 &&
    target.isDefined() &&
    target.block.section.lifetime !== MemLifetime.NoAlloc &&
    block.section.lifetime !== MemLifetime.NoAlloc
  ) {
    graph.requiresLow32BitAddresses = true;
  }
  block.appendEdge(kind, offset, target, rel.addend);
}

/** Why `word` cannot carry the relocation, or undefined if it can. */
function instructionProblem(word: number, mapping: Mapping): string | undefined {
  if (mapping.group !== undefined) {
    if (!isMoveWide(word)) return 'a MOVZ, MOVN or MOVK';
    if (moveWideHalfword(word) !== mapping.group) return `a move of halfword ${mapping.group} (lsl #${16 * mapping.group})`;
    return undefined;
  }
  if (mapping.access === 'add') return isAddSubImmediate(word) ? undefined : 'an ADD (immediate)';
  const access = mapping.access!;
  if (!isLoadStoreUnsignedImm(word) || loadStoreScale(word) !== access) {
    return `a ${8 << access}-bit load or store (unsigned offset)`;
  }
  return undefined;
}

const EH_FRAME_SECTION = '.eh_frame';

/** Adds the ELF/aarch64 default passes: eh-frame handling, thread-local entries and values, then GOT/stubs. */
export function addElfAArch64Passes(_graph: LinkGraph, config: PassConfiguration): void {
  addEHFramePasses(config, EH_FRAME_SECTION, AARCH64_EH_FRAME_OPTIONS);
  config.postPrunePasses.push(buildAArch64TLSEntries);
  config.preFixupPasses.push(lowerAArch64TLSEdges);
  addAArch64Passes(config);
}

/** ELF/aarch64 fixups and default passes. */
export const elfAArch64Target: LinkTarget = {
  applyFixup,
  addDefaultPasses: addElfAArch64Passes,
};

function aarch64Triple(want: 'little' | 'big') {
  const arch = want === 'little' ? 'aarch64' : 'aarch64_be';
  return (bits: 32 | 64, endianness: 'little' | 'big'): string => {
    if (bits !== 64) {
      throw new JITLinkError('UnsupportedArchitecture', 'ILP32 (32-bit) aarch64 ELF objects are not supported');
    }
    if (endianness !== want) {
      throw new JITLinkError('UnsupportedArchitecture', `${endianness}-endian object given to the ${arch} ELF support`);
    }
    return `${arch}-unknown-linux-gnu`;
  };
}

/** The aarch64 half of the ELF/aarch64 backend: pass it to `createElfBackend`. */
export const aarch64Elf: ElfArchSupport = {
  machine: EM_AARCH64,
  arch: 'aarch64',
  packageName: '@jitlink/arch-arm64',
  triple: aarch64Triple('little'),
  getEdgeKindName: getAArch64EdgeKindName,
  relocationTypeName: aarch64RelocationTypeName,
  addRelocationEdge: addAArch64RelocationEdge,
  target: elfAArch64Target,
  tools: aarch64Tools,
};

/**
 * Big-endian AArch64 (`aarch64_be`): the same relocations; data fixups are
 * written big-endian, instructions stay little-endian as on every AArch64.
 */
export const aarch64BEElf: ElfArchSupport = { ...aarch64Elf, arch: 'aarch64_be', triple: aarch64Triple('big') };
