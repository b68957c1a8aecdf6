/**
 * `jitlink graph`: DOT, SVG and HTML pictures of a corpus object's LinkGraph,
 * checked in headless Chromium against counts taken from the graph itself,
 * and the text as Chromium draws it against the shapes Graphviz laid out.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Block, LinkGraph, Symbol } from '@jitlink/core';
import type { BrowserContext, Page } from 'playwright-core';
import { linkGraphToDot } from '../src/graph/dot.js';
import { createDefaultRegistry } from '../src/run.js';
import { REPO_ROOT, requireOrSkip } from './corpus.js';
import { runCli } from './run-cli.js';

const OBJ = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small');
const SHAPES = join(OBJ, 'cxx/shapes.o');
const HELLO = join(OBJ, 'hello/hello.o');
/** 75 string references from .text to .rodata.str1.1, and 13 to 19 calls to several sqlite3 functions. */
const SQLITE = join(OBJ, 'sqlite_driver/sqlite_driver.o');
/** gcc -O2 -fno-pic: three kinds of edges from .text to one .bss block. */
const GCC_BSS = join(REPO_ROOT, 'test-corpus/obj/gcc/O2-nopic-small/bss_big/bss_big.o');
/** .text and .rodata (a jump table) refer to each other. */
const OPS = join(OBJ, 'multi/ops.o');
const CHROMIUM = '/usr/bin/chromium';
const scratch = mkdtempSync(join(tmpdir(), 'jitlink-graph-'));

function loadGraph(path: string): LinkGraph {
  const bytes = readFileSync(path);
  return createDefaultRegistry().createLinkGraph(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { name: path });
}

/**
 * Blocks, edges, arrows (edges grouped by source block and target node) and
 * outside (external/absolute) nodes to expect when only sections matching
 * `section` are drawn.
 */
function expectedCounts(graph: LinkGraph, section: RegExp = /(?:)/) {
  const blocks = [...graph.blocks()].filter((b) => section.test(b.section.name));
  const kept = new Set(blocks);
  const outside = new Set<Symbol>();
  const arrows = new Map<Block, Map<Block | Symbol, { kinds: string[]; offsets: number[] }>>();
  let edges = 0;
  for (const b of blocks) {
    for (const e of b.edges) {
      const to = !e.target.isDefined() ? e.target : kept.has(e.target.block) ? e.target.block : undefined;
      if (to === undefined) continue;
      if (!e.target.isDefined()) outside.add(e.target);
      edges++;
      let fromB = arrows.get(b);
      if (!fromB) arrows.set(b, (fromB = new Map()));
      let arrow = fromB.get(to);
      if (!arrow) fromB.set(to, (arrow = { kinds: [], offsets: [] }));
      arrow.kinds.push(graph.getEdgeKindName(e.kind));
      arrow.offsets.push(e.offset);
    }
  }
  const parallel = [...arrows.values()].flatMap((m) => [...m.values()]);
  return { blocks: blocks.length, nodes: blocks.length + outside.size, edges, arrows: parallel.length, parallel };
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Headless Chromium, or undefined (reason printed; a failure under CI=true) when it is not installed. */
async function openChromium(): Promise<BrowserContext | undefined> {
  if (!requireOrSkip(existsSync(CHROMIUM), `${CHROMIUM} is not installed (apt-get install chromium)`)) return undefined;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'jitlink-chromium-'));
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

interface TextFit {
  nodeTexts: number;
  edgeLabels: number;
  clusterLabels: number;
  problems: string[];
}

/**
 * Measures the picture as Chromium draws it: every line of a node's text,
 * grown by `margin` user units on each side, must lie inside the node's shape
 * (box, ellipse or diamond: its corners are tested with isPointInFill); no
 * edge label's box may intersect a node's text or another edge label; a
 * section's label lies within its frame.
 */
function measureTextFit(page: Page, margin: number): Promise<TextFit> {
  return page.evaluate((m) => {
    const problems: string[] = [];
    const nodeBoxes: { id: string; text: string; box: DOMRect }[] = [];
    const shapeOf = (g: Element) => g.querySelector('polygon, ellipse, path') as SVGGeometryElement;
    for (const g of Array.from(document.querySelectorAll('svg g.node'))) {
      const shape = shapeOf(g);
      for (const t of Array.from(g.querySelectorAll('text'))) {
        const box = t.getBBox();
        nodeBoxes.push({ id: g.id, text: t.textContent ?? '', box });
        const corners = [
          [box.x - m, box.y - m],
          [box.x + box.width + m, box.y - m],
          [box.x - m, box.y + box.height + m],
          [box.x + box.width + m, box.y + box.height + m],
        ];
        if (!corners.every(([x, y]) => shape.isPointInFill(new DOMPoint(x, y)))) {
          const s = shape.getBBox();
          problems.push(`node ${g.id}: "${t.textContent}" [${box.x.toFixed(1)}, ${(box.x + box.width).toFixed(1)}] outside its shape [${s.x.toFixed(1)}, ${(s.x + s.width).toFixed(1)}]`);
        }
      }
    }
    const overlap = (a: DOMRect, b: DOMRect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    const labelBoxes: { id: string; text: string; box: DOMRect }[] = [];
    for (const g of Array.from(document.querySelectorAll('svg g.edge'))) {
      for (const t of Array.from(g.querySelectorAll('text'))) {
        const box = t.getBBox();
        for (const n of nodeBoxes) if (overlap(box, n.box)) problems.push(`edge ${g.id}: label "${t.textContent}" over node ${n.id} text "${n.text}"`);
        for (const l of labelBoxes) if (overlap(box, l.box)) problems.push(`edge ${g.id}: label "${t.textContent}" over edge ${l.id} label "${l.text}"`);
        labelBoxes.push({ id: g.id, text: t.textContent ?? '', box });
      }
    }
    let clusterLabels = 0;
    for (const g of Array.from(document.querySelectorAll('svg g.cluster'))) {
      const frame = shapeOf(g).getBBox();
      for (const t of Array.from(g.querySelectorAll('text'))) {
        clusterLabels++;
        const b = t.getBBox();
        if (b.x < frame.x || b.y < frame.y || b.x + b.width > frame.x + frame.width || b.y + b.height > frame.y + frame.height) {
          problems.push(`cluster ${g.id}: label "${t.textContent}" outside its frame`);
        }
      }
    }
    return { nodeTexts: nodeBoxes.length, edgeLabels: labelBoxes.length, clusterLabels, problems };
  }, margin);
}

describe('jitlink graph', () => {
  test('DOT: clusters per section, a node per block and outside symbol, an arrow per edge', async () => {
    const r = await runCli(['graph', HELLO]);
    expect(r.code).toBe(0);
    const want = expectedCounts(loadGraph(HELLO));
    expect((r.stdout.match(/^ {4}b\d+ \[/gm) ?? []).length).toBe(want.blocks);
    expect((r.stdout.match(/^ {2}x\d+ \[/gm) ?? []).length).toBe(want.nodes - want.blocks);
    expect((r.stdout.match(/ -> /g) ?? []).length).toBe(want.arrows);
    expect(r.stdout).toMatch(/subgraph cluster_\d+ \{\n {4}label="section \.text \(R-X\)"/);
    expect(r.stdout).toMatch(/main @ 0x0 \(default, callable\)/);
    expect(r.stdout).toMatch(/-> x\d+ \[id="b\d+_x\d+", label="@0x9 BranchPCRel32ToPtrJumpStubBypassable puts \+ 0x0"\]/);
    // One font, which Graphviz has metrics for, everywhere.
    expect(r.stdout).toMatch(/fontname="Courier";/);
    expect(r.stdout).toMatch(/node \[[^\]]*fontname="Courier"/);
    expect(r.stdout).toMatch(/edge \[[^\]]*fontname="Courier"/);
    expect(r.stdout).not.toMatch(/fontname="(?!Courier")/);
  });

  test('parallel edges are one arrow with a count; the HTML details list every edge', async () => {
    // sqlite_driver.o: .text refers to .rodata.str1.1 75 times and calls printf 19 times; gcc's
    // bss_big.o mixes kinds between two blocks (Pointer32 ×7, Pointer32Signed ×4, Delta32).
    for (const [path, most] of [[GCC_BSS, 12], [SQLITE, 75]] as const) {
      const want = expectedCounts(loadGraph(path));
      const bundles = want.parallel.filter((a) => a.kinds.length > 1);
      expect(Math.max(...bundles.map((a) => a.kinds.length))).toBe(most);
      const result = linkGraphToDot(loadGraph(path));
      expect({ edges: result.edgeCount, arrows: result.arrowCount, listed: result.edges.length }).toEqual({ edges: want.edges, arrows: want.arrows, listed: want.edges });
      const arrows = [...result.dot.matchAll(/^ {2}(b\d+) -> ([bx]\d+) \[id="([^"]+)", label="([^"]*)"/gm)];
      expect(arrows.length).toBe(want.arrows);
      // No two arrows join the same two nodes.
      expect(new Set(arrows.map((a) => `${a[1]} ${a[2]}`)).size).toBe(arrows.length);
      // An arrow of several edges is labelled with their count and kinds, most frequent first.
      const label = (kinds: string[]) => {
        const times = new Map<string, number>();
        for (const k of kinds) times.set(k, (times.get(k) ?? 0) + 1);
        const byCount = [...times].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        return `${kinds.length} edges (${byCount.map(([k, n]) => (byCount.length === 1 || n === 1 ? k : `${k} ×${n}`)).join(', ')})`;
      };
      const counted = arrows.map((a) => a[4]!).filter((l) => /^\d+ edges \(/.test(l));
      expect(counted.sort()).toEqual(bundles.map((b) => label(b.kinds)).sort());
      if (path === GCC_BSS) expect(counted).toContain('12 edges (Pointer32 ×7, Pointer32Signed ×4, Delta32)');
    }
    const want = expectedCounts(loadGraph(SQLITE));
    const bundles = want.parallel.filter((a) => a.kinds.length > 1);
    const arrows = [...linkGraphToDot(loadGraph(SQLITE)).dot.matchAll(/^ {2}(b\d+) -> ([bx]\d+) \[id="([^"]+)"/gm)];

    const htmlPath = join(scratch, 'sqlite_driver.html');
    const html = await runCli(['graph', SQLITE, '-o', htmlPath]);
    expect(html.code).toBe(0);
    const page = readFileSync(htmlPath, 'utf8');
    const rows = [...page.matchAll(/<tr data-arrow="([^"]+)">(.*?)<\/tr>/g)];
    expect(rows.length).toBe(want.edges);
    expect(page).toContain(`${want.edges} edges in ${want.arrows} arrows`);
    // Every arrow's rows are its edges, each with its fixup offset.
    const arrowOf = new Map(arrows.map((a) => [a[3]!, a]));
    const rowsPerArrow = new Map<string, string[]>();
    for (const r of rows) {
      expect(arrowOf.has(r[1]!)).toBe(true);
      rowsPerArrow.set(r[1]!, [...(rowsPerArrow.get(r[1]!) ?? []), r[2]!]);
    }
    expect([...rowsPerArrow.values()].map((r) => r.length).sort((x, y) => x - y)).toEqual(want.parallel.map((a) => a.kinds.length).sort((x, y) => x - y));
    const biggest = bundles.find((a) => a.kinds.length === 75)!;
    const biggestRows = [...rowsPerArrow.values()].find((r) => r.length === 75)!;
    const offsets = biggestRows.map((r) => /<td>[^<]*<\/td><td>(0x[0-9a-f]+)<\/td><td>Delta32<\/td>/.exec(r)?.[1]);
    expect(offsets).toEqual(biggest.offsets.map((o) => `0x${o.toString(16)}`));
  });

  test('--linked shows final addresses; --section/--symbol/--collapse filter', async () => {
    const linked = await runCli(['graph', '--linked', HELLO]);
    expect(linked.code).toBe(0);
    expect(linked.stdout).toMatch(/label="0x00000000100[0-9a-f]{5} {2}size 0x11/);
    // The GOT entry and stub built during the link are drawn too.
    expect(linked.stdout).toMatch(/section \$__GOT/);
    const text = await runCli(['graph', '--section', '^\\.text', '--collapse', SHAPES]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/section \.(rodata|data|eh_frame)/);
    const one = await runCli(['graph', '--symbol', 'Circle.*area', SHAPES]);
    expect(one.code).toBe(0);
    expect((one.stdout.match(/^ {4}b\d+ \[/gm) ?? []).length).toBeGreaterThanOrEqual(1);
    expect((one.stdout.match(/^ {4}b\d+ \[/gm) ?? []).length).toBeLessThan(expectedCounts(loadGraph(SHAPES)).blocks);
    const bad = await runCli(['graph', '--format', 'png', HELLO]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--format must be dot, svg or html/);
  });

  test('SVG and HTML render in headless Chromium with every node and edge', async () => {
    const graph = loadGraph(SHAPES);
    const all = expectedCounts(graph);
    const textOnly = expectedCounts(graph, /^\.text/);
    const textSections = [...graph.sections()].filter((s) => /^\.text/.test(s.name) && s.blocks.size > 0).length;
    const svgPath = join(scratch, 'shapes.svg');
    const htmlPath = join(scratch, 'shapes.html');
    const textHtmlPath = join(scratch, 'shapes-text.html');
    expect((await runCli(['graph', SHAPES, '-o', svgPath])).code).toBe(0);
    expect((await runCli(['graph', SHAPES, '--format', 'html', '-o', htmlPath])).code).toBe(0);
    expect((await runCli(['graph', SHAPES, '--section', '^\\.text', '-o', textHtmlPath])).code).toBe(0);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg /);
    expect((svg.match(/<g id="[^"]*" class="node"/g) ?? []).length).toBe(all.nodes);

    const context = await openChromium();
    if (!context) return;
    try {
      const page = await context.newPage();
      const count = async (path: string) => {
        await page.goto(pathToFileURL(path).href);
        return page.evaluate(() => ({
          nodes: document.querySelectorAll('svg g.node').length,
          edges: document.querySelectorAll('svg g.edge').length,
          clusters: document.querySelectorAll('svg g.cluster').length,
        }));
      };
      const svgCounts = await count(svgPath);
      expect(svgCounts).toEqual({ nodes: all.nodes, edges: all.arrows, clusters: graph.sectionCount - [...graph.sections()].filter((s) => s.blocks.size === 0).length });
      const htmlCounts = await count(htmlPath);
      expect({ nodes: htmlCounts.nodes, edges: htmlCounts.edges }).toEqual({ nodes: all.nodes, edges: all.arrows });
      // The search box highlights the nodes that mention a symbol.
      await page.fill('#search', 'Circle');
      const matches = await page.evaluate(() => document.querySelectorAll('svg g.node.match').length);
      expect(matches).toBeGreaterThan(0);
      expect(matches).toBeLessThan(all.nodes);
      expect(await page.textContent('#count')).toBe(`${matches} matching nodes`);
      const filtered = await count(textHtmlPath);
      expect({ nodes: filtered.nodes, edges: filtered.edges, clusters: filtered.clusters }).toEqual({ nodes: textOnly.nodes, edges: textOnly.arrows, clusters: textSections });
    } finally {
      await context.close();
    }
  }, 120_000);

  test('text fits as Chromium draws it: node text inside its shape, edge labels clear of node text and of each other', async () => {
    const pictures = [
      { object: HELLO, file: 'hello.svg' },
      { object: SQLITE, file: 'sqlite_driver.svg' },
      { object: SQLITE, file: 'sqlite_driver.html' },
      { object: SHAPES, file: 'shapes-fit.svg' },
      { object: OPS, file: 'ops.svg' },
    ];
    for (const p of pictures) expect((await runCli(['graph', p.object, '-o', join(scratch, p.file)])).code).toBe(0);
    const context = await openChromium();
    if (!context) return;
    try {
      const page = await context.newPage();
      for (const p of pictures) {
        await page.goto(pathToFileURL(join(scratch, p.file)).href);
        // 2 units (points) of room around every line of node text.
        const fit = await measureTextFit(page, 2);
        expect({ file: p.file, problems: fit.problems }).toEqual({ file: p.file, problems: [] });
        expect(fit.nodeTexts).toBeGreaterThan(3);
        expect(fit.edgeLabels).toBeGreaterThan(2);
        expect(fit.clusterLabels).toBeGreaterThan(2);
      }
      // Clicking the arrow of 75 string references marks its 75 rows in the details.
      await page.goto(pathToFileURL(join(scratch, 'sqlite_driver.html')).href);
      expect(await page.evaluate(() => (document.getElementById('details') as HTMLDetailsElement).open)).toBe(false);
      await page.locator('svg g.edge', { hasText: '75 edges' }).dispatchEvent('click');
      expect(await page.evaluate(() => (document.getElementById('details') as HTMLDetailsElement).open)).toBe(true);
      expect(await page.locator('#details tbody tr.match').count()).toBe(75);
      expect(await page.locator('#details tbody tr').count()).toBe(expectedCounts(loadGraph(SQLITE)).edges);
    } finally {
      await context.close();
    }
  }, 120_000);
});
