/**
 * A CheckerContext built from linked graphs: record each graph in a
 * post-fixup pass (its content is then final, and this works the same for
 * simulated -noexec memory as for real memory).
 */
import { toBigInt } from '../address.js';
import type { Endianness, LinkGraph } from '../graph.js';
import type { CheckerContext, InstructionDecoder } from './types.js';

/** GOT entries and stubs of one graph, keyed by target symbol name. */
export interface GraphCheckTables {
  gotEntries?: ReadonlyMap<string, bigint>;
  stubs?: ReadonlyMap<string, bigint>;
}

interface FileInfo {
  sections: Map<string, bigint>;
  gotEntries: ReadonlyMap<string, bigint>;
  stubs: ReadonlyMap<string, bigint>;
}

interface MemoryRange {
  start: bigint;
  end: bigint;
  /** null for zero-fill. */
  bytes: Uint8Array | null;
}

/** The name check files use for a graph: the last path component, as llvm-jitlink does. */
export function checkFileNameOfGraph(graphName: string): string {
  const slash = Math.max(graphName.lastIndexOf('/'), graphName.lastIndexOf('\\'));
  return graphName.slice(slash + 1);
}

/**
 * A jitlink-check context over linked graphs: symbol addresses, section and GOT/stub entries from
 * each graph (its `GraphCheckTables`), and memory read from their blocks.
 */
export class LinkedGraphsCheckerContext implements CheckerContext {
  endianness: Endianness = 'little';
  decoder: InstructionDecoder | undefined;
  nextPCBias: bigint | undefined;
  private readonly symbols = new Map<string, bigint>();
  private readonly files = new Map<string, FileInfo>();
  private readonly memory: MemoryRange[] = [];
  private sorted = true;
  private graphCount = 0;

  constructor(options: { endianness?: Endianness; decoder?: InstructionDecoder; nextPCBias?: bigint } = {}) {
    if (options.endianness !== undefined) this.endianness = options.endianness;
    this.decoder = options.decoder;
    this.nextPCBias = options.nextPCBias;
  }

  /** Records a graph after fixups: named and absolute symbols, sections, block contents (copied). */
  recordGraph(graph: LinkGraph, tables: GraphCheckTables = {}): void {
    if (this.graphCount++ === 0) this.endianness = graph.endianness;
    const sections = new Map<string, bigint>();
    for (const section of graph.sections()) {
      if (section.blocks.size === 0) continue;
      sections.set(section.name, toBigInt(section.range().start));
      for (const block of section.blocks) {
        // Empty blocks (such as the GOT base) hold no bytes and would only confuse the search.
        if (block.size === 0) continue;
        const start = toBigInt(block.address);
        this.memory.push({ start, end: start + BigInt(block.size), bytes: block.isZeroFill() ? null : block.getContent().slice() });
      }
    }
    this.sorted = false;
    for (const sym of graph.absoluteSymbols()) if (sym.name !== undefined) this.symbols.set(sym.name, toBigInt(sym.address));
    for (const sym of graph.definedSymbols()) if (sym.name !== undefined) this.symbols.set(sym.name, toBigInt(sym.address));
    const name = checkFileNameOfGraph(graph.name);
    const info: FileInfo = { sections, gotEntries: tables.gotEntries ?? new Map(), stubs: tables.stubs ?? new Map() };
    this.files.set(name, info);
    if (name !== graph.name) this.files.set(graph.name, info);
  }

  /** Makes a symbol defined outside the recorded graphs (e.g. an absolute definition) known to checks. */
  defineSymbol(name: string, address: bigint): void {
    if (!this.symbols.has(name)) this.symbols.set(name, address);
  }

  symbolAddress(name: string): bigint | undefined {
    return this.symbols.get(name);
  }

  contentAt(address: bigint): Uint8Array | undefined {
    if (!this.sorted) {
      this.memory.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      this.sorted = true;
    }
    let lo = 0;
    let hi = this.memory.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const range = this.memory[mid]!;
      if (address < range.start) hi = mid - 1;
      else if (address >= range.end) lo = mid + 1;
      else {
        const offset = Number(address - range.start);
        return range.bytes === null ? new Uint8Array(Number(range.end - address)) : range.bytes.subarray(offset);
      }
    }
    return undefined;
  }

  gotEntryAddress(file: string, target: string): bigint | undefined {
    return this.files.get(file)?.gotEntries.get(target);
  }

  stubAddress(file: string, target: string, kind?: string): bigint | undefined {
    if (kind !== undefined && kind !== '') return undefined;
    return this.files.get(file)?.stubs.get(target);
  }

  sectionAddress(file: string, section: string): bigint | undefined {
    return this.files.get(file)?.sections.get(section);
  }

  /** Names of the recorded files, for messages. */
  fileNames(): string[] {
    return [...this.files.keys()];
  }
}
