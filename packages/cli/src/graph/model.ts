/**
 * A plain, JSON-ready description of a LinkGraph: what --json prints for
 * -show-graphs and what the DOT renderer draws. Platform-neutral.
 */
import { formatAddress, Linkage, MemProt, Scope, type Block, type LinkGraph, type Symbol } from '@jitlink/core';

export interface SymbolDescription {
  name: string | null;
  /** Offset in its block (defined symbols). */
  offset: number;
  size: number;
  linkage: 'strong' | 'weak';
  scope: 'default' | 'hidden' | 'local';
  callable: boolean;
  live: boolean;
}

export interface EdgeDescription {
  /** Offset of the fixup in its block. */
  offset: number;
  kind: string;
  addend: number;
  /** Target: a block id ("b<N>"), or an external/absolute symbol id ("x<N>"). */
  target: string;
  /** The target symbol's name (or "<anonymous>" with its block offset). */
  targetName: string;
  /** Offset of the target symbol within its block (0 for externals/absolutes). */
  targetOffset: number;
}

export interface BlockDescription {
  id: string;
  section: string;
  address: string;
  size: number;
  alignment: number;
  alignmentOffset: number;
  zeroFill: boolean;
  symbols: SymbolDescription[];
  edges: EdgeDescription[];
}

export interface SectionDescription {
  name: string;
  prot: string;
  ordinal: number;
  blocks: BlockDescription[];
}

export interface OutsideSymbolDescription {
  id: string;
  name: string | null;
  kind: 'external' | 'absolute';
  /** Address of an absolute symbol (or the resolved address of an external, if known). */
  address: string;
  linkage: 'strong' | 'weak';
}

export interface GraphDescription {
  name: string;
  triple: string;
  pointerSize: number;
  endianness: string;
  sections: SectionDescription[];
  /** External and absolute symbols that edges (or the graph) refer to. */
  outside: OutsideSymbolDescription[];
}

function protText(prot: MemProt): string {
  return `${prot & MemProt.Read ? 'R' : '-'}${prot & MemProt.Write ? 'W' : '-'}${prot & MemProt.Exec ? 'X' : '-'}`;
}

function scopeText(scope: Scope): SymbolDescription['scope'] {
  return scope === Scope.Local ? 'local' : scope === Scope.Hidden ? 'hidden' : 'default';
}

function describeSymbol(sym: Symbol): SymbolDescription {
  return {
    name: sym.name ?? null,
    offset: sym.offset,
    size: sym.size,
    linkage: sym.linkage === Linkage.Weak ? 'weak' : 'strong',
    scope: scopeText(sym.scope),
    callable: sym.callable,
    live: sym.live,
  };
}

/** Describes every section, block, symbol and edge of `graph`, in address order. */
export function describeGraph(graph: LinkGraph): GraphDescription {
  const blockIds = new Map<Block, string>();
  const outsideIds = new Map<Symbol, string>();
  const outside: OutsideSymbolDescription[] = [];
  const sections = [...graph.sections()].sort((a, b) => a.ordinal - b.ordinal);
  for (const section of sections) {
    for (const block of [...section.blocks].sort((a, b) => a.address - b.address)) blockIds.set(block, `b${blockIds.size}`);
  }
  const outsideId = (sym: Symbol): string => {
    let id = outsideIds.get(sym);
    if (id === undefined) {
      id = `x${outsideIds.size}`;
      outsideIds.set(sym, id);
      outside.push({
        id,
        name: sym.name ?? null,
        kind: sym.isAbsolute() ? 'absolute' : 'external',
        address: formatAddress(sym.address),
        linkage: sym.linkage === Linkage.Weak ? 'weak' : 'strong',
      });
    }
    return id;
  };
  for (const sym of graph.externalSymbols()) outsideId(sym);
  for (const sym of graph.absoluteSymbols()) outsideId(sym);

  const described: SectionDescription[] = sections.map((section) => {
    const symbolsByBlock = new Map<Block, Symbol[]>();
    for (const sym of section.symbols) {
      let list = symbolsByBlock.get(sym.block);
      if (!list) symbolsByBlock.set(sym.block, (list = []));
      list.push(sym);
    }
    const blocks = [...section.blocks].sort((a, b) => a.address - b.address);
    return {
      name: section.name,
      prot: protText(section.prot),
      ordinal: section.ordinal,
      blocks: blocks.map((block) => ({
        id: blockIds.get(block)!,
        section: section.name,
        address: formatAddress(block.address),
        size: block.size,
        alignment: block.alignment,
        alignmentOffset: block.alignmentOffset,
        zeroFill: block.isZeroFill(),
        symbols: (symbolsByBlock.get(block) ?? [])
          .sort((a, b) => a.offset - b.offset || (a.name ?? '').localeCompare(b.name ?? ''))
          .map(describeSymbol),
        edges: [...block.edges]
          .sort((a, b) => a.offset - b.offset)
          .map((edge) => {
            const t = edge.target;
            const inGraph = t.isDefined() && !t.isAbsolute() && blockIds.has(t.block);
            return {
              offset: edge.offset,
              kind: graph.getEdgeKindName(edge.kind),
              addend: edge.addend,
              target: inGraph ? blockIds.get(t.block)! : outsideId(t),
              targetName: t.name ?? `<anonymous+0x${t.offset.toString(16)}>`,
              targetOffset: inGraph ? t.offset : 0,
            };
          }),
      })),
    };
  });
  return { name: graph.name, triple: graph.triple, pointerSize: graph.pointerSize, endianness: graph.endianness, sections: described, outside };
}
