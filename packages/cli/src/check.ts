/**
 * -check support: records every linked graph after fixups (symbols, section
 * addresses, final block bytes, and the GOT entries and stubs built for
 * each target symbol) and evaluates check files against that record, as
 * llvm-jitlink does. Works the same for -noexec slab links, whose memory is
 * only simulated, because it reads the graphs' post-fixup content.
 */
import {
  archOfTriple,
  formatCheckFailure,
  JITLinkError,
  LinkedGraphsCheckerContext,
  runCheckFile,
  toBigInt,
  type GraphCheckTables,
  type InstructionDecoder,
  type LinkGraph,
} from '@jitlink/core';
import {
  GOT_SECTION_NAME,
  gotEntryTarget,
  STUBS_SECTION_NAME,
  stubGOTEntry,
  x86_64InstructionDecoder,
} from '@jitlink/arch-x86-64';
import { aarch64InstructionDecoder } from '@jitlink/arch-arm64';
import type { ObjectLinkingLayer } from '@jitlink/orc';
import { readInputFile } from './file-source.js';

/** Instruction decoders by triple architecture. */
const DECODERS: Readonly<Record<string, InstructionDecoder>> = {
  x86_64: x86_64InstructionDecoder,
  amd64: x86_64InstructionDecoder,
  aarch64: aarch64InstructionDecoder,
  arm64: aarch64InstructionDecoder,
  aarch64_be: aarch64InstructionDecoder,
};

/** GOT entries and stubs of an x86-64 graph, by target symbol name (after fixups). */
export function x86_64CheckTables(graph: LinkGraph): GraphCheckTables {
  const gotEntries = new Map<string, bigint>();
  const stubs = new Map<string, bigint>();
  for (const sym of graph.findSectionByName(GOT_SECTION_NAME)?.symbols ?? []) {
    const target = gotEntryTarget(sym);
    if (target?.name !== undefined) gotEntries.set(target.name, toBigInt(sym.address));
  }
  for (const sym of graph.findSectionByName(STUBS_SECTION_NAME)?.symbols ?? []) {
    const entry = stubGOTEntry(sym);
    const target = entry === undefined ? undefined : gotEntryTarget(entry);
    if (target?.name !== undefined) stubs.set(target.name, toBigInt(sym.address));
  }
  return { gotEntries, stubs };
}

export interface CheckOptions {
  checkFiles: readonly string[];
  checkName: string;
  absolutes: readonly { name: string; address: bigint }[];
}

/** Records linked graphs for -check and runs the check files. */
export class CheckRecorder {
  readonly context = new LinkedGraphsCheckerContext();

  /** Installs the post-fixup recording pass on every graph `layer` links. */
  constructor(layer: ObjectLinkingLayer) {
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
    const arch = archOfTriple(graph.triple);
    if (this.context.decoder === undefined) this.context.decoder = DECODERS[arch];
    this.context.recordGraph(graph, arch === 'x86_64' || arch === 'amd64' ? x86_64CheckTables(graph) : {});
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
