/**
 * The contract between the generic ELF builder (this package) and an
 * architecture package. The ELF package reads containers; the architecture
 * package says what each relocation type means.
 */
import type { BackendTools, Block, EdgeKindNamer, Endianness, LinkGraph, LinkTarget, Symbol } from '@jitlink/core';

/** One relocation entry, decoded from SHT_RELA or SHT_REL. */
export interface ElfRelocation {
  /** r_type. */
  type: number;
  /** r_offset: offset of the patched bytes within the target section. */
  offset: number;
  /** r_sym: index into the symbol table (0 = no symbol). */
  symbolIndex: number;
  /** r_addend for SHT_RELA; for SHT_REL, the implicit addend read by `readImplicitAddend`. */
  addend: number;
}

/** Where a relocation is, for error messages and for edge creation. */
export interface ElfRelocationSite {
  graph: LinkGraph;
  /** The block holding the patched bytes. */
  block: Block;
  /** Offset of the patched bytes within `block`. */
  offsetInBlock: number;
  /** File name, relocation section name and the byte offset of the entry, for errors. */
  file: string;
  relocationSection: string;
  entryOffset: number;
}

export interface ElfArchSupport {
  /** e_machine value handled (e.g. 62 for EM_X86_64). */
  readonly machine: number;
  /** LLVM architecture name, e.g. "x86_64". */
  readonly arch: string;
  /** Packages providing this support, for messages, e.g. "@jitlink/arch-x86-64". */
  readonly packageName: string;
  /** Triple for a graph built from an object of this machine. */
  triple(bits: 32 | 64, endianness: Endianness): string;
  readonly getEdgeKindName: EdgeKindNamer;
  /** Printable name of a relocation type, e.g. "R_X86_64_PC32". */
  relocationTypeName(type: number): string;
  /**
   * Adds the edge(s) for one relocation to `site.block` targeting `target`.
   * Throws a JITLinkError ('UnsupportedRelocation' or 'UnsupportedFeature') for
   * relocations it cannot handle, naming the type, file, section and offset.
   */
  addRelocationEdge(rel: ElfRelocation, target: Symbol, site: ElfRelocationSite): void;
  /** For SHT_REL: the addend stored in the patched bytes. */
  readImplicitAddend?(type: number, content: Uint8Array, offset: number, endianness: Endianness): number;
  /** Fixups and default passes (GOT/PLT builders, relaxation, eh-frame handling). */
  readonly target: LinkTarget;
  /** What the architecture supplies to tools (decoder, table lookup...): copied onto the backend, so its members must not rely on `this`. */
  readonly tools?: BackendTools;
}
