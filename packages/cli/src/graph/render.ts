/** SVG (WebAssembly Graphviz, no system Graphviz needed) and a standalone HTML page. */
import { JITLinkError } from '@jitlink/core';

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

/** A self-contained page: the SVG inline, a legend, and a search box that highlights matching nodes. */
export function svgToHtml(svg: string, title: string, counts: { blocks: number; nodes: number; edges: number }): string {
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
</style>
</head>
<body>
<header>
  <h1>${escapeHtml(title)}</h1>
  <div class="legend">
    <span><i class="box"></i>block (address, size, alignment, symbols)</span>
    <span><i class="box ellipse"></i>external symbol</span>
    <span><i class="box diamond"></i>absolute symbol</span>
    <span>&rarr; edge: @fixup-offset kind target &plusmn; addend</span>
    <span>frames: sections</span>
  </div>
  <label>Search <input id="search" type="search" placeholder="symbol, address, edge kind"></label>
  <span id="count">${counts.blocks} blocks, ${counts.nodes} nodes, ${counts.edges} edges</span>
</header>
<div id="graph">
${body}
</div>
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
    count.textContent = q === '' ? initial : hits + ' matching nodes';
    const first = document.querySelector('#graph g.node.match');
    if (first) first.scrollIntoView({ block: 'center', inline: 'center' });
  });
</script>
</body>
</html>
`;
}
