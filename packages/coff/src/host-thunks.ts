/**
 * Calls from COFF code to the host's functions. COFF x86-64 code follows the
 * Microsoft x64 convention, the host's C library System V's: each function a
 * graph calls that no COFF object defines is called through a thunk the
 * architecture writes (integer and pointer arguments only).
 */
import { MemProt, type LinkGraph, type Symbol } from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';
import { IMAGE_BASE_SYMBOL_NAME } from './image-base.js';

export const HOST_THUNKS_SECTION_NAME = '$__COFF_HOST_THUNKS';

/**
 * A post-prune pass (before the architecture's table passes): functions the
 * graph refers to that `isCoffDefined` says no COFF object defines get a
 * thunk, and every reference to them refers to the thunk instead.
 */
export function createHostCallThunkPass(arch: CoffArchSupport, isCoffDefined: (name: string) => boolean): (graph: LinkGraph) => void {
  return (graph) => {
    const addThunk = arch.addHostCallThunk;
    if (addThunk === undefined) return;
    const thunks = new Map<Symbol, Symbol>();
    for (const ext of graph.externalSymbols()) {
      if (!ext.callable || ext.name === undefined || ext.name === IMAGE_BASE_SYMBOL_NAME || isCoffDefined(ext.name)) continue;
      const section = graph.findSectionByName(HOST_THUNKS_SECTION_NAME) ?? graph.createSection(HOST_THUNKS_SECTION_NAME, MemProt.Read | MemProt.Exec);
      thunks.set(ext, addThunk(graph, section, ext));
    }
    if (thunks.size === 0) return;
    const thunkBlocks = new Set([...thunks.values()].map((t) => t.block));
    for (const block of graph.blockList()) {
      if (thunkBlocks.has(block)) continue;
      for (let i = 0; i < block.edgeCount; i++) {
        const thunk = thunks.get(block.edgeTarget(i));
        if (thunk !== undefined) block.setEdgeTarget(i, thunk);
      }
    }
  };
}
