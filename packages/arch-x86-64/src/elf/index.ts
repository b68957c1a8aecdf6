/**
 * ELF/x86-64: maps R_X86_64_* relocations onto x86-64 edge kinds (see the
 * package README for the table) and supplies the ELF default passes.
 */
import type { ElfArchSupport, ElfRelocation, ElfRelocationSite } from '@jitlink/elf';
import {
  addEHFramePasses,
  JITLinkError,
  MemLifetime,
  type Block,
  type EdgeKind,
  type LinkGraph,
  type LinkTarget,
  type PassConfiguration,
  type Symbol,
} from '@jitlink/core';
import { tlsNotSupported } from '../diagnostics.js';
import { getX86_64EdgeKindName, x86_64EdgeKindInfo, X86_64EdgeKinds as K } from '../edge-kinds.js';
import { applyFixup } from '../fixups.js';
import { GOT_SYMBOL_NAME } from '../got-plt.js';
import { addX86_64Passes, X86_64_EH_FRAME_OPTIONS } from '../passes.js';
import { x86_64Tools } from '../tools.js';
import { buildX86_64TLSEntries, lowerX86_64TLSEdges } from './tls.js';

export const EM_X86_64 = 62;

/** R_X86_64_* numbers. */
export const R_X86_64 = {
  NONE: 0,
  _64: 1,
  PC32: 2,
  GOT32: 3,
  PLT32: 4,
  COPY: 5,
  GLOB_DAT: 6,
  JUMP_SLOT: 7,
  RELATIVE: 8,
  GOTPCREL: 9,
  _32: 10,
  _32S: 11,
  _16: 12,
  PC16: 13,
  _8: 14,
  PC8: 15,
  DTPMOD64: 16,
  DTPOFF64: 17,
  TPOFF64: 18,
  TLSGD: 19,
  TLSLD: 20,
  DTPOFF32: 21,
  GOTTPOFF: 22,
  TPOFF32: 23,
  PC64: 24,
  GOTOFF64: 25,
  GOTPC32: 26,
  GOT64: 27,
  GOTPCREL64: 28,
  GOTPC64: 29,
  GOTPLT64: 30,
  PLTOFF64: 31,
  SIZE32: 32,
  SIZE64: 33,
  GOTPC32_TLSDESC: 34,
  TLSDESC_CALL: 35,
  TLSDESC: 36,
  IRELATIVE: 37,
  RELATIVE64: 38,
  PC32_BND: 39,
  PLT32_BND: 40,
  GOTPCRELX: 41,
  REX_GOTPCRELX: 42,
  CODE_4_GOTPCRELX: 43,
  CODE_4_GOTTPOFF: 44,
  CODE_4_GOTPC32_TLSDESC: 45,
} as const;

const RELOCATION_NAMES: string[] = [];
for (const [key, value] of Object.entries(R_X86_64)) {
  RELOCATION_NAMES[value] = 'R_X86_64_' + (key.startsWith('_') ? key.slice(1) : key);
}

/** "R_X86_64_PC32" for 2; "unknown relocation type N" outside the known set. */
export function x86_64RelocationTypeName(type: number): string {
  return RELOCATION_NAMES[type] ?? `unknown relocation type ${type}`;
}

/** TLS relocations the linker cannot map: R_X86_64_TLSDESC is a dynamic relocation, no object has it. */
function isUnmappedTLSRelocation(type: number): boolean {
  return type === R_X86_64.TLSDESC;
}

/** The GOT base symbol of the graph, for relocations that measure from it regardless of their symbol. */
function gotBaseSymbol(graph: LinkGraph, target: Symbol): Symbol {
  if (target.name === GOT_SYMBOL_NAME) return target;
  return graph.findExternalSymbol(GOT_SYMBOL_NAME) ?? graph.addExternalSymbol(GOT_SYMBOL_NAME, 0);
}

function isAllocated(block: Block): boolean {
  return block.section.lifetime !== MemLifetime.NoAlloc;
}

/** Adds the edge for one R_X86_64_* relocation. */
export function addX86_64RelocationEdge(rel: ElfRelocation, target: Symbol, site: ElfRelocationSite): void {
  const type = rel.type;
  if (type === R_X86_64.NONE) return;
  const { graph, block } = site;
  // The marker on a TLS descriptor's call: the call needs no fixup.
  if (type === R_X86_64.TLSDESC_CALL) return;
  if (isUnmappedTLSRelocation(type)) {
    throw tlsNotSupported(x86_64RelocationTypeName(type), site.file, block.section.name, rel.offset);
  }

  const offset = site.offsetInBlock;
  let kind: EdgeKind;
  let addend = rel.addend;
  let edgeTarget = target;
  switch (type) {
    case R_X86_64._64:
      kind = K.Pointer64;
      break;
    case R_X86_64.PC32:
    case R_X86_64.PC32_BND:
      kind = K.Delta32;
      break;
    case R_X86_64.PLT32:
    case R_X86_64.PLT32_BND:
      kind = K.BranchPCRel32ToPtrJumpStubBypassable;
      addend += 4;
      break;
    case R_X86_64.GOTPCREL:
    case R_X86_64.CODE_4_GOTPCRELX:
      kind = K.RequestGOTAndTransformToDelta32;
      break;
    case R_X86_64.GOTPCRELX:
      kind = K.RequestGOTAndTransformToPCRel32GOTLoadRelaxable;
      addend += 4;
      break;
    case R_X86_64.REX_GOTPCRELX:
      kind = K.RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable;
      addend += 4;
      break;
    case R_X86_64._32:
    case R_X86_64._32S:
      kind = type === R_X86_64._32 ? K.Pointer32 : K.Pointer32Signed;
      // Absolute 32-bit addresses of the graph's own content (-fno-pic code)
      // only fit if the graph's memory lies below 2 GiB: ask the memory
      // manager for that rather than failing every such fixup later.
      if (target.isDefined() && isAllocated(target.block) && isAllocated(block)) {
        graph.requiresLow32BitAddresses = true;
      }
      break;
    case R_X86_64._16:
      kind = K.Pointer16;
      break;
    case R_X86_64.PC16:
      kind = K.Delta16;
      break;
    case R_X86_64._8:
      kind = K.Pointer8;
      break;
    case R_X86_64.PC8:
      kind = K.Delta8;
      break;
    case R_X86_64.PC64:
      kind = K.Delta64;
      break;
    case R_X86_64.GOTOFF64:
      kind = K.Delta64FromGOT;
      break;
    case R_X86_64.GOTPC32:
      kind = K.Delta32;
      edgeTarget = gotBaseSymbol(graph, target);
      break;
    case R_X86_64.GOTPC64:
      kind = K.Delta64;
      edgeTarget = gotBaseSymbol(graph, target);
      break;
    case R_X86_64.GOT64:
    case R_X86_64.GOTPLT64:
      kind = K.RequestGOTAndTransformToDelta64FromGOT;
      break;
    case R_X86_64.GOTPCREL64:
      kind = K.RequestGOTAndTransformToDelta64;
      break;
    case R_X86_64.PLTOFF64:
      // L - GOT + A: the value is used in 64-bit arithmetic (movabs; add GOT;
      // call *), so the callee itself serves as its own PLT entry.
      kind = K.Delta64FromGOT;
      break;
    case R_X86_64.SIZE32:
      kind = K.Size32;
      break;
    case R_X86_64.SIZE64:
      kind = K.Size64;
      break;
    // Thread-local storage (elf/tls.ts builds the entries and lowers the values).
    case R_X86_64.TLSGD:
      kind = K.RequestTLSGDAndTransformToDelta32;
      break;
    case R_X86_64.TLSLD:
      kind = K.RequestTLSLDAndTransformToDelta32;
      break;
    case R_X86_64.GOTTPOFF:
    case R_X86_64.CODE_4_GOTTPOFF:
      kind = K.RequestGOTTPOffAndTransformToDelta32;
      break;
    case R_X86_64.GOTPC32_TLSDESC:
    case R_X86_64.CODE_4_GOTPC32_TLSDESC:
      kind = K.RequestTLSDescAndTransformToDelta32;
      break;
    case R_X86_64.DTPMOD64:
      kind = K.TLSModuleId64;
      break;
    case R_X86_64.DTPOFF32:
      kind = K.DTPOff32;
      break;
    case R_X86_64.DTPOFF64:
      kind = K.DTPOff64;
      break;
    case R_X86_64.TPOFF32:
      kind = K.TPOff32;
      break;
    case R_X86_64.TPOFF64:
      kind = K.TPOff64;
      break;
    default:
      throw new JITLinkError(
        'UnsupportedRelocation',
        `unsupported relocation type ${type} (${x86_64RelocationTypeName(type)}) at offset 0x${rel.offset.toString(16)} ` +
          `of ${block.section.name}`,
        { file: site.file, section: site.relocationSection, offset: site.entryOffset },
      );
  }
  // The patched field is as wide as the kind's (one table says both).
  const width = x86_64EdgeKindInfo(kind)!.width;
  if (block.isZeroFill() || offset < 0 || offset + width > block.size) {
    throw new JITLinkError(
      'MalformedObject',
      `${x86_64RelocationTypeName(type)} at offset 0x${rel.offset.toString(16)} patches ${width} bytes outside ` +
        `${block.section.name} (size 0x${block.size.toString(16)}${block.isZeroFill() ? ', no content' : ''})`,
      { file: site.file, section: site.relocationSection, offset: site.entryOffset },
    );
  }
  block.appendEdge(kind, offset, edgeTarget, addend);
}

const EH_FRAME_SECTION = '.eh_frame';

/** Adds the ELF/x86-64 default passes: eh-frame handling, GOT/stubs, relaxation. */
export function addElfX86_64Passes(_graph: LinkGraph, config: PassConfiguration): void {
  // Split .eh_frame into CIE/FDE records, complete their edges (FDEs kept
  // alive by their functions), and terminate the section for __register_frame.
  addEHFramePasses(config, EH_FRAME_SECTION, X86_64_EH_FRAME_OPTIONS);
  addX86_64Passes(config);
  config.postPrunePasses.push(buildX86_64TLSEntries);
  config.preFixupPasses.push(lowerX86_64TLSEdges);
}

/** ELF/x86-64 fixups and default passes. */
export const elfX86_64Target: LinkTarget = {
  applyFixup,
  addDefaultPasses: addElfX86_64Passes,
};

/** The x86-64 half of the ELF/x86-64 backend: pass it to `createElfBackend`. */
export const x86_64Elf: ElfArchSupport = {
  machine: EM_X86_64,
  arch: 'x86_64',
  packageName: '@jitlink/arch-x86-64',
  triple(bits, endianness) {
    if (bits !== 64 || endianness !== 'little') {
      throw new JITLinkError(
        'UnsupportedArchitecture',
        `${bits}-bit ${endianness}-endian x86-64 ELF objects (e.g. the x32 ABI) are not supported`,
      );
    }
    return 'x86_64-unknown-linux-gnu';
  },
  getEdgeKindName: getX86_64EdgeKindName,
  relocationTypeName: x86_64RelocationTypeName,
  addRelocationEdge: addX86_64RelocationEdge,
  target: elfX86_64Target,
  tools: x86_64Tools,
};
