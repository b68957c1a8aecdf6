/** The format-independent x86-64 passes and LinkTarget. */
import type { EHFramePassOptions, LinkGraph, LinkTarget, PassConfiguration } from '@jitlink/core';
import { X86_64EdgeKinds as K } from './edge-kinds.js';
import { applyFixup } from './fixups.js';
import { buildGOTAndStubs, type GOTAndStubsBuilder } from './got-plt.js';
import { optimizeGOTAndStubAccesses } from './relax.js';

/**
 * The eh-frame passes' edge kinds on x86-64, for ELF and MachO alike
 * (`addEHFramePasses(config, section, X86_64_EH_FRAME_OPTIONS)`).
 */
export const X86_64_EH_FRAME_OPTIONS: EHFramePassOptions = {
  pointerSize: 8,
  edgeKinds: {
    pointer32: K.Pointer32,
    pointer64: K.Pointer64,
    delta32: K.Delta32,
    delta64: K.Delta64,
    negDelta32: K.NegDelta32,
    // Non-PIC personality pointers and type-table entries to other modules
    // go through GOT entries (see README, "Non-PIC exception tables").
    requestGOTAndTransformToDelta32: K.RequestGOTAndTransformToDelta32,
  },
};

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
