/**
 * The contract between the generic COFF builder (this package) and an
 * architecture package: the COFF package reads containers, the architecture
 * says what each IMAGE_REL_<arch>_* type means.
 */
import type { BackendTools, Block, EdgeKindNamer, LinkGraph, LinkTarget, Section, Symbol } from '@jitlink/core';

/** One relocation entry (COFF relocations carry no addend: it is in the patched bytes). */
export interface CoffRelocation {
  type: number;
  /** Offset of the patched bytes within the section. */
  offset: number;
  symbolIndex: number;
}

export interface CoffRelocationSite {
  graph: LinkGraph;
  block: Block;
  offsetInBlock: number;
  /** File name, section name and the file offset of the entry, for errors. */
  file: string;
  section: string;
  entryOffset: number;
  /**
   * True when the relocation's symbol is `__imp_<name>` and nothing in the
   * object defines it: `target` is then `<name>` itself, and the reference
   * reads its address from an import address table entry the architecture's
   * table pass makes (its GOT).
   */
  throughImportTable: boolean;
}

export interface CoffArchSupport {
  /** IMAGE_FILE_MACHINE_* value handled (0x8664 for AMD64). */
  readonly machine: number;
  /** LLVM architecture name, e.g. "x86_64". */
  readonly arch: string;
  /** Packages providing this support, for messages. */
  readonly packageName: string;
  /** Triple of graphs built from objects of this machine. */
  readonly triple: string;
  readonly pointerSize: 4 | 8;
  readonly getEdgeKindName: EdgeKindNamer;
  /** "IMAGE_REL_AMD64_REL32" for its number. */
  relocationTypeName(type: number): string;
  /**
   * Adds the edge for one relocation (reading the implicit addend from the
   * block's content). Throws a JITLinkError naming type, file, section and
   * offset for a relocation it rejects.
   */
  addRelocationEdge(rel: CoffRelocation, target: Symbol, site: CoffRelocationSite): void;
  /** The bytes of a function that returns at once (for runtime hooks such as mingw's `__main`). */
  readonly returnInstruction: Uint8Array;
  /**
   * Where COFF code runs on a host of another calling convention (x86-64
   * Linux): adds to `section` a function `name` that the host calls with its
   * own convention and that calls `target` with the COFF one.
   */
  addHostEntryBridge?(graph: LinkGraph, section: Section, target: Symbol, name: string): Symbol;
  /** The other way: adds to `section` a thunk COFF code calls to call the host function `target`. */
  addHostCallThunk?(graph: LinkGraph, section: Section, target: Symbol): Symbol;
  /**
   * Before fixups: rewrites a thunk addHostCallThunk made into a plain jump
   * to its target, which turned out to be COFF code (an archive member
   * loaded when the graph's externals were looked up).
   */
  bypassHostCallThunk?(graph: LinkGraph, thunk: Symbol): void;
  /** Fixups and the architecture's default passes (tables, COFF edge lowering). */
  readonly target: LinkTarget;
  readonly tools?: BackendTools;
}
