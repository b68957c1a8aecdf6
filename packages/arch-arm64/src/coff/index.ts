/**
 * COFF/arm64: maps IMAGE_REL_ARM64_* relocations onto AArch64 edge kinds (see
 * the package README for the table), and lowers COFF's image- and
 * section-relative kinds once addresses are known. COFF relocations carry no
 * addend field: the addend is what the patched instruction field or data
 * word already holds, as llvm-mc and MSVC write it.
 */
import {
  coffRelocationTypes,
  createCoffEdgeLowering,
  readCoffImplicitAddend,
  type CoffArchSupport,
  type CoffRelocation,
  type CoffRelocationSite,
  type CoffRelocationTypes,
} from '@jitlink/coff';
import { JITLinkError, MemLifetime, type EdgeKind, type LinkGraph, type LinkTarget, type Symbol } from '@jitlink/core';
import { getAArch64EdgeKindName, AArch64EdgeKinds as K } from '../edge-kinds.js';
import {
  isADR,
  isADRP,
  isAddSubImmediate,
  isBranch26,
  isCondBranch19,
  isLoadStoreUnsignedImm,
  isTestAndBranch14,
  loadStoreScale,
} from '../encoders.js';
import { applyFixup } from '../fixups.js';
import { addAArch64Passes } from '../passes.js';
import { aarch64Tools } from '../tools.js';

export const IMAGE_FILE_MACHINE_ARM64 = 0xaa64;

/** IMAGE_REL_ARM64_* numbers (PE/COFF specification). */
export const IMAGE_REL_ARM64 = {
  ABSOLUTE: 0x0,
  ADDR32: 0x1,
  ADDR32NB: 0x2,
  BRANCH26: 0x3,
  PAGEBASE_REL21: 0x4,
  REL21: 0x5,
  PAGEOFFSET_12A: 0x6,
  PAGEOFFSET_12L: 0x7,
  SECREL: 0x8,
  SECREL_LOW12A: 0x9,
  SECREL_HIGH12A: 0xa,
  SECREL_LOW12L: 0xb,
  TOKEN: 0xc,
  SECTION: 0xd,
  ADDR64: 0xe,
  BRANCH19: 0xf,
  BRANCH14: 0x10,
  REL32: 0x11,
} as const;

const R = IMAGE_REL_ARM64;
/** Their names and errors (annotated: the `unsupported` ones end control flow). */
const RELOCATIONS: CoffRelocationTypes = coffRelocationTypes('IMAGE_REL_ARM64_', IMAGE_REL_ARM64);

/** "IMAGE_REL_ARM64_BRANCH26" for 3; "unknown relocation type N" otherwise. */
export const aarch64CoffRelocationTypeName: (type: number) => string = RELOCATIONS.name;

/** Two's-complement value of the low `bits` bits of `field`. */
function signed(field: number, bits: number): number {
  const limit = 2 ** (bits - 1);
  return field >= limit ? field - 2 * limit : field;
}

/** The byte offset an ADR/ADRP holds (immhi:immlo, 21 bits, signed). */
const adrImmediate = (w: number): number => signed((((w >>> 5) & 0x7ffff) << 2) | ((w >>> 29) & 3), 21);
const imm12 = (w: number): number => (w >>> 10) & 0xfff;
/** ADD (immediate) with its immediate shifted left by 12. */
const isAddShifted = (w: number): boolean => isAddSubImmediate(w) && (w & 0x00400000) !== 0;
const isAddUnshifted = (w: number): boolean => isAddSubImmediate(w) && (w & 0x00400000) === 0;

/** What each instruction relocation applies to, and the addend its field holds. */
const INSTRUCTIONS: Record<number, { is: (w: number) => boolean; what: string; addend: (w: number) => number }> = {
  [R.BRANCH26]: { is: isBranch26, what: 'a B or BL', addend: (w) => signed(w & 0x3ffffff, 26) * 4 },
  [R.BRANCH19]: { is: isCondBranch19, what: 'a B.cond, CBZ or CBNZ', addend: (w) => signed((w >>> 5) & 0x7ffff, 19) * 4 },
  [R.BRANCH14]: { is: isTestAndBranch14, what: 'a TBZ or TBNZ', addend: (w) => signed((w >>> 5) & 0x3fff, 14) * 4 },
  [R.PAGEBASE_REL21]: { is: isADRP, what: 'an ADRP', addend: adrImmediate },
  [R.REL21]: { is: isADR, what: 'an ADR', addend: adrImmediate },
  [R.PAGEOFFSET_12A]: { is: isAddUnshifted, what: 'an ADD (immediate)', addend: imm12 },
  [R.SECREL_LOW12A]: { is: isAddUnshifted, what: 'an ADD (immediate)', addend: imm12 },
  // The field holds the byte addend (llvm-mc writes `:secrel_hi12:x+4` as #4, lsl #12).
  [R.SECREL_HIGH12A]: { is: isAddShifted, what: 'an ADD (immediate, lsl #12)', addend: imm12 },
  // Load/store offsets are in units of the access size.
  [R.PAGEOFFSET_12L]: { is: isLoadStoreUnsignedImm, what: 'a load or store (unsigned offset)', addend: (w) => imm12(w) * 2 ** loadStoreScale(w) },
  [R.SECREL_LOW12L]: { is: isLoadStoreUnsignedImm, what: 'a load or store (unsigned offset)', addend: (w) => imm12(w) * 2 ** loadStoreScale(w) },
};

const KINDS: Record<number, EdgeKind> = {
  [R.ADDR32]: K.Pointer32,
  [R.ADDR32NB]: K.Pointer32NB,
  [R.ADDR64]: K.Pointer64,
  [R.REL32]: K.Delta32,
  [R.SECREL]: K.SectionRelative32,
  [R.SECTION]: K.SectionIndex16,
  [R.BRANCH26]: K.Branch26PCRel,
  [R.BRANCH19]: K.CondBranch19PCRel,
  [R.BRANCH14]: K.TestAndBranch14PCRel,
  [R.PAGEBASE_REL21]: K.Page21,
  [R.REL21]: K.ADRLiteral21,
  [R.PAGEOFFSET_12A]: K.PageOffset12,
  [R.PAGEOFFSET_12L]: K.PageOffset12,
  [R.SECREL_LOW12A]: K.SectionRelativePageOffset12,
  [R.SECREL_LOW12L]: K.SectionRelativePageOffset12,
  [R.SECREL_HIGH12A]: K.SectionRelativeHigh12,
};

/** Through an import address table entry (`__imp_f`), the GOT request each relocation becomes. */
const THROUGH_IMPORT_TABLE: Record<number, EdgeKind> = {
  [R.PAGEBASE_REL21]: K.RequestGOTAndTransformToPage21,
  [R.PAGEOFFSET_12L]: K.RequestGOTAndTransformToPageOffset12,
};

function width(type: number): 2 | 4 | 8 {
  if (type === R.ADDR64) return 8;
  if (type === R.SECTION) return 2;
  return 4;
}

export function addAArch64CoffRelocationEdge(rel: CoffRelocation, target: Symbol, site: CoffRelocationSite): void {
  const type = rel.type;
  if (type === R.ABSOLUTE) return;
  const { block, graph } = site;
  if (type === R.TOKEN) RELOCATIONS.unsupported(rel, site, 'a CLR token (managed code)');
  let kind = KINDS[type];
  if (kind === undefined) RELOCATIONS.unsupported(rel, site, 'not an ARM64 relocation type');
  const offset = site.offsetInBlock;
  const view = RELOCATIONS.field(rel, site, width(type));
  let addend: number;
  const instruction = INSTRUCTIONS[type];
  if (instruction !== undefined) {
    const word = view.getUint32(offset, true);
    if (!instruction.is(word)) {
      throw new JITLinkError(
        'MalformedObject',
        `${RELOCATIONS.name(type)} at offset 0x${rel.offset.toString(16)} applies to instruction 0x${word.toString(16).padStart(8, '0')}, which is not ${instruction.what}`,
        { file: site.file, section: site.section, offset: site.entryOffset },
      );
    }
    addend = instruction.addend(word);
  } else if (type === R.ADDR64) {
    addend = readCoffImplicitAddend(view, offset, 8);
  } else if (type === R.ADDR32) {
    addend = readCoffImplicitAddend(view, offset, 4, true);
  } else if (type === R.REL32) {
    // Measured from the end of the field: T - (P + 4) + A.
    addend = readCoffImplicitAddend(view, offset, 4) - 4;
  } else if (type === R.SECTION) {
    addend = 0;
  } else {
    addend = readCoffImplicitAddend(view, offset, 4);
  }
  if (site.throughImportTable) {
    const request = THROUGH_IMPORT_TABLE[type];
    if (request === undefined || (type === R.PAGEOFFSET_12L && loadStoreScale(view.getUint32(offset, true)) !== 3)) {
      RELOCATIONS.unsupportedThroughImportTable(rel, target, site, 'only ADRP and 64-bit LDR of import entries are supported');
    }
    kind = request;
  }
  if (kind === K.Branch26PCRel && !target.isDefined()) {
    // Called, so a function (clang gives undefined symbols no type): reached through a stub if needed.
    target.callable = true;
  }
  // Absolute 32-bit addresses of the graph's own content need memory below 4 GiB.
  if (kind === K.Pointer32 && target.isDefined() && target.block.section.lifetime !== MemLifetime.NoAlloc) {
    graph.requiresLow32BitAddresses = true;
  }
  block.appendEdge(kind, offset, target, addend);
}

/**
 * Pre-fixup pass: image-relative and section-relative edges become the kinds
 * that write them, the base folded into the addend; section numbers are written.
 */
export const lowerAArch64CoffEdges: (graph: LinkGraph) => void = createCoffEdgeLowering({
  imageRelative: [K.Pointer32NB, K.Pointer32],
  sectionRelative: new Map([
    [K.SectionRelative32, K.Pointer32],
    [K.SectionRelativePageOffset12, K.PageOffset12],
    [K.SectionRelativeHigh12, K.High12],
  ]),
  sectionIndex16: K.SectionIndex16,
});

const coffAArch64Target: LinkTarget = {
  applyFixup,
  addDefaultPasses(_graph, config) {
    addAArch64Passes(config);
    config.preFixupPasses.unshift(lowerAArch64CoffEdges);
  },
};

/**
 * COFF support for arm64, for `createCoffBackend`. No host bridges: Windows on
 * Arm calls as AAPCS64 does (variadic floating-point arguments aside), so
 * aarch64 executors call its code directly.
 */
export const aarch64Coff: CoffArchSupport = {
  machine: IMAGE_FILE_MACHINE_ARM64,
  arch: 'aarch64',
  packageName: '@jitlink/arch-arm64',
  triple: 'aarch64-pc-windows-msvc',
  pointerSize: 8,
  getEdgeKindName: getAArch64EdgeKindName,
  relocationTypeName: aarch64CoffRelocationTypeName,
  addRelocationEdge: addAArch64CoffRelocationEdge,
  returnInstruction: Uint8Array.of(0xc0, 0x03, 0x5f, 0xd6), // ret
  target: coffAArch64Target,
  tools: aarch64Tools,
};
