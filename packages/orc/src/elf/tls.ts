/**
 * Thread-local storage for the ELF platform: a graph's .tdata/.tbss blocks
 * become one loader-owned TLS block (see ../tls-blocks.ts).
 */
import type { LinkGraph } from '@jitlink/core';
import { getElfGraphInfo } from '@jitlink/elf';
import { LoaderThreadLocalStorage } from '../tls-blocks.js';

export class ElfThreadLocalStorage extends LoaderThreadLocalStorage {
  /** True when the graph has a thread-local block (load has something to do). */
  hasThreadLocalData(graph: LinkGraph): boolean {
    const sections = getElfGraphInfo(graph)?.tlsSections;
    if (!sections) return false;
    for (const section of sections) if (section.blocks.size > 0) return true;
    return false;
  }

  /** Post-allocation: loads the graph's TLS block; returns its unloader, or undefined without TLS. */
  async load(graph: LinkGraph): Promise<(() => Promise<void>) | undefined> {
    return this.loadSections(graph, getElfGraphInfo(graph)?.tlsSections);
  }
}
