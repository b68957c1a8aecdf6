/**
 * Harness mode (llvm-jitlink's -harness): inputs after -harness form a test
 * harness; the other objects are the test set. Harness definitions override
 * the test set's, and symbols the harness refers to that are local to a
 * test-set object are promoted to default scope so the harness can reach them.
 * The graph changes are made by an ObjectLinkingLayer plugin; the test set's
 * interface is adjusted when it is added.
 */
import { Scope, type LinkGraph } from '@jitlink/core';
import { graphInterface, type JITSymbolFlags, type Plugin } from '@jitlink/orc';

export class HarnessPlugin implements Plugin {
  /** Non-local definitions of the harness. */
  readonly harnessDefinitions = new Set<string>();
  /** Names the harness refers to but does not define. */
  readonly harnessReferences = new Set<string>();
  private readonly testSet = new WeakSet<LinkGraph>();

  constructor(harnessGraphs: readonly LinkGraph[]) {
    for (const g of harnessGraphs) {
      for (const sym of g.definedSymbols()) if (sym.name !== undefined && sym.scope !== Scope.Local) this.harnessDefinitions.add(sym.name);
    }
    for (const g of harnessGraphs) {
      for (const sym of g.externalSymbols()) if (!this.harnessDefinitions.has(sym.name!)) this.harnessReferences.add(sym.name!);
    }
  }

  /**
   * The interface to register for a test-set graph: without what the harness
   * defines, plus the locals the harness refers to (promoted at link time).
   */
  testSetInterface(graph: LinkGraph): Map<string, JITSymbolFlags> {
    this.testSet.add(graph);
    const symbols = graphInterface(graph);
    for (const name of this.harnessDefinitions) symbols.delete(name);
    for (const sym of graph.definedSymbols()) {
      if (sym.scope === Scope.Local && sym.name !== undefined && this.harnessReferences.has(sym.name) && !symbols.has(sym.name)) {
        symbols.set(sym.name, { hidden: false, weak: false, callable: sym.callable });
      }
    }
    return symbols;
  }

  modifyPassConfig(_mr: unknown, graph: LinkGraph, config: { prePrunePasses: ((g: LinkGraph) => void)[] }): void {
    if (!this.testSet.has(graph)) return;
    config.prePrunePasses.push((g) => {
      const promoted = new Set<string>();
      for (const sym of g.definedSymbols()) {
        if (sym.scope !== Scope.Local || sym.name === undefined || !this.harnessReferences.has(sym.name)) continue;
        if (promoted.has(sym.name)) continue; // two locals of one name: the first is promoted
        promoted.add(sym.name);
        sym.scope = Scope.Default;
      }
    });
  }

  notifyFailed(): void {}
  notifyRemovingResources(): void {}
  notifyTransferringResources(): void {}
}
