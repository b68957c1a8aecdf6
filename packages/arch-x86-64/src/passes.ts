/** The format-independent x86-64 passes and LinkTarget. */
import type { LinkGraph, LinkTarget, PassConfiguration } from '@jitlink/core';
import { applyFixup } from './fixups.js';
import { buildGOTAndStubs, type GOTAndStubsBuilder } from './got-plt.js';
import { optimizeGOTAndStubAccesses } from './relax.js';

/**
 * Adds GOT/stub construction (post-prune), then canonical-stub redirection
 * and relaxation (pre-fixup). Call it once per link (as `addDefaultPasses`
 * does): the passes share a GOTAndStubsBuilder that lives as long as the link.
 */
export function addX86_64Passes(config: PassConfiguration): void {
  let tables: GOTAndStubsBuilder | undefined;
  config.postPrunePasses.push((graph: LinkGraph) => {
    tables = buildGOTAndStubs(graph);
  });
  config.preFixupPasses.push(
    () => tables?.redirectUnreachableFunctionPointers(),
    (graph: LinkGraph) => optimizeGOTAndStubAccesses(graph, tables),
  );
}

/**
 * x86-64 fixups with the GOT/stub and relaxation passes. Object-format
 * packages (e.g. `@jitlink/arch-x86-64/elf`) add their own passes on top.
 */
export const x86_64LinkTarget: LinkTarget = {
  applyFixup,
  addDefaultPasses(_graph, config) {
    addX86_64Passes(config);
  },
};
