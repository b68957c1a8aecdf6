/**
 * MachO/arm64: maps ARM64_RELOC_* relocations onto the AArch64 edge kinds
 * (see the package README for the table) and supplies the MachO default
 * passes. The MachO container is read by @jitlink/macho; this module only
 * says what each relocation means. Instructions carry no addend on arm64: an
 * ARM64_RELOC_ADDEND entry before a BRANCH26, PAGE21 or PAGEOFF12 gives it.
 */
import {
  addMachOSubtractorPair,
  machoRelocationTypes,
  readMachOImplicitAddend,
  type MachOArchSupport,
  type MachORelocation,
  type MachORelocationContext,
  type MachORelocationTypes,
  type MachOSubtractorPair,
} from '@jitlink/macho';
import {
  addEHFramePasses,
  type EdgeKind,
  type LinkGraph,
  type LinkTarget,
  type PassConfiguration,
  type Symbol,
} from '@jitlink/core';
import { getAArch64EdgeKindName, AArch64EdgeKinds as K } from '../edge-kinds.js';
import { isADRP, isBranch26, isLoadStoreUnsignedImm, loadStoreScale, pageOffset12Scale } from '../encoders.js';
import { applyFixup } from '../fixups.js';
import { AARCH64_EH_FRAME_OPTIONS, addAArch64Passes } from '../passes.js';
import { aarch64Tools } from '../tools.js';

export const CPU_TYPE_ARM64 = 0x0100000c;

/** ARM64_RELOC_* numbers (mach-o/arm64/reloc.h). */
export const ARM64_RELOC = {
  UNSIGNED: 0,
  SUBTRACTOR: 1,
  BRANCH26: 2,
  PAGE21: 3,
  PAGEOFF12: 4,
  GOT_LOAD_PAGE21: 5,
  GOT_LOAD_PAGEOFF12: 6,
  POINTER_TO_GOT: 7,
  TLVP_LOAD_PAGE21: 8,
  TLVP_LOAD_PAGEOFF12: 9,
  ADDEND: 10,
  AUTHENTICATED_POINTER: 11,
} as const;

/** Their names and the UnsupportedRelocation error (annotated: `unsupported` ends control flow). */
const RELOCATIONS: MachORelocationTypes = machoRelocationTypes('ARM64_RELOC_', ARM64_RELOC);

/** "ARM64_RELOC_PAGE21" for 3; "unknown relocation type N" outside the known set. */
export const arm64MachORelocationTypeName: (type: number) => string = RELOCATIONS.name;

/** SUBTRACTOR + UNSIGNED: A - B + stored, a Delta edge from B's block or a NegDelta edge from A's. */
const SUBTRACTOR_PAIR: MachOSubtractorPair = {
  types: RELOCATIONS,
  subtractor: ARM64_RELOC.SUBTRACTOR,
  unsigned: ARM64_RELOC.UNSIGNED,
  delta32: K.Delta32,
  delta64: K.Delta64,
  negDelta32: K.NegDelta32,
  negDelta64: K.NegDelta64,
  // Exact as a double, as UNSIGNED's.
  addend: { exactDoubles: true },
};

/** The instruction word at the fixup (always little-endian). */
function readWord(ctx: MachORelocationContext): number {
  const c = ctx.block.getContent();
  return new DataView(c.buffer, c.byteOffset, c.byteLength).getUint32(ctx.offsetInBlock, true);
}

/** What each instruction relocation needs: its fields, the kind, and the instruction it patches. */
interface InstructionMapping {
  pcrel: boolean;
  kind: EdgeKind;
  /** Whether an ARM64_RELOC_ADDEND may precede it. */
  takesAddend: boolean;
  /** Why the word cannot carry the relocation, or undefined if it can. */
  problem(word: number): string | undefined;
}

const adrp = (w: number): string | undefined => (isADRP(w) ? undefined : 'an ADRP');
const ldr64 = (w: number): string | undefined =>
  isLoadStoreUnsignedImm(w) && loadStoreScale(w) === 3 ? undefined : 'a 64-bit LDR (unsigned offset)';

const INSTRUCTIONS: Partial<Record<number, InstructionMapping>> = {
  [ARM64_RELOC.BRANCH26]: { pcrel: true, kind: K.Branch26PCRel, takesAddend: true, problem: (w) => (isBranch26(w) ? undefined : 'a B or BL') },
  [ARM64_RELOC.PAGE21]: { pcrel: true, kind: K.Page21, takesAddend: true, problem: adrp },
  // Scaled by the access size of the load/store it patches (none for ADD).
  [ARM64_RELOC.PAGEOFF12]: {
    pcrel: false,
    kind: K.PageOffset12,
    takesAddend: true,
    problem: (w) => (pageOffset12Scale(w) !== undefined ? undefined : 'an ADD (immediate) or a load/store (unsigned offset)'),
  },
  [ARM64_RELOC.GOT_LOAD_PAGE21]: { pcrel: true, kind: K.RequestGOTAndTransformToPage21, takesAddend: false, problem: adrp },
  [ARM64_RELOC.GOT_LOAD_PAGEOFF12]: { pcrel: false, kind: K.RequestGOTAndTransformToPageOffset12, takesAddend: false, problem: ldr64 },
  [ARM64_RELOC.TLVP_LOAD_PAGE21]: { pcrel: true, kind: K.RequestTLVPAndTransformToPage21, takesAddend: false, problem: adrp },
  [ARM64_RELOC.TLVP_LOAD_PAGEOFF12]: { pcrel: false, kind: K.RequestTLVPAndTransformToPageOffset12, takesAddend: false, problem: ldr64 },
};

/** Adds the edge(s) for relocations[index]; returns the entries consumed (2 for ADDEND and SUBTRACTOR pairs). */
export function addArm64MachORelocationEdges(relocations: readonly MachORelocation[], index: number, ctx: MachORelocationContext): number {
  let rel = relocations[index]!;
  let addend = 0;
  let consumed = 1;
  if (rel.type === ARM64_RELOC.ADDEND) {
    if (rel.pcrel || rel.extern || rel.length !== 2) RELOCATIONS.unsupported(rel, ctx);
    const next = relocations[index + 1];
    const partner = next === undefined ? undefined : INSTRUCTIONS[next.type];
    if (next === undefined || next.address !== rel.address || partner === undefined || !partner.takesAddend) {
      ctx.error(rel, 'ARM64_RELOC_ADDEND is not followed by a BRANCH26, PAGE21 or PAGEOFF12 at the same address');
    }
    // r_symbolnum holds the addend: 24 bits, signed.
    addend = (rel.symbolNumber << 8) >> 8;
    rel = next;
    consumed = 2;
  }
  const { block, offsetInBlock: offset } = ctx;
  let kind: EdgeKind;
  let target: Symbol;
  const instruction = INSTRUCTIONS[rel.type];
  if (instruction !== undefined) {
    if (rel.pcrel !== instruction.pcrel || rel.length !== 2) RELOCATIONS.unsupported(rel, ctx);
    // The assembler names a symbol for every instruction relocation (a temporary label becomes its atom's symbol plus an ADDEND).
    if (!rel.extern) ctx.error(rel, `${arm64MachORelocationTypeName(rel.type)} must be extern`);
    const word = readWord(ctx);
    const problem = instruction.problem(word);
    if (problem !== undefined) {
      ctx.error(rel, `applies to instruction 0x${word.toString(16).padStart(8, '0')} at offset 0x${rel.address.toString(16)}, which is not ${problem}`);
    }
    kind = instruction.kind;
    target = ctx.symbolByIndex(rel.symbolNumber, rel);
  } else {
    switch (rel.type) {
      case ARM64_RELOC.UNSIGNED: {
        if (rel.pcrel || (rel.length !== 3 && rel.length !== 2)) RELOCATIONS.unsupported(rel, ctx);
        // 32-bit unsigned or 64-bit signed; 2^63, the high bit C++ type_info names get on arm64
        // Darwin, is exact as a double, and the 64-bit fixups add exactly.
        const stored = readMachOImplicitAddend(ctx, rel, { exactDoubles: true });
        if (rel.extern) {
          target = ctx.symbolByIndex(rel.symbolNumber, rel);
          addend = stored;
        } else {
          // No symbol: the stored value is the target's address in the object.
          target = ctx.symbolByAddress(rel.symbolNumber, stored, rel);
          addend = stored - target.address;
        }
        kind = rel.length === 3 ? K.Pointer64 : K.Pointer32;
        break;
      }
      case ARM64_RELOC.POINTER_TO_GOT:
        // `.long sym@GOT - .` (personality pointers in __eh_frame) or `.quad sym@GOT`.
        if (rel.pcrel && rel.length === 2) kind = K.RequestGOTAndTransformToDelta32;
        else if (!rel.pcrel && rel.length === 3) kind = K.RequestGOTAndTransformToPointer64;
        else RELOCATIONS.unsupported(rel, ctx);
        if (!rel.extern) ctx.error(rel, 'ARM64_RELOC_POINTER_TO_GOT must be extern');
        target = ctx.symbolByIndex(rel.symbolNumber, rel);
        break;
      case ARM64_RELOC.SUBTRACTOR:
        return addMachOSubtractorPair(relocations, index, ctx, SUBTRACTOR_PAIR);
      default:
        RELOCATIONS.unsupported(rel, ctx);
    }
  }
  block.appendEdge(kind, offset, target, addend);
  return consumed;
}

const EH_FRAME_SECTION = '__TEXT,__eh_frame';

/** MachO/arm64 default passes: eh-frame records, then the AArch64 GOT/stubs, relaxation and veneers. */
export function addMachOArm64Passes(_graph: LinkGraph, config: PassConfiguration): void {
  addEHFramePasses(config, EH_FRAME_SECTION, AARCH64_EH_FRAME_OPTIONS);
  addAArch64Passes(config);
}

export const machoArm64Target: LinkTarget = {
  applyFixup,
  addDefaultPasses: addMachOArm64Passes,
};

/** The arm64 half of the MachO/arm64 backend: pass it to `createMachOBackend`. */
export const arm64MachO: MachOArchSupport = {
  cpuType: CPU_TYPE_ARM64,
  arch: 'arm64',
  packageName: '@jitlink/arch-arm64',
  triple(platform, minOS) {
    const os = platform === undefined || platform === 'macos' ? 'macosx' : platform;
    return `arm64-apple-${os}${minOS ?? ''}`;
  },
  getEdgeKindName: getAArch64EdgeKindName,
  relocationTypeName: arm64MachORelocationTypeName,
  addRelocationEdges: addArm64MachORelocationEdges,
  target: machoArm64Target,
  tools: aarch64Tools,
};
