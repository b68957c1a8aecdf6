/**
 * `jitlink graph`: DOT, SVG and HTML pictures of a corpus object's LinkGraph,
 * checked in headless Chromium against counts taken from the graph itself.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LinkGraph } from '@jitlink/core';
import { createDefaultRegistry } from '../src/run.js';
import { file, have } from '@jitlink/test-support';
import { REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

const OBJ = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small');
const SHAPES = join(OBJ, 'cxx/shapes.o');
const HELLO = join(OBJ, 'hello/hello.o');
const CHROMIUM = '/usr/bin/chromium';
const scratch = mkdtempSync(join(tmpdir(), 'jitlink-graph-'));

function loadGraph(path: string): LinkGraph {
  const bytes = readFileSync(path);
  return createDefaultRegistry().createLinkGraph(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { name: path });
}

/** Blocks, edges and outside (external/absolute) nodes to expect when only sections matching `section` are drawn. */
function expectedCounts(graph: LinkGraph, section: RegExp = /(?:)/) {
  const blocks = [...graph.blocks()].filter((b) => section.test(b.section.name));
  const kept = new Set(blocks);
  let edges = 0;
  const outside = new Set<unknown>();
  for (const b of blocks) {
    for (const e of b.edges) {
      if (!e.target.isDefined()) {
        outside.add(e.target);
        edges++;
      } else if (kept.has(e.target.block)) edges++;
    }
  }
  return { blocks: blocks.length, nodes: blocks.length + outside.size, edges };
}

describe('jitlink graph', () => {
  test('DOT: clusters per section, a node per block and outside symbol, an arrow per edge', async () => {
    const r = await runCli(['graph', HELLO]);
    expect(r.code).toBe(0);
    const want = expectedCounts(loadGraph(HELLO));
    expect((r.stdout.match(/^ {4}b\d+ \[/gm) ?? []).length).toBe(want.blocks);
    expect((r.stdout.match(/^ {2}x\d+ \[/gm) ?? []).length).toBe(want.nodes - want.blocks);
    expect((r.stdout.match(/ -> /g) ?? []).length).toBe(want.edges);
    expect(r.stdout).toMatch(/subgraph cluster_\d+ \{\n {4}label="section \.text \(R-X\)"/);
    expect(r.stdout).toMatch(/main @ 0x0 \(default, callable\)/);
    expect(r.stdout).toMatch(/-> x\d+ \[label="@0x9 BranchPCRel32ToPtrJumpStubBypassable puts \+ 0x0"\]/);
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

    if (!have(file(CHROMIUM, 'apt-get install chromium'))) return;
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'jitlink-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
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
      expect(svgCounts).toEqual({ nodes: all.nodes, edges: all.edges, clusters: graph.sectionCount - [...graph.sections()].filter((s) => s.blocks.size === 0).length });
      const htmlCounts = await count(htmlPath);
      expect({ nodes: htmlCounts.nodes, edges: htmlCounts.edges }).toEqual({ nodes: all.nodes, edges: all.edges });
      // The search box highlights the nodes that mention a symbol.
      await page.fill('#search', 'Circle');
      const matches = await page.evaluate(() => document.querySelectorAll('svg g.node.match').length);
      expect(matches).toBeGreaterThan(0);
      expect(matches).toBeLessThan(all.nodes);
      expect(await page.textContent('#count')).toBe(`${matches} matching nodes`);
      const filtered = await count(textHtmlPath);
      expect({ nodes: filtered.nodes, edges: filtered.edges, clusters: filtered.clusters }).toEqual({ nodes: textOnly.nodes, edges: textOnly.edges, clusters: textSections });
    } finally {
      await context.close();
    }
  }, 120_000);
});
