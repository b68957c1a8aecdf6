/**
 * COFF/x86-64: maps IMAGE_REL_AMD64_* relocations onto x86-64 edge kinds
 * (see the package README for the table), and lowers COFF's image- and
 * section-relative kinds once addresses are known.
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
import { MemLifetime, MemProt, type EdgeKind, type LinkGraph, type LinkTarget, type Symbol } from '@jitlink/core';
import { getX86_64EdgeKindName, X86_64EdgeKinds as K } from '../edge-kinds.js';
import { applyFixup } from '../fixups.js';
import { addX86_64Passes } from '../passes.js';
import { x86_64Tools } from '../tools.js';
import {
  addX86_64HostToMicrosoftBridge,
  addX86_64MicrosoftToHostThunk,
  bypassX86_64MicrosoftToHostThunk,
} from './bridge.js';

export {
  addX86_64HostToMicrosoftBridge,
  addX86_64MicrosoftToHostThunk,
  bypassX86_64MicrosoftToHostThunk,
} from './bridge.js';

export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;

/** IMAGE_REL_AMD64_* numbers. */
export const IMAGE_REL_AMD64 = {
  ABSOLUTE: 0,
  ADDR64: 1,
  ADDR32: 2,
  ADDR32NB: 3,
  REL32: 4,
  REL32_1: 5,
  REL32_2: 6,
  REL32_3: 7,
  REL32_4: 8,
  REL32_5: 9,
  SECTION: 10,
  SECREL: 11,
  SECREL7: 12,
  TOKEN: 13,
  SREL32: 14,
  PAIR: 15,
  SSPAN32: 16,
} as const;

/** Their names and errors (annotated: the `unsupported` ones end control flow). */
const RELOCATIONS: CoffRelocationTypes = coffRelocationTypes('IMAGE_REL_AMD64_', IMAGE_REL_AMD64);

/** "IMAGE_REL_AMD64_REL32" for 4; "unknown relocation type N" otherwise. */
export const x86_64CoffRelocationTypeName: (type: number) => string = RELOCATIONS.name;

/** Why the relocations no x86-64 COFF compiler emits for code are refused. */
const UNSUPPORTED: Record<number, string> = {
  [IMAGE_REL_AMD64.SECREL7]: 'a 7-bit section offset (only some debug records use it)',
  [IMAGE_REL_AMD64.TOKEN]: 'a CLR token (managed code)',
  [IMAGE_REL_AMD64.SREL32]: 'a span-relative offset (PE images only)',
  [IMAGE_REL_AMD64.PAIR]: 'a pair marker that must follow SREL32',
  [IMAGE_REL_AMD64.SSPAN32]: 'a span-relative offset (PE images only)',
};

function width(type: number): number {
  if (type === IMAGE_REL_AMD64.ADDR64) return 8;
  if (type === IMAGE_REL_AMD64.SECTION) return 2;
  return 4;
}

/** True when the 4 bytes at `offset` are the displacement of a call, jmp or jcc rel32. */
function isBranchDisplacement(content: Uint8Array, offset: number): boolean {
  if (offset < 1) return false;
  const op = content[offset - 1]!;
  if (op === 0xe8 || op === 0xe9) return true;
  // jcc rel32 is 0F 80..8F; a RIP-relative ModRM byte before a displacement is always below 0x40.
  return offset >= 2 && content[offset - 2] === 0x0f && op >= 0x80 && op <= 0x8f;
}

export function addX86_64CoffRelocationEdge(rel: CoffRelocation, target: Symbol, site: CoffRelocationSite): void {
  const type = rel.type;
  if (type === IMAGE_REL_AMD64.ABSOLUTE) return;
  const { block, graph } = site;
  const reason = UNSUPPORTED[type];
  if (reason !== undefined || type > IMAGE_REL_AMD64.SSPAN32) RELOCATIONS.unsupported(rel, site, reason ?? 'not an AMD64 relocation type');
  const offset = site.offsetInBlock;
  const view = RELOCATIONS.field(rel, site, width(type));
  if (site.throughImportTable && (type < IMAGE_REL_AMD64.REL32 || type > IMAGE_REL_AMD64.REL32_5)) {
    RELOCATIONS.unsupportedThroughImportTable(rel, target, site, 'only RIP-relative loads of import entries are supported');
  }
  let kind: EdgeKind;
  let addend: number;
  switch (type) {
    case IMAGE_REL_AMD64.ADDR64:
      kind = K.Pointer64;
      addend = readCoffImplicitAddend(view, offset, 8);
      break;
    case IMAGE_REL_AMD64.ADDR32:
      kind = K.Pointer32;
      addend = readCoffImplicitAddend(view, offset, 4, true);
      // Absolute 32-bit addresses of the graph's own content need memory below 4 GiB.
      if (target.isDefined() && target.block.section.lifetime !== MemLifetime.NoAlloc) graph.requiresLow32BitAddresses = true;
      break;
    case IMAGE_REL_AMD64.ADDR32NB:
      kind = K.Pointer32NB;
      addend = readCoffImplicitAddend(view, offset, 4);
      break;
    case IMAGE_REL_AMD64.SECTION:
      kind = K.SectionIndex16;
      addend = 0;
      break;
    case IMAGE_REL_AMD64.SECREL:
      kind = K.SectionRelative32;
      addend = readCoffImplicitAddend(view, offset, 4);
      break;
    default: {
      // REL32_n: the displacement is measured from n bytes past the end of the field.
      const extra = type - IMAGE_REL_AMD64.REL32;
      addend = readCoffImplicitAddend(view, offset, 4) - extra;
      if (site.throughImportTable) {
        // Reads the address of the import from its import address table entry (a GOT entry): GOTentry - P + A.
        kind = K.RequestGOTAndTransformToDelta32;
        addend -= 4;
      } else if (
        extra === 0 &&
        !target.isDefined() &&
        (block.section.prot & MemProt.Exec) !== 0 &&
        isBranchDisplacement(block.getContent(), offset)
      ) {
        // A call or jump to another graph or the host: through a stub when out of range.
        kind = K.BranchPCRel32ToPtrJumpStubBypassable;
        // Called, so a function (clang gives undefined symbols no type).
        target.callable = true;
      } else kind = K.PCRel32;
    }
  }
  block.appendEdge(kind, offset, target, addend);
}

/**
 * Pre-fixup pass: image-relative and section-relative edges become Pointer32
 * with the base folded into the addend; section numbers are written.
 */
export const lowerX86_64CoffEdges: (graph: LinkGraph) => void = createCoffEdgeLowering({
  imageRelative: [K.Pointer32NB, K.Pointer32],
  sectionRelative: new Map([[K.SectionRelative32, K.Pointer32]]),
  sectionIndex16: K.SectionIndex16,
});

const coffX86_64Target: LinkTarget = {
  applyFixup,
  addDefaultPasses(_graph, config) {
    addX86_64Passes(config);
    config.preFixupPasses.unshift(lowerX86_64CoffEdges);
  },
};

/** COFF support for x86-64, for `createCoffBackend`. */
export const x86_64Coff: CoffArchSupport = {
  machine: IMAGE_FILE_MACHINE_AMD64,
  arch: 'x86_64',
  packageName: '@jitlink/arch-x86-64',
  triple: 'x86_64-pc-windows-msvc',
  pointerSize: 8,
  getEdgeKindName: getX86_64EdgeKindName,
  relocationTypeName: x86_64CoffRelocationTypeName,
  addRelocationEdge: addX86_64CoffRelocationEdge,
  returnInstruction: Uint8Array.of(0xc3),
  addHostEntryBridge: addX86_64HostToMicrosoftBridge,
  addHostCallThunk: addX86_64MicrosoftToHostThunk,
  bypassHostCallThunk: bypassX86_64MicrosoftToHostThunk,
  target: coffX86_64Target,
  tools: x86_64Tools,
};
