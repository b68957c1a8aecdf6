/**
 * -check support: records every linked graph after fixups (symbols, section
 * addresses, final block bytes, and the GOT entries and stubs built for
 * each target symbol, as the graph's backend finds them) and evaluates check
 * files against that record, as llvm-jitlink does. Works the same for -noexec
 * slab links, whose memory is only simulated, because it reads the graphs'
 * post-fixup content.
 */
import {
  formatCheckFailure,
  JITLinkError,
  LinkedGraphsCheckerContext,
  runCheckFile,
  toBigInt,
  type BackendRegistry,
  type GraphCheckTables,
  type LinkGraph,
  type TableEntryKind,
} from '@jitlink/core';
import type { ObjectLinkingLayer } from '@jitlink/orc';
import { readInputFile } from './file-source.js';

/**
 * The graph's GOT entries and stubs by target symbol name (after fixups), as
 * its backend finds them: each name the graph refers to or defines is looked up.
 */
export function graphCheckTables(graph: LinkGraph, registry: BackendRegistry): GraphCheckTables {
  const backend = registry.forTriple(graph.triple, graph.format);
  if (backend?.findTableEntry === undefined) return {};
  const find = backend.findTableEntry;
  const names = new Set<string>();
  for (const symbols of [graph.externalSymbols(), graph.absoluteSymbols(), graph.definedSymbols()]) {
    for (const sym of symbols) if (sym.name !== undefined) names.add(sym.name);
  }
  const table = (kind: TableEntryKind): Map<string, bigint> => {
    const entries = new Map<string, bigint>();
    for (const name of names) {
      const entry = find(graph, kind, name);
      if (entry !== undefined) entries.set(name, toBigInt(entry.address));
    }
    return entries;
  };
  return { gotEntries: table('got'), stubs: table('stub') };
}

export interface CheckOptions {
  checkFiles: readonly string[];
  checkName: string;
  absolutes: readonly { name: string; address: bigint }[];
}

/** Records linked graphs for -check and runs the check files. */
export class CheckRecorder {
  readonly context = new LinkedGraphsCheckerContext();

  private readonly registry: BackendRegistry;

  /** Installs the post-fixup recording pass on every graph `layer` links. */
  constructor(layer: ObjectLinkingLayer) {
    this.registry = layer.registry;
    layer.addPlugin({
      modifyPassConfig: (_mr, _graph, config) => {
        config.postFixupPasses.push((graph) => this.record(graph));
      },
      notifyFailed: () => undefined,
      notifyRemovingResources: () => undefined,
      notifyTransferringResources: () => undefined,
    });
  }

  record(graph: LinkGraph): void {
    // decode_operand and next_pc decode with the first graph's architecture.
    this.context.decoder ??= this.registry.forTriple(graph.triple, graph.format)?.instructionDecoder;
    this.context.recordGraph(graph, graphCheckTables(graph, this.registry));
  }

  /**
   * Runs every check file; failures are written to `stderr` with file and
   * line. Returns the number of checks that passed; throws a JITLinkError
   * naming the first file with failures.
   */
  run(options: CheckOptions, stderr: (text: string) => void): number {
    for (const { name, address } of options.absolutes) this.context.defineSymbol(name, address);
    let passed = 0;
    const failedFiles: string[] = [];
    for (const file of options.checkFiles) {
      const text = new TextDecoder().decode(readInputFile(file, 'check file'));
      const report = runCheckFile(text, this.context, { file, checkName: options.checkName });
      for (const failure of report.failures) stderr(formatCheckFailure(failure) + '\n');
      passed += report.checks - report.failures.filter((f) => f.line > 0).length;
      if (report.failures.length > 0) failedFiles.push(file);
    }
    if (failedFiles.length > 0) {
      throw new JITLinkError('LinkFailed', `some checks in ${failedFiles.join(', ')} failed`);
    }
    stderr(`jitlink-check: ${passed} check${passed === 1 ? '' : 's'} passed\n`);
    return passed;
  }
}
