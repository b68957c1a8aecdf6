/**
 * Graphviz DOT for a LinkGraph: sections as clusters, blocks as boxes
 * (address, size, alignment, symbols), edges as arrows labelled with kind,
 * fixup offset and addend; external and absolute targets as separate nodes.
 * The edges from one block to one target are drawn as a single arrow with a
 * count. Filters keep large graphs legible. Pure string work (platform-neutral).
 */
import type { LinkGraph } from '@jitlink/core';
import { describeGraph, type BlockDescription, type EdgeDescription, type GraphDescription, type OutsideSymbolDescription } from './model.js';

/**
 * The one font of every label. Graphviz (and so @viz-js/viz, which has no
 * system fonts) sizes text from built-in metrics it has only for Times,
 * Helvetica/Arial and Courier; any other name is measured as Times, so a
 * monospace font drawn by the browser came out ~30% wider than its box. With
 * "Courier" the SVG says font-family="Courier,monospace", and every monospace
 * font (Courier New, Liberation Mono, DejaVu Sans Mono, Menlo) advances
 * 0.6 em per character, as Graphviz assumes.
 */
export const GRAPH_FONT = 'Courier';

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

/** An edge of the picture, and the arrow that draws it. */
export interface DrawnEdge {
  /** Id of the block the edge belongs to ("b<N>"). */
  from: string;
  /** The source block in words: its first named symbol, or its address, and its section. */
  fromName: string;
  edge: EdgeDescription;
  /** SVG id of the arrow (one per source and target node; shared by parallel edges). */
  arrow: string;
}

export interface DotResult {
  dot: string;
  /** Drawn nodes: blocks plus external/absolute symbols. */
  nodeCount: number;
  /** Edges drawn: each is counted, though parallel ones share an arrow. */
  edgeCount: number;
  /** Arrows drawn: one per source block and target node. */
  arrowCount: number;
  blockCount: number;
  /** Every drawn edge, in arrow order (the HTML page lists them). */
  edges: DrawnEdge[];
}

/** Quotes a string for DOT (labels use \l line ends, added by the caller). */
function quote(text: string): string {
  return '"' + text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

/** Escapes a label line; lines are joined with \l (left-justified). */
function labelLines(lines: readonly string[]): string {
  return '"' + lines.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\l') + '\\l"';
}

export function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

export function signedHex(n: number): string {
  return n < 0 ? `- ${hex(-n)}` : `+ ${hex(n)}`;
}

/** The target symbol, with its offset in its block when not 0. */
export function edgeTargetText(edge: EdgeDescription): string {
  return `${edge.targetName}${edge.targetOffset ? `(${hex(edge.targetOffset)})` : ''}`;
}

/** `@<fixup offset> <kind> <target> ± <addend>`: one edge in words. */
export function edgeText(edge: EdgeDescription): string {
  return `@${hex(edge.offset)} ${edge.kind} ${edgeTargetText(edge)} ${signedHex(edge.addend)}`;
}

/**
 * `<n> edges (<kind> ×<count>, <kind>, ...)`: the label of an arrow drawing
 * several edges, kinds by count (a count only when a kind is one of several
 * and occurs more than once).
 */
function bundleText(edges: readonly EdgeDescription[]): string {
  const kinds = new Map<string, number>();
  for (const e of edges) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  const byCount = [...kinds].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = byCount.slice(0, 3).map(([kind, n]) => (byCount.length === 1 || n === 1 ? kind : `${kind} ×${n}`));
  if (byCount.length > 3) shown.push(`${byCount.length - 3} more kinds`);
  return `${edges.length} edges (${shown.join(', ')})`;
}

function blockName(b: BlockDescription): string {
  const named = b.symbols.find((s) => s.name !== null);
  return `${named ? named.name : b.address} (${b.section})`;
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
  const { kept, edges, outside, byId } = select(desc, options);
  const keptBySection = new Map<string, BlockDescription[]>();
  for (const b of kept) {
    let list = keptBySection.get(b.section);
    if (!list) keptBySection.set(b.section, (list = []));
    list.push(b);
  }
  const out: string[] = [
    `digraph ${quote(desc.name)} {`,
    `  label=${quote(`${desc.name} (${desc.triple})`)};`,
    // Margins: 10pt beside and 5pt above and below node text, and room
    // between ranks and nodes for the edge labels placed there. newrank ranks
    // all nodes at once rather than cluster by cluster: two blocks referring to
    // each other otherwise share a rank, and their arrows' labels one place.
    `  labelloc=t; rankdir=LR; newrank=true; fontname="${GRAPH_FONT}"; nodesep=0.3; ranksep=0.6;`,
    `  node [shape=box, fontname="${GRAPH_FONT}", fontsize=10, margin="0.14,0.07"];`,
    `  edge [fontname="${GRAPH_FONT}", fontsize=9];`,
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
  // Parallel edges (one block, one target node) share an arrow, in the order of their first edge.
  const arrows = new Map<string, { from: string; to: string; edges: EdgeDescription[] }>();
  for (const { from, edge } of edges) {
    const id = `${from}_${edge.target}`;
    let arrow = arrows.get(id);
    if (!arrow) arrows.set(id, (arrow = { from, to: edge.target, edges: [] }));
    arrow.edges.push(edge);
  }
  const drawn: DrawnEdge[] = [];
  for (const [id, arrow] of arrows) {
    const fromName = blockName(byId.get(arrow.from)!);
    for (const edge of arrow.edges) drawn.push({ from: arrow.from, fromName, edge, arrow: id });
    if (arrow.edges.length === 1) {
      out.push(`  ${arrow.from} -> ${arrow.to} [id=${quote(id)}, label=${quote(edgeText(arrow.edges[0]!))}];`);
    } else {
      const list = arrow.edges.slice(0, 8).map(edgeText);
      if (arrow.edges.length > 8) list.push(`... and ${arrow.edges.length - 8} more`);
      out.push(`  ${arrow.from} -> ${arrow.to} [id=${quote(id)}, label=${quote(bundleText(arrow.edges))}, penwidth=2, tooltip=${quote(list.join('\n'))}];`);
    }
  }
  out.push('}');
  return {
    dot: out.join('\n') + '\n',
    nodeCount: kept.length + outside.length,
    edgeCount: edges.length,
    arrowCount: arrows.size,
    blockCount: kept.length,
    edges: drawn,
  };
}

/** Renders `graph` as DOT. */
export function linkGraphToDot(graph: LinkGraph, options: DotOptions = {}): DotResult {
  return descriptionToDot(describeGraph(graph), options);
}
