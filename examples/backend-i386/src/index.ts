/**
 * An ELF/i386 backend for jitlink written against the public API of
 * @jitlink/core and @jitlink/elf alone: the worked example of
 * docs/BACKENDS.md. It links R_386_32, R_386_PC32 and R_386_PLT32 (to
 * targets a 32-bit displacement reaches, which in a 32-bit address space is
 * every target).
 */
import {
  EdgeKinds,
  JITLinkError,
  edgeKindNamer,
  formatAddress,
  registerBackend,
  type Block,
  type Edge,
  type LinkGraph,
  type LinkGraphBackend,
  type LinkTarget,
} from '@jitlink/core';
import {
  createElfBackend,
  type ElfArchSupport,
  type ElfRelocation,
  type ElfRelocationSite,
} from '@jitlink/elf';
import type { Symbol } from '@jitlink/core';

/** The architecture's edge kinds, numbered from core's FirstRelocation. */
export const I386EdgeKinds = {
  /** 32-bit absolute: S + A. */
  Pointer32: EdgeKinds.FirstRelocation,
  /** 32-bit PC-relative: S + A - P. */
  PCRel32: EdgeKinds.FirstRelocation + 1,
} as const;

export const getI386EdgeKindName = edgeKindNamer(['Pointer32', 'PCRel32']);

const R_386_32 = 1;
const R_386_PC32 = 2;
const R_386_PLT32 = 4;
const RELOCATION_NAMES: Record<number, string> = {
  [R_386_32]: 'R_386_32',
  [R_386_PC32]: 'R_386_PC32',
  [R_386_PLT32]: 'R_386_PLT32',
};

const EM_386 = 3;
const TWO_32 = 0x1_0000_0000;

/** The fixups: the one place that knows what an i386 edge means. */
export const i386Target: LinkTarget = {
  applyFixup(graph: LinkGraph, block: Block, edge: Edge, _content: Uint8Array, view: DataView): void {
    const fixupAddress = block.address + edge.offset;
    const target = edge.target.address + edge.addend;
    let value: number;
    if (edge.kind === I386EdgeKinds.Pointer32) {
      if (target < 0 || target >= TWO_32) {
        throw new JITLinkError(
          'FixupOutOfRange',
          `Pointer32 at ${formatAddress(fixupAddress)}: target ${formatAddress(target)} is outside the 32-bit address space`,
          { file: graph.name, section: block.section.name },
        );
      }
      value = target;
    } else if (edge.kind === I386EdgeKinds.PCRel32) {
      // Modulo 2^32: in a 32-bit address space every displacement reaches.
      value = (target - fixupAddress) >>> 0;
    } else {
      throw new JITLinkError(
        'UnsupportedRelocation',
        `unsupported edge kind ${getI386EdgeKindName(edge.kind)}`,
        {
          file: graph.name,
          section: block.section.name,
        },
      );
    }
    view.setUint32(edge.offset, value, true);
  },
};

/** ELF's view of i386: machine, relocation types → edge kinds, implicit addends (SHT_REL). */
export const i386Elf: ElfArchSupport = {
  machine: EM_386,
  arch: 'i386',
  packageName: '@jitlink/example-backend-i386',
  triple: () => 'i386-unknown-linux-gnu',
  getEdgeKindName: getI386EdgeKindName,
  relocationTypeName: (type) => RELOCATION_NAMES[type] ?? `R_386 type ${type}`,
  addRelocationEdge(rel: ElfRelocation, target: Symbol, site: ElfRelocationSite): void {
    let kind: number;
    if (rel.type === R_386_32) kind = I386EdgeKinds.Pointer32;
    else if (rel.type === R_386_PC32 || rel.type === R_386_PLT32) kind = I386EdgeKinds.PCRel32;
    else {
      throw new JITLinkError(
        'UnsupportedRelocation',
        `unsupported relocation ${i386Elf.relocationTypeName(rel.type)} at offset ${rel.offset}`,
        { file: site.file, section: site.relocationSection, offset: site.entryOffset },
      );
    }
    if (site.offsetInBlock + 4 > site.block.size) {
      throw new JITLinkError(
        'MalformedObject',
        `${i386Elf.relocationTypeName(rel.type)} patches past the end of its block`,
        {
          file: site.file,
          section: site.relocationSection,
          offset: site.entryOffset,
        },
      );
    }
    site.block.addEdge(kind, site.offsetInBlock, target, rel.addend);
  },
  readImplicitAddend(_type, content, offset) {
    // Every type this backend accepts stores a 32-bit little-endian addend.
    if (offset + 4 > content.length) return 0;
    return new DataView(content.buffer, content.byteOffset, content.byteLength).getInt32(offset, true);
  },
  target: i386Target,
};

/** The ELF/i386 backend, composed by @jitlink/elf. */
export const i386ElfBackend: LinkGraphBackend = createElfBackend(i386Elf);

/** Registers the backend with core's default registry, so createLinkGraph reads i386 ELF objects. */
export function registerI386Backend(): LinkGraphBackend {
  registerBackend(i386ElfBackend);
  return i386ElfBackend;
}
