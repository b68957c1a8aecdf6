/** SVG (WebAssembly Graphviz, no system Graphviz needed) and a standalone HTML page. */
import { JITLinkError } from '@jitlink/core';
import { edgeTargetText, hex, signedHex, type DrawnEdge } from './dot.js';

/** Lays out DOT with @viz-js/viz and returns the SVG. */
export async function dotToSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const result = viz.render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    throw new JITLinkError('InvalidArgument', `graph layout failed: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  return result.output;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface HtmlContents {
  blocks: number;
  nodes: number;
  arrows: number;
  /** Every drawn edge: the details list them one per row, parallel ones included. */
  edges: readonly DrawnEdge[];
}

/** One table row per edge; `data-arrow` ties it to the arrow that draws it. */
function edgeRows(edges: readonly DrawnEdge[]): string {
  return edges
    .map(({ fromName, edge, arrow }) => {
      const cells = [fromName, hex(edge.offset), edge.kind, edgeTargetText(edge), signedHex(edge.addend)];
      return `<tr data-arrow="${escapeHtml(arrow)}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
}

/**
 * A self-contained page: the SVG inline, a legend, a search box that
 * highlights matching nodes, and the details: every edge in a table (an arrow
 * may draw several); clicking an arrow marks its edges there.
 */
export function svgToHtml(svg: string, title: string, contents: HtmlContents): string {
  const body = svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/^<!DOCTYPE[^>]*>\s*/, '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; }
  header { position: sticky; top: 0; background: #f4f5f7; border-bottom: 1px solid #c1c7d0; padding: 8px 12px; display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 15px; margin: 0; font-family: monospace; }
  .legend span { margin-right: 14px; font-size: 13px; }
  .legend .box { display: inline-block; width: 14px; height: 10px; border: 1px solid #000; margin-right: 4px; vertical-align: middle; }
  .legend .ellipse { border-radius: 50%; border-style: dashed; }
  .legend .diamond { transform: rotate(45deg); width: 9px; height: 9px; border-style: dashed; }
  #graph { padding: 12px; overflow: auto; }
  g.node.match > polygon, g.node.match > ellipse, g.node.match > path { fill: #ffe380; }
  g.node.dim, g.edge.dim { opacity: 0.25; }
  #count { font-size: 13px; color: #42526e; }
  g.edge { cursor: pointer; }
  g.edge.match > path { stroke: #de350b; }
  #details { padding: 0 12px 12px; }
  #details summary { cursor: pointer; font-size: 14px; }
  #details table { border-collapse: collapse; font: 12px monospace; margin-top: 6px; }
  #details th, #details td { text-align: left; padding: 1px 10px 1px 0; }
  #details tr.match { background: #ffe380; }
  #details tr.dim { opacity: 0.4; }
</style>
</head>
<body>
<header>
  <h1>${escapeHtml(title)}</h1>
  <div class="legend">
    <span><i class="box"></i>block (address, size, alignment, symbols)</span>
    <span><i class="box ellipse"></i>external symbol</span>
    <span><i class="box diamond"></i>absolute symbol</span>
    <span>&rarr; edge: @fixup-offset kind target &plusmn; addend; <b>n edges</b>: parallel edges, listed below</span>
    <span>frames: sections</span>
  </div>
  <label>Search <input id="search" type="search" size="30" placeholder="symbol, address, edge kind"></label>
  <span id="count">${contents.blocks} blocks, ${contents.nodes} nodes, ${contents.edges.length} edges in ${contents.arrows} arrows</span>
</header>
<div id="graph">
${body}
</div>
<details id="details">
<summary>Edges (${contents.edges.length})</summary>
<table>
<thead><tr><th>from</th><th>fixup</th><th>kind</th><th>target</th><th>addend</th></tr></thead>
<tbody>
${edgeRows(contents.edges)}
</tbody>
</table>
</details>
<script>
  const input = document.getElementById('search');
  const count = document.getElementById('count');
  const initial = count.textContent;
  input.addEventListener('input', () => {
    const q = input.value.trim().toLowerCase();
    let hits = 0;
    for (const g of document.querySelectorAll('#graph g.node, #graph g.edge')) {
      const match = q !== '' && g.textContent.toLowerCase().includes(q);
      if (match && g.classList.contains('node')) hits++;
      g.classList.toggle('match', match);
      g.classList.toggle('dim', q !== '' && !match);
    }
    for (const row of document.querySelectorAll('#details tbody tr')) {
      const match = q !== '' && row.textContent.toLowerCase().includes(q);
      row.classList.toggle('match', match);
      row.classList.toggle('dim', q !== '' && !match);
    }
    count.textContent = q === '' ? initial : hits + ' matching nodes';
    const first = document.querySelector('#graph g.node.match');
    if (first) first.scrollIntoView({ block: 'center', inline: 'center' });
  });
  // Clicking an arrow opens the details at the edges it draws.
  for (const g of document.querySelectorAll('#graph g.edge')) {
    g.addEventListener('click', () => {
      for (const e of document.querySelectorAll('#graph g.edge')) e.classList.toggle('match', e === g);
      let first = null;
      for (const row of document.querySelectorAll('#details tbody tr')) {
        const match = row.dataset.arrow === g.id;
        row.classList.toggle('match', match);
        if (match && !first) first = row;
      }
      document.getElementById('details').open = true;
      if (first) first.scrollIntoView({ block: 'center' });
    });
  }
</script>
</body>
</html>
`;
}
