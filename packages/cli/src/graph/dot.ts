/**
 * Graphviz DOT for a LinkGraph: sections as clusters, blocks as boxes
 * (address, size, alignment, symbols), edges as arrows labelled with kind,
 * fixup offset and addend; external and absolute targets as separate nodes.
 * Filters keep large graphs legible. Pure string work (platform-neutral).
 */
import type { LinkGraph } from '@jitlink/core';
import { describeGraph, type BlockDescription, type GraphDescription, type OutsideSymbolDescription } from './model.js';

export interface DotOptions {
  /** Only blocks of sections whose name matches. */
  section?: RegExp;
  /** Only blocks with a symbol whose name matches, plus the blocks their edges target. */
  symbol?: RegExp;
  /** Hide blocks that have no drawn edges and no (matching) named symbol. */
  collapse?: boolean;
  /** Symbols listed per block before "… and N more". */
  maxSymbolsPerBlock?: number;
}

export interface DotResult {
  dot: string;
  /** Drawn nodes: blocks plus external/absolute symbols. */
  nodeCount: number;
  edgeCount: number;
  blockCount: number;
}

/** Quotes a string for DOT (labels use \l line ends, added by the caller). */
function quote(text: string): string {
  return '"' + text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

/** Escapes a label line; lines are joined with \l (left-justified). */
function labelLines(lines: readonly string[]): string {
  return '"' + lines.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\l') + '\\l"';
}

function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

function signedHex(n: number): string {
  return n < 0 ? `- ${hex(-n)}` : `+ ${hex(n)}`;
}

/** Picks the blocks and edges to draw. */
function select(desc: GraphDescription, options: DotOptions) {
  const all = desc.sections.flatMap((s) => s.blocks);
  const byId = new Map(all.map((b) => [b.id, b]));
  let kept = all.filter((b) => !options.section || options.section.test(b.section));
  const keptIds = new Set(kept.map((b) => b.id));
  if (options.symbol) {
    const re = options.symbol;
    const matched = kept.filter((b) => b.symbols.some((s) => s.name !== null && re.test(s.name)));
    const ids = new Set(matched.map((b) => b.id));
    for (const b of matched) for (const e of b.edges) if (keptIds.has(e.target)) ids.add(e.target);
    kept = kept.filter((b) => ids.has(b.id));
  }
  let ids = new Set(kept.map((b) => b.id));
  const drawnEdges = (blocks: BlockDescription[], idSet: Set<string>) =>
    blocks.flatMap((b) => b.edges.filter((e) => idSet.has(e.target) || e.target.startsWith('x')).map((e) => ({ from: b.id, edge: e })));
  if (options.collapse) {
    const edges = drawnEdges(kept, ids);
    const touched = new Set<string>();
    for (const { from, edge } of edges) {
      touched.add(from);
      touched.add(edge.target);
    }
    const re = options.symbol;
    kept = kept.filter((b) => touched.has(b.id) || b.symbols.some((s) => s.name !== null && (!re || re.test(s.name))));
    ids = new Set(kept.map((b) => b.id));
  }
  const edges = drawnEdges(kept, ids);
  const outsideUsed = new Set(edges.map((e) => e.edge.target).filter((t) => t.startsWith('x')));
  const outside = desc.outside.filter((o) => outsideUsed.has(o.id));
  return { kept, edges, outside, byId };
}

function blockLabel(b: BlockDescription, maxSymbols: number): string {
  const lines = [
    `${b.address}  size ${hex(b.size)}${b.zeroFill ? ' (zero-fill)' : ''}`,
    `align ${b.alignment}${b.alignmentOffset ? ` + ${b.alignmentOffset}` : ''}`,
  ];
  const named = b.symbols;
  for (const s of named.slice(0, maxSymbols)) {
    const attrs = [s.scope, s.linkage === 'weak' ? 'weak' : '', s.callable ? 'callable' : ''].filter(Boolean).join(', ');
    lines.push(`${s.name ?? '<anonymous>'} @ ${hex(s.offset)} (${attrs})`);
  }
  if (named.length > maxSymbols) lines.push(`... and ${named.length - maxSymbols} more symbols`);
  return labelLines(lines);
}

function outsideLabel(o: OutsideSymbolDescription): string {
  const name = o.name ?? '<anonymous>';
  return quote(o.kind === 'absolute' ? `absolute ${name}\n= ${o.address}` : `external ${name}${o.linkage === 'weak' ? ' (weak)' : ''}`);
}

/** Renders the graph's description as DOT. */
export function descriptionToDot(desc: GraphDescription, options: DotOptions = {}): DotResult {
  const maxSymbols = options.maxSymbolsPerBlock ?? 8;
  const { kept, edges, outside } = select(desc, options);
  const keptBySection = new Map<string, BlockDescription[]>();
  for (const b of kept) {
    let list = keptBySection.get(b.section);
    if (!list) keptBySection.set(b.section, (list = []));
    list.push(b);
  }
  const out: string[] = [
    `digraph ${quote(desc.name)} {`,
    `  label=${quote(`${desc.name} (${desc.triple})`)};`,
    '  labelloc=t; rankdir=LR; fontname="monospace";',
    '  node [shape=box, fontname="monospace", fontsize=10];',
    '  edge [fontname="monospace", fontsize=9];',
  ];
  let clusterIndex = 0;
  for (const section of desc.sections) {
    const blocks = keptBySection.get(section.name);
    if (!blocks) continue;
    out.push(`  subgraph cluster_${clusterIndex++} {`);
    out.push(`    label=${quote(`section ${section.name} (${section.prot})`)}; style=rounded; color="#7a869a";`);
    for (const b of blocks) {
      const names = b.symbols.map((s) => s.name).filter((n): n is string => n !== null);
      out.push(`    ${b.id} [id=${quote(b.id)}, label=${blockLabel(b, maxSymbols)}, tooltip=${quote(names.join(' ') || b.address)}];`);
    }
    out.push('  }');
  }
  for (const o of outside) {
    const shape = o.kind === 'absolute' ? 'diamond' : 'ellipse';
    out.push(`  ${o.id} [id=${quote(o.id)}, shape=${shape}, style=dashed, label=${outsideLabel(o)}, tooltip=${quote(o.name ?? '')}];`);
  }
  for (const { from, edge } of edges) {
    const label = `@${hex(edge.offset)} ${edge.kind} ${edge.targetName}${edge.targetOffset ? `(${hex(edge.targetOffset)})` : ''} ${signedHex(edge.addend)}`;
    out.push(`  ${from} -> ${edge.target} [label=${quote(label)}];`);
  }
  out.push('}');
  return { dot: out.join('\n') + '\n', nodeCount: kept.length + outside.length, edgeCount: edges.length, blockCount: kept.length };
}

/** Renders `graph` as DOT. */
export function linkGraphToDot(graph: LinkGraph, options: DotOptions = {}): DotResult {
  return descriptionToDot(describeGraph(graph), options);
}
