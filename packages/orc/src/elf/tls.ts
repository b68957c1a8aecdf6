/**
 * Thread-local storage for the ELF platform: a graph's .tdata/.tbss blocks
 * become one loader-owned TLS block (see ../tls-blocks.ts).
 */
import type { LinkGraph } from '@jitlink/core';
import { getElfGraphInfo } from '@jitlink/elf';
import { LoaderThreadLocalStorage } from '../tls-blocks.js';

export class ElfThreadLocalStorage extends LoaderThreadLocalStorage {
  /** Post-allocation: loads the graph's TLS block; returns its unloader, or undefined without TLS. */
  async load(graph: LinkGraph): Promise<(() => Promise<void>) | undefined> {
    return this.loadSections(graph, getElfGraphInfo(graph)?.tlsSections);
  }
}
