/** The format-independent AArch64 passes and LinkTarget. */
import type { LinkTarget, PassConfiguration } from '@jitlink/core';
import { applyFixup } from './fixups.js';
import { buildAArch64GOTAndStubs } from './got-plt.js';
import { bypassReachableStubs, relaxGOTLoads } from './relax.js';
import { addAArch64VeneerPasses } from './veneers.js';

/**
 * Adds GOT/stub construction (post-prune), the bypass of stubs whose callee is in reach (pre-fixup),
 * GOT-load relaxation (pre-fixup), and branch range-extension veneers (reserved post-prune, filled pre-fixup).
 */
export function addAArch64Passes(config: PassConfiguration): void {
  config.postPrunePasses.push(buildAArch64GOTAndStubs);
  config.preFixupPasses.push(bypassReachableStubs, relaxGOTLoads);
  addAArch64VeneerPasses(config);
}

/** AArch64 fixups with the GOT/stub pass; object-format subpaths add their own passes on top. */
export const aarch64LinkTarget: LinkTarget = {
  applyFixup,
  addDefaultPasses(_graph, config) {
    addAArch64Passes(config);
  },
};
