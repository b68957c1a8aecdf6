/** A text dump of a LinkGraph, in the spirit of llvm-jitlink's -show-graphs. */
import { formatAddress, formatHex } from './address.js';
import { Linkage, Scope, type Block, type LinkGraph, type Symbol } from './graph.js';
import { formatMemProt, MemLifetime } from './memory-flags.js';

function hex32(v: number): string {
  return formatHex(v, 8);
}

function describeSymbol(sym: Symbol, base: string): string {
  const linkage = sym.linkage === Linkage.Weak ? 'weak' : 'strong';
  const scope = sym.scope === Scope.Default ? 'default' : sym.scope === Scope.Hidden ? 'hidden' : 'local';
  return (
    `${formatAddress(sym.address)} (${base} + ${hex32(sym.offset)}): size: ${hex32(sym.size)}, ` +
    `linkage: ${linkage}, scope: ${scope}, ${sym.live ? 'live' : 'dead'}${sym.callable ? ', callable' : ''}  -  ${sym.name ?? '<anonymous symbol>'}`
  );
}

function edgeTargetName(graph: LinkGraph, sym: Symbol): string {
  if (sym.name !== undefined) return sym.name;
  if (sym.isDefined()) return `${sym.block.section.name} + ${formatHex(sym.address - sym.block.address)}`;
  return '<anonymous>';
}

export function printBlock(graph: LinkGraph, block: Block, symbols: readonly Symbol[], out: string[]): void {
  out.push(
    `  block ${formatAddress(block.address)} size = ${hex32(block.size)}, align = ${block.alignment}, ` +
      `alignment-offset = ${block.alignmentOffset}${block.isZeroFill() ? ', zero-fill' : ''}`,
  );
  if (symbols.length > 0) {
    out.push('    symbols:');
    for (const sym of symbols) out.push('      ' + describeSymbol(sym, 'block'));
  }
  if (block.edges.length > 0) {
    out.push('    edges:');
    const edges = [...block.edges].sort((a, b) => a.offset - b.offset);
    for (const e of edges) {
      const addend = e.addend < 0 ? `-${hex32(-e.addend)}` : `+${hex32(e.addend)}`;
      out.push(
        `      ${formatAddress(block.address + e.offset)} (block + ${hex32(e.offset)}), addend = ${addend}, ` +
          `kind = ${graph.getEdgeKindName(e.kind)}, target = ${edgeTargetName(graph, e.target)}`,
      );
    }
  }
}

/** Renders the whole graph: sections with their blocks, symbols and edges, then absolute and external symbols. */
export function printLinkGraph(graph: LinkGraph): string {
  const out: string[] = [`Link graph "${graph.name}" (triple = ${graph.triple}, pointer size = ${graph.pointerSize}, ${graph.endianness}-endian)`];
  const sections = [...graph.sections()].sort((a, b) => a.ordinal - b.ordinal);
  for (const section of sections) {
    const lifetime = section.lifetime === MemLifetime.Standard ? '' : section.lifetime === MemLifetime.Finalize ? ', finalize-only' : ', no-alloc';
    out.push('', `section ${section.name} (${formatMemProt(section.prot)}, ordinal ${section.ordinal}${lifetime}):`, '');
    const bySymbolBlock = new Map<Block, Symbol[]>();
    for (const sym of section.symbols) {
      const b = sym.block;
      let list = bySymbolBlock.get(b);
      if (!list) bySymbolBlock.set(b, (list = []));
      list.push(sym);
    }
    const blocks = [...section.blocks].sort((a, b) => a.address - b.address);
    for (const block of blocks) {
      const syms = (bySymbolBlock.get(block) ?? []).sort((a, b) => a.offset - b.offset || (a.name ?? '').localeCompare(b.name ?? ''));
      printBlock(graph, block, syms, out);
    }
  }
  const absolutes = [...graph.absoluteSymbols()];
  out.push('', 'absolute symbols:');
  if (absolutes.length === 0) out.push('  none');
  for (const sym of absolutes) out.push('  ' + describeSymbol(sym, 'addressable'));
  const externals = [...graph.externalSymbols()].sort((a, b) => a.name!.localeCompare(b.name!));
  out.push('', 'external symbols:');
  if (externals.length === 0) out.push('  none');
  for (const sym of externals) out.push('  ' + describeSymbol(sym, 'addressable'));
  return out.join('\n') + '\n';
}
