/**
 * MachO/x86-64: maps X86_64_RELOC_* relocations onto the shared x86-64 edge
 * kinds (see the package README for the table) and supplies the MachO
 * default passes. Targets of non-extern relocations are found by address
 * through the MachO builder.
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
import { getX86_64EdgeKindName, X86_64EdgeKinds as K } from '../edge-kinds.js';
import { applyFixup } from '../fixups.js';
import { addX86_64Passes, X86_64_EH_FRAME_OPTIONS } from '../passes.js';
import { x86_64Tools } from '../tools.js';
import { lowerThreadVariableOffsets, retargetThreadVariableDescriptors } from './tlv.js';

export { TLV_GET_ADDR } from './tlv.js';

export const CPU_TYPE_X86_64 = 0x01000007;

/** X86_64_RELOC_* numbers. */
export const X86_64_RELOC = {
  UNSIGNED: 0,
  SIGNED: 1,
  BRANCH: 2,
  GOT_LOAD: 3,
  GOT: 4,
  SUBTRACTOR: 5,
  SIGNED_1: 6,
  SIGNED_2: 7,
  SIGNED_4: 8,
  TLV: 9,
} as const;

/** Their names and the UnsupportedRelocation error (annotated: `unsupported` ends control flow). */
const RELOCATIONS: MachORelocationTypes = machoRelocationTypes('X86_64_RELOC_', X86_64_RELOC);

/** "X86_64_RELOC_BRANCH" for 2; "unknown relocation type N" outside the known set. */
export const x86_64MachORelocationTypeName: (type: number) => string = RELOCATIONS.name;

/** SUBTRACTOR + UNSIGNED: A - B + stored, a Delta edge from B's block or a NegDelta edge from A's. */
const SUBTRACTOR_PAIR: MachOSubtractorPair = {
  types: RELOCATIONS,
  subtractor: X86_64_RELOC.SUBTRACTOR,
  unsigned: X86_64_RELOC.UNSIGNED,
  delta32: K.Delta32,
  delta64: K.Delta64,
  negDelta32: K.NegDelta32,
  negDelta64: K.NegDelta64,
};

/** The 4-byte displacement at the fixup (signed). */
const readDisplacement = (ctx: MachORelocationContext, rel: MachORelocation): number => readMachOImplicitAddend(ctx, rel, { signed: true });

/**
 * The target and addend of a relocation whose implicit value names an address:
 * extern → the symbol, addend = the stored value; otherwise the symbol covering
 * the address, addend = the distance from it.
 */
function targetOf(rel: MachORelocation, ctx: MachORelocationContext, stored: number, addressOf: (stored: number) => number): [Symbol, number] {
  if (rel.extern) return [ctx.symbolByIndex(rel.symbolNumber, rel), stored];
  const address = addressOf(stored);
  const sym = ctx.symbolByAddress(rel.symbolNumber, address, rel);
  return [sym, address - sym.address];
}

function requirePCRel32(rel: MachORelocation, ctx: MachORelocationContext): void {
  if (!rel.pcrel || rel.length !== 2) RELOCATIONS.unsupported(rel, ctx);
}

/** Adds the edge(s) for relocations[index]; returns the entries consumed. */
export function addX86_64MachORelocationEdges(relocations: readonly MachORelocation[], index: number, ctx: MachORelocationContext): number {
  const rel = relocations[index]!;
  const { block, offsetInBlock: offset, fixupAddress: P } = ctx;
  let kind: EdgeKind;
  let target: Symbol;
  let addend: number;
  switch (rel.type) {
    case X86_64_RELOC.UNSIGNED: {
      if (rel.pcrel || (rel.length !== 3 && rel.length !== 2)) RELOCATIONS.unsupported(rel, ctx);
      const stored = readMachOImplicitAddend(ctx, rel);
      [target, addend] = targetOf(rel, ctx, stored, (v) => v);
      kind = rel.length === 3 ? K.Pointer64 : K.Pointer32;
      break;
    }
    case X86_64_RELOC.SIGNED:
    case X86_64_RELOC.SIGNED_1:
    case X86_64_RELOC.SIGNED_2:
    case X86_64_RELOC.SIGNED_4: {
      requirePCRel32(rel, ctx);
      // SIGNED_N: N bytes of immediate follow the displacement, so the PC is P + 4 + N.
      const n = rel.type === X86_64_RELOC.SIGNED ? 0 : 1 << (rel.type - X86_64_RELOC.SIGNED_1);
      if (rel.extern) {
        // The stored value already carries -N: T - (P + 4) + stored.
        target = ctx.symbolByIndex(rel.symbolNumber, rel);
        addend = readDisplacement(ctx, rel) - 4;
      } else {
        const address = P + 4 + n + readDisplacement(ctx, rel);
        target = ctx.symbolByAddress(rel.symbolNumber, address, rel);
        addend = address - target.address - 4 - n;
      }
      kind = K.Delta32;
      break;
    }
    case X86_64_RELOC.BRANCH:
      requirePCRel32(rel, ctx);
      [target, addend] = targetOf(rel, ctx, readDisplacement(ctx, rel), (v) => P + 4 + v);
      kind = K.BranchPCRel32ToPtrJumpStubBypassable;
      break;
    case X86_64_RELOC.GOT_LOAD:
      requirePCRel32(rel, ctx);
      if (!rel.extern) ctx.error(rel, 'X86_64_RELOC_GOT_LOAD must be extern');
      target = ctx.symbolByIndex(rel.symbolNumber, rel);
      addend = readDisplacement(ctx, rel);
      // movq foo@GOTPCREL(%rip): relaxable to leaq when foo is in range.
      kind = K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable;
      break;
    case X86_64_RELOC.GOT:
      requirePCRel32(rel, ctx);
      if (!rel.extern) ctx.error(rel, 'X86_64_RELOC_GOT must be extern');
      target = ctx.symbolByIndex(rel.symbolNumber, rel);
      addend = readDisplacement(ctx, rel) - 4;
      kind = K.RequestGOTAndTransformToDelta32;
      break;
    case X86_64_RELOC.SUBTRACTOR:
      return addMachOSubtractorPair(relocations, index, ctx, SUBTRACTOR_PAIR);
    case X86_64_RELOC.TLV:
      // movq _v@TLVP(%rip), %rdi: the address of _v's descriptor, through a GOT entry or relaxed to a leaq.
      requirePCRel32(rel, ctx);
      if (!rel.extern) ctx.error(rel, 'X86_64_RELOC_TLV must be extern');
      target = ctx.symbolByIndex(rel.symbolNumber, rel);
      addend = readDisplacement(ctx, rel);
      kind = K.RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable;
      break;
    default:
      RELOCATIONS.unsupported(rel, ctx);
  }
  block.appendEdge(kind, offset, target, addend);
  return 1;
}

const EH_FRAME_SECTION = '__TEXT,__eh_frame';

/** MachO/x86-64 default passes: eh-frame records, thread-variable descriptors, GOT/stubs, relaxation. */
export function addMachOX86_64Passes(_graph: LinkGraph, config: PassConfiguration): void {
  config.prePrunePasses.push(retargetThreadVariableDescriptors);
  // Registered with the host's unwinder (libgcc's __register_frame), which stops at a zero word.
  addEHFramePasses(config, EH_FRAME_SECTION, X86_64_EH_FRAME_OPTIONS);
  addX86_64Passes(config);
  config.preFixupPasses.push(lowerThreadVariableOffsets);
}

export const machoX86_64Target: LinkTarget = {
  applyFixup,
  addDefaultPasses: addMachOX86_64Passes,
};

/** The x86-64 half of the MachO/x86-64 backend: pass it to `createMachOBackend`. */
export const x86_64MachO: MachOArchSupport = {
  cpuType: CPU_TYPE_X86_64,
  arch: 'x86_64',
  packageName: '@jitlink/arch-x86-64',
  triple(platform, minOS) {
    const os = platform === undefined || platform === 'macos' ? 'macosx' : platform;
    return `x86_64-apple-${os}${minOS ?? ''}`;
  },
  getEdgeKindName: getX86_64EdgeKindName,
  relocationTypeName: x86_64MachORelocationTypeName,
  addRelocationEdges: addX86_64MachORelocationEdges,
  target: machoX86_64Target,
  tools: x86_64Tools,
};
