/**
 * What the jitlink command adds around a link, as llvm-jitlink does:
 * -sectcreate graphs, -hidden-l/-load_hidden archives, -add-self-relocations,
 * -show-sizes, -show-relocated-section-contents and -show-init-es/-show-entry-es.
 */
import {
  formatAddress,
  JITLinkError,
  LinkGraph,
  Linkage,
  MemProt,
  Scope,
  type BackendRegistry,
  type LinkGraphPass,
} from '@jitlink/core';
import { hideGraphDefinitions, SymbolState, type ExecutionSession } from '@jitlink/orc';
import type { SectCreateSpec } from './options.js';

// ---- -sectcreate ----

/**
 * A graph holding one read-only section with `content`, and the requested
 * symbols at offsets in it (llvm-jitlink names the graph orc_sectcreate_<section>).
 */
export function sectCreateGraph(spec: SectCreateSpec, content: Uint8Array, triple: string, registry: BackendRegistry): LinkGraph {
  // Pointer size, byte order and edge-kind names of the triple, as its backend gives them.
  const format = registry.forTriple(triple)?.graphFormat?.(triple);
  if (format === undefined) {
    throw new JITLinkError('MissingBackend', `-sectcreate ${spec.section}: no registered backend gives the graph format of ${triple}`);
  }
  const graph = new LinkGraph({ name: `orc_sectcreate_${spec.section}`, triple, ...format });
  const section = graph.createSection(spec.section, MemProt.Read);
  const block = graph.createContentBlock(section, content, 0, 16, 0);
  // An anonymous symbol spanning the content keeps it live and visible to -show-relocated-section-contents.
  graph.addAnonymousSymbol(block, 0, content.length, false, true);
  for (const { name, offset } of spec.symbols) {
    if (offset > content.length) {
      throw new JITLinkError('InvalidArgument', `In -sectcreate, symbol ${name} offset ${offset} is past the end of ${spec.file} (${content.length} bytes)`);
    }
    graph.addDefinedSymbol(block, offset, name, 0, Linkage.Strong, Scope.Default, false, true);
  }
  return graph;
}

// ---- -hidden-l / -load_hidden ----

/** Raises every non-local definition's scope to hidden (as llvm-jitlink's hidden-library modifier). */
export const makeDefinitionsHidden: (graph: LinkGraph) => void = hideGraphDefinitions;

// ---- -add-self-relocations ----

/**
 * A pass giving a function's unrelocated references to itself an edge, so
 * that a pointer a function forms to itself follows the symbol (best effort,
 * as in LLVM). The graph's backend does it; architectures whose objects
 * already carry these relocations have nothing to add.
 */
export function addSelfRelocations(registry: BackendRegistry): LinkGraphPass {
  return (graph) => registry.forTriple(graph.triple, graph.format)?.addSelfRelocations?.(graph);
}

// ---- -show-sizes ----

export class SizeStats {
  beforePruning = 0;
  afterFixups = 0;

  static total(graph: LinkGraph): number {
    let total = 0;
    for (const b of graph.blocks()) total += b.size;
    return total;
  }

  text(): string {
    return `  Total size of all blocks before pruning: ${this.beforePruning}\n  Total size of all blocks after fixups: ${this.afterFixups}\n`;
  }
}

// ---- -show-relocated-section-contents ----

const DUMP_WIDTH = 16;

/** llvm-jitlink prints dump addresses as 0x with unpadded lower-case hex. */
function addressText(address: number): string {
  return formatAddress(address).replace(/^0x0*(?=.)/, '0x');
}

/** The sections of a graph in address order (sections without symbols last), as llvm-jitlink orders them. */
function sectionsInAddressOrder(graph: LinkGraph) {
  return [...graph.sections()].sort((a, b) => {
    if (a.symbols.size === 0 || b.symbols.size === 0) return (a.symbols.size === 0 ? 1 : 0) - (b.symbols.size === 0 ? 1 : 0);
    return a.range().start - b.range().start;
  });
}

/**
 * Every section's final bytes, 16 per line, in llvm-jitlink's layout: the
 * bytes covered by the section's symbols, in address order, with gaps blank.
 */
export function relocatedSectionContents(graph: LinkGraph): string {
  const out: string[] = [`Relocated section contents for ${graph.name}:\n`];
  for (const section of sectionsInAddressOrder(graph)) {
    out.push(`${section.name} content:`);
    if (section.symbols.size === 0) {
      out.push('\n  section empty\n');
      continue;
    }
    const syms = [...section.symbols].sort((a, b) => a.address - b.address);
    let next = syms[0]!.address - (syms[0]!.address % DUMP_WIDTH);
    for (const sym of syms) {
      const symStart = sym.address;
      const symEnd = symStart + sym.size;
      const content = sym.block.isZeroFill() ? undefined : sym.block.getContent();
      while (next < symStart) {
        if (next % DUMP_WIDTH === 0) out.push(`\n${addressText(next)}:`);
        out.push('   ');
        next++;
      }
      // Overlapping symbols: continue from where the previous one ended.
      while (next < symEnd) {
        if (next % DUMP_WIDTH === 0) out.push(`\n${addressText(next)}:`);
        const byte = content ? content[next - sym.block.address]! : 0;
        out.push(' ' + byte.toString(16).padStart(2, '0'));
        next++;
      }
    }
    out.push('\n');
  }
  return out.join('');
}

/** Machine-readable section contents: each block's final bytes as hex. */
export function relocatedSectionContentsJson(graph: LinkGraph) {
  return {
    graph: graph.name,
    sections: sectionsInAddressOrder(graph).map((s) => ({
      name: s.name,
      blocks: [...s.blocks]
        .sort((a, b) => a.address - b.address)
        .map((b) => ({ address: formatAddress(b.address), size: b.size, content: b.isZeroFill() ? null : Buffer.from(b.getContent()).toString('hex') })),
    })),
  };
}

// ---- -show-init-es / -show-entry-es ----

export interface SymbolStateJson {
  name: string;
  address: string | null;
  state: string;
  flags: string[];
  definedBy: string | null;
}

export interface DylibStateJson {
  dylib: string;
  linkOrder: string[];
  symbols: SymbolStateJson[];
}

function flagWords(flags: { hidden: boolean; weak: boolean; callable: boolean; common?: unknown }): string[] {
  return [flags.callable ? 'Callable' : 'Data', flags.hidden ? 'Hidden' : 'Exported', ...(flags.weak ? ['Weak'] : []), ...(flags.common ? ['Common'] : [])];
}

/** The session's dylibs and their symbols, with states and (once resolved) addresses. */
export function sessionState(session: ExecutionSession): DylibStateJson[] {
  return session.jitDylibs.map((d) => ({
    dylib: d.name,
    linkOrder: d.linkOrder.map((l) => l.name),
    symbols: [...d.symbols.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((e) => ({
        name: e.name,
        address: e.state >= SymbolState.Resolved ? formatAddress(e.address) : null,
        state: SymbolState[e.state]!,
        flags: flagWords(e.flags),
        definedBy: e.record ? e.record.unit.name : null,
      })),
  }));
}

/** The session state as text, in the spirit of LLVM's ExecutionSession::dump. */
export function sessionStateText(session: ExecutionSession): string {
  const out: string[] = [];
  for (const d of sessionState(session)) {
    out.push(`JITDylib "${d.dylib}"`);
    out.push(`Link order: [ ${d.linkOrder.map((n) => `"${n}"`).join(', ')} ]`);
    out.push('Symbol table:');
    for (const s of d.symbols) {
      out.push(`    "${s.name}": ${s.address ?? '<not resolved>'} [${s.flags.join(', ')}] ${s.state}${s.definedBy ? ` (${s.definedBy})` : ' (absolute)'}`);
    }
  }
  return out.join('\n') + '\n';
}
