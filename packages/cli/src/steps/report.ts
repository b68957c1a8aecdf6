/**
 * Report: what -show-graphs, -show-sizes, -show-relocated-section-contents,
 * -show-init-es/-show-entry-es, -show-addrs and -show-times print, as text as
 * it comes or, with --json, as one document printed at the end.
 */
import { formatAddress, printLinkGraph } from '@jitlink/core';
import { SymbolState, type ExecutionSession, type JITDylib, type ObjectLinkingLayer } from '@jitlink/orc';
import { describeGraph } from '../graph/model.js';
import { relocatedSectionContents, relocatedSectionContentsJson, sessionState, sessionStateText, SizeStats } from '../link-extras.js';
import type { CliOptions } from '../options.js';
import type { CliIO } from '../run.js';
import type { Timer } from '../timer.js';

interface SymbolAddress {
  dylib: string;
  name: string;
  address: string;
  state: string;
}

/** Linked symbols of each dylib, by name. */
function symbolAddresses(dylibs: readonly JITDylib[]): SymbolAddress[] {
  const addrs: SymbolAddress[] = [];
  for (const d of dylibs) {
    for (const [name, entry] of [...d.symbols].sort(([a], [b]) => a.localeCompare(b))) {
      if (entry.record) addrs.push({ dylib: d.name, name, address: formatAddress(entry.address), state: SymbolState[entry.state]! });
    }
  }
  return addrs;
}

export class Reporter {
  /** The --json document. */
  private readonly document: Record<string, unknown> = {};
  private readonly shownGraphs: unknown[] = [];
  private readonly sectionContents: unknown[] = [];
  private readonly sizes = new SizeStats();

  constructor(
    private readonly options: CliOptions,
    private readonly io: CliIO,
  ) {}

  /** Installs the passes that see each graph as it links (-show-graphs, -show-sizes, -show-relocated-section-contents). */
  install(layer: ObjectLinkingLayer): void {
    const { options, io } = this;
    const graphPatterns = options.showGraphs.map((p) => new RegExp(p));
    if (graphPatterns.length === 0 && !options.showSizes && !options.showRelocatedSectionContents) return;
    layer.addPlugin({
      modifyPassConfig: (_mr, graph, config) => {
        if (options.showSizes) {
          config.prePrunePasses.push((g) => void (this.sizes.beforePruning += SizeStats.total(g)));
          config.postFixupPasses.push((g) => void (this.sizes.afterFixups += SizeStats.total(g)));
        }
        if (options.showRelocatedSectionContents) {
          config.postFixupPasses.push((g) => {
            if (options.json) this.sectionContents.push(relocatedSectionContentsJson(g));
            else io.stdout(relocatedSectionContents(g));
          });
        }
        if (!graphPatterns.some((re) => re.test(graph.name))) return;
        config.postFixupPasses.push((g) => {
          if (options.json) this.shownGraphs.push(describeGraph(g));
          else io.stdout(printLinkGraph(g));
        });
      },
      notifyFailed: () => undefined,
      notifyRemovingResources: () => undefined,
      notifyTransferringResources: () => undefined,
    });
  }

  /** -show-init-es: the session before the link. */
  beforeLink(session: ExecutionSession): void {
    if (!this.options.showInitES) return;
    if (this.options.json) this.document.initialSessionState = sessionState(session);
    else this.io.stdout(sessionStateText(session));
  }

  /** After the link, before the program runs: -show-entry-es, -show-sizes, the graphs and contents, -show-addrs. */
  afterLink(session: ExecutionSession, dylibs: readonly JITDylib[]): void {
    const { options, io, document } = this;
    if (options.showEntryES) {
      if (options.json) document.entrySessionState = sessionState(session);
      else io.stdout(sessionStateText(session));
    }
    if (options.showSizes) {
      if (options.json) document.sizes = { beforePruning: this.sizes.beforePruning, afterFixups: this.sizes.afterFixups };
      else io.stdout(this.sizes.text());
    }
    if (options.json) {
      if (options.showGraphs.length > 0) document.graphs = this.shownGraphs;
      if (options.showRelocatedSectionContents) document.relocatedSectionContents = this.sectionContents;
    }
    if (options.showAddrs) {
      const addrs = symbolAddresses(dylibs);
      if (options.json) document.addrs = addrs;
      else io.stdout(addrs.map((a) => `${a.dylib}: ${a.name} = ${a.address}\n`).join(''));
    }
  }

  /** At the end, whether the link succeeded or not: -show-times, and the --json document. */
  finish(timer: Timer): void {
    const { options, io } = this;
    if (options.showTimes && !options.json) io.stderr(timer.report());
    if (!options.json) return;
    if (options.showTimes) this.document.times = timer.toJson();
    // One document, on one line, after anything the program printed.
    io.stdout(JSON.stringify(this.document) + '\n');
  }
}
