/** The format-independent AArch64 passes and LinkTarget. */
import type { EHFramePassOptions, LinkGraph, LinkTarget, PassConfiguration } from '@jitlink/core';
import { AArch64EdgeKinds as K } from './edge-kinds.js';
import { applyFixup } from './fixups.js';
import { buildAArch64GOTAndStubs, type AArch64GOTAndStubs } from './got-plt.js';
import { optimizeAArch64GOTAndStubAccesses } from './relax.js';
import { addAArch64VeneerPasses } from './veneers.js';

/**
 * The eh-frame passes' edge kinds on AArch64, for ELF and MachO alike
 * (`addEHFramePasses(config, section, AARCH64_EH_FRAME_OPTIONS)`).
 */
export const AARCH64_EH_FRAME_OPTIONS: EHFramePassOptions = {
  pointerSize: 8,
  edgeKinds: {
    pointer32: K.Pointer32,
    pointer64: K.Pointer64,
    delta32: K.Delta32,
    delta64: K.Delta64,
    negDelta32: K.NegDelta32,
    requestGOTAndTransformToDelta32: K.RequestGOTAndTransformToDelta32,
  },
};

/**
 * Adds GOT/stub construction (post-prune), the bypass of stubs whose callee is in reach and
 * GOT-load relaxation (pre-fixup, one walk), and branch range-extension veneers (reserved post-prune, filled pre-fixup).
 * Call it once per link (as `addDefaultPasses` does): the passes share state that lives as long as the link.
 */
export function addAArch64Passes(config: PassConfiguration): void {
  // One builder per link, shared by the passes of this link only.
  let tables: AArch64GOTAndStubs | undefined;
  config.postPrunePasses.push((graph: LinkGraph) => {
    tables = buildAArch64GOTAndStubs(graph);
  });
  config.preFixupPasses.push((graph: LinkGraph) => optimizeAArch64GOTAndStubAccesses(graph, tables));
  addAArch64VeneerPasses(config);
}

/** AArch64 fixups with the GOT/stub pass; object-format subpaths add their own passes on top. */
export const aarch64LinkTarget: LinkTarget = {
  applyFixup,
  addDefaultPasses(_graph, config) {
    addAArch64Passes(config);
  },
};
