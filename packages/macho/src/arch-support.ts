/**
 * The contract between the generic MachO builder (this package) and an
 * architecture package. The MachO package reads containers and finds
 * relocation targets; the architecture package says what each relocation
 * type means and which edge it becomes.
 */
import type { BackendTools, Block, EdgeKindNamer, LinkGraph, LinkTarget, Symbol } from '@jitlink/core';
import type { MachORawRelocation } from './read/file.js';

export type MachORelocation = MachORawRelocation;

/** Where a relocation is, and how to find what it refers to. */
export interface MachORelocationContext {
  graph: LinkGraph;
  file: string;
  /** Graph name of the section the relocation patches ("__TEXT,__text"). */
  sectionName: string;
  /** The block holding the patched bytes, and their offset in it. */
  block: Block;
  offsetInBlock: number;
  /** Object address of the patched bytes. */
  fixupAddress: number;
  /** The symbol-table entry an extern relocation names. */
  symbolByIndex(index: number, rel: MachORelocation): Symbol;
  /**
   * The symbol covering `address` in the section with 1-based `ordinal` (what a
   * non-extern relocation's r_symbolnum names): relocations without a symbol are
   * resolved by address, as a static linker does.
   */
  symbolByAddress(ordinal: number, address: number, rel: MachORelocation): Symbol;
  /** A MalformedObject error naming the file, the relocation section and the entry's offset. */
  error(rel: MachORelocation, detail: string): never;
}

export interface MachOArchSupport {
  /** cputype handled (e.g. CPU_TYPE_X86_64). */
  readonly cpuType: number;
  /** Architecture name as MachO tools spell it ("x86_64", "arm64"). */
  readonly arch: string;
  /** Packages providing this support, for messages. */
  readonly packageName: string;
  /** Triple for graphs of this architecture ("x86_64-apple-macosx"). */
  triple(platform: string | undefined, minOS: string | undefined): string;
  readonly getEdgeKindName: EdgeKindNamer;
  /** Printable name of a relocation type, e.g. "X86_64_RELOC_BRANCH". */
  relocationTypeName(type: number): string;
  /**
   * Adds the edge for `relocations[index]` (and its partner, for pairs such as
   * SUBTRACTOR + UNSIGNED) and returns how many entries it consumed (1 or 2).
   * Throws a JITLinkError for relocations it cannot handle.
   */
  addRelocationEdges(relocations: readonly MachORelocation[], index: number, context: MachORelocationContext): number;
  /** Fixups and default passes (GOT/stub builders, relaxation, eh-frame handling). */
  readonly target: LinkTarget;
  /** What the architecture supplies to tools (decoder, table lookup...): copied onto the backend, so its members must not rely on `this`. */
  readonly tools?: BackendTools;
}
