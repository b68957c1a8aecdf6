/**
 * `jitlink graph <object>`: draws an object's LinkGraph as DOT, SVG or a
 * standalone HTML page. With --linked the graph is first linked into a
 * simulated slab (no code runs) so blocks show their final addresses.
 */
import { writeFileSync } from 'node:fs';
import {
  BackendRegistry,
  isArchive,
  JITLinkError,
  link,
  SlabMemoryManager,
  toError,
  type JITLinkAllocation,
  type JITLinkContext,
  type LinkGraph,
  type LookupRequest,
} from '@jitlink/core';
import { readInputFile } from '../file-source.js';
import { UsageError } from '../options.js';
import { linkGraphToDot, type DotOptions } from './dot.js';

export type GraphFormat = 'dot' | 'svg' | 'html';

export interface GraphCommandOptions {
  input: string;
  format: GraphFormat;
  output?: string;
  section?: RegExp;
  symbol?: RegExp;
  collapse: boolean;
  linked: boolean;
}

const GRAPH_FLAGS = ['collapse', 'linked', 'help'];
const GRAPH_VALUES = ['format', 'o', 'section', 'symbol'];

export const GRAPH_HELP = `USAGE: jitlink graph <object> [options]

Draws the object's link graph: sections as frames, blocks as boxes (address,
size, alignment, symbols), edges as arrows labelled with fixup offset, kind,
target and addend (the edges from one block to one target as one arrow with
their count; the HTML page lists each); external and absolute symbols as
separate nodes.

  --format dot|svg|html   - Output format (default: from -o's extension, else dot)
  -o <file>               - Write to <file> instead of stdout
  --section <regex>       - Only blocks of sections whose name matches
  --symbol <regex>        - Only blocks with a matching symbol, and the blocks they refer to
  --collapse              - Hide blocks with no drawn edges and no (matching) named symbol
  --linked                - Link into a simulated slab first (-noexec style): final addresses and fixed-up edges
`;

function regex(text: string, what: string): RegExp {
  try {
    return new RegExp(text);
  } catch (e) {
    throw new UsageError(`invalid ${what} regex '${text}': ${toError(e).message}`);
  }
}

export function parseGraphOptions(argv: readonly string[]): GraphCommandOptions | 'help' {
  const inputs: string[] = [];
  let format: GraphFormat | undefined;
  const opts: Omit<GraphCommandOptions, 'input' | 'format'> = { collapse: false, linked: false };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-') || word === '-') {
      inputs.push(word);
      continue;
    }
    const body = word.startsWith('--') ? word.slice(2) : word.slice(1);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (GRAPH_FLAGS.includes(name)) {
      if (name === 'help') return 'help';
      if (name === 'collapse') opts.collapse = true;
      if (name === 'linked') opts.linked = true;
      continue;
    }
    if (!GRAPH_VALUES.includes(name)) {
      throw new UsageError(`unknown graph option '${word}' (valid: --format, -o, --section, --symbol, --collapse, --linked; see jitlink graph --help)`);
    }
    const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`graph option '${word}' needs a value`);
    if (name === 'format') {
      if (value !== 'dot' && value !== 'svg' && value !== 'html') throw new UsageError(`--format must be dot, svg or html, got '${value}'`);
      format = value;
    } else if (name === 'o') opts.output = value;
    else if (name === 'section') opts.section = regex(value, '--section');
    else if (name === 'symbol') opts.symbol = regex(value, '--symbol');
  }
  if (inputs.length !== 1) throw new UsageError(`jitlink graph takes one object file, got ${inputs.length} (see jitlink graph --help)`);
  if (format === undefined) {
    const ext = opts.output?.toLowerCase().match(/\.(dot|gv|svg|html?)$/)?.[1];
    format = ext === 'svg' ? 'svg' : ext === 'html' || ext === 'htm' ? 'html' : 'dot';
  }
  return { input: inputs[0]!, format, ...opts };
}

/** Links `graph` into a simulated slab; externals get distinct addresses just below it. */
async function linkForPicture(graph: LinkGraph, registry: BackendRegistry): Promise<void> {
  const slabBase = 0x10000000;
  const memoryManager = new SlabMemoryManager({ size: 256 * 1024 * 1024, baseAddress: slabBase, pageSize: 4096 });
  let allocation: JITLinkAllocation | undefined;
  let failure: Error | undefined;
  const context: JITLinkContext = {
    getMemoryManager: () => memoryManager,
    async lookup(request: LookupRequest) {
      const result = new Map<string, number>();
      let next = slabBase - 0x100000;
      for (const name of [...request.keys()].sort()) {
        result.set(name, next);
        next += 16;
      }
      return result;
    },
    notifyResolved: () => undefined,
    notifyFinalized: (a) => {
      allocation = a;
    },
    notifyFailed: (e) => {
      failure = e;
    },
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => undefined,
    modifyPassConfig: () => undefined,
  };
  await link(graph, context, registry.forGraph(graph));
  if (failure) throw failure;
  await allocation?.deallocate();
}

export interface GraphRendering {
  text: string;
  blocks: number;
  nodes: number;
  /** Edges drawn; parallel edges share an arrow. */
  edges: number;
  arrows: number;
}

/** Builds the picture of one object's graph. */
export async function renderObjectGraph(bytes: Uint8Array, name: string, registry: BackendRegistry, options: Omit<GraphCommandOptions, 'input' | 'output'>): Promise<GraphRendering> {
  if (isArchive(bytes)) throw new JITLinkError('InvalidArgument', `${name} is an archive; extract a member (ar x) and draw that object`);
  const graph = registry.createLinkGraph(bytes, { name });
  if (options.linked) await linkForPicture(graph, registry);
  const dotOptions: DotOptions = { section: options.section, symbol: options.symbol, collapse: options.collapse };
  const drawn = linkGraphToDot(graph, dotOptions);
  const counts = { blocks: drawn.blockCount, nodes: drawn.nodeCount, edges: drawn.edgeCount, arrows: drawn.arrowCount };
  if (options.format === 'dot') return { text: drawn.dot, ...counts };
  const { dotToSvg, svgToHtml } = await import('./render.js');
  const svg = await dotToSvg(drawn.dot);
  if (options.format === 'svg') return { text: svg, ...counts };
  const html = svgToHtml(svg, `${name}${options.linked ? ' (linked)' : ''}`, { blocks: counts.blocks, nodes: counts.nodes, arrows: counts.arrows, edges: drawn.edges });
  return { text: html, ...counts };
}

export async function runGraphCommand(argv: readonly string[], registry: BackendRegistry, io: { stdout: (t: string) => void }): Promise<number> {
  const options = parseGraphOptions(argv);
  if (options === 'help') {
    io.stdout(GRAPH_HELP);
    return 0;
  }
  const bytes = readInputFile(options.input);
  const rendering = await renderObjectGraph(bytes, options.input, registry, options);
  if (options.output) writeFileSync(options.output, rendering.text);
  else io.stdout(rendering.text);
  return 0;
}
