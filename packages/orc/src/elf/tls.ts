/**
 * Thread-local storage for the ELF platform: the graph's .tdata/.tbss blocks
 * go into a TLS block of the executor's system loader, as every platform's
 * do (LoaderThreadLocalStorage); here also the thread-locals of the
 * executor's own libraries, which ELF objects may reference.
 */
import { JITLinkError, type LinkGraph } from '@jitlink/core';
import { getElfGraphInfo, type ThreadLocalLocation } from '@jitlink/elf';
import { architectureOf, LoaderThreadLocalStorage } from '../tls-blocks.js';

export class ElfThreadLocalStorage extends LoaderThreadLocalStorage {
  /** Thread-locals of the executor's libraries (e.g. libstdc++'s std::__once_callable), by resolved address. */
  private readonly libraryThreadLocals = new Map<number, ThreadLocalLocation>();

  override lookup(address: number): ThreadLocalLocation | undefined {
    return super.lookup(address) ?? this.libraryThreadLocals.get(address);
  }

  /**
   * Pre-fixup, before the arch lowers its TLS edges: external thread-local
   * symbols that no linked graph defines resolved into the executor's
   * libraries; asks the executor where they live (module id, offsets).
   * Where nothing runs (an executor without TLS blocks, or -noexec of another
   * architecture), their module id is 1 and their offsets 0.
   */
  async locateLibraryThreadLocals(graph: LinkGraph): Promise<void> {
    const names = getElfGraphInfo(graph)?.threadLocalExternals;
    if (!names || names.size === 0) return;
    const wanted = new Set<number>();
    for (const sym of graph.externalSymbols()) {
      if (sym.name === undefined || !names.has(sym.name) || sym.address === 0) continue;
      if (this.lookup(sym.address) === undefined) wanted.add(sym.address);
    }
    for (const sym of graph.absoluteSymbols()) {
      if (sym.name !== undefined && names.has(sym.name) && sym.address !== 0 && this.lookup(sym.address) === undefined) wanted.add(sym.address);
    }
    if (wanted.size === 0) return;
    const addresses = [...wanted];
    const runsHere = this.executor.loadThreadLocalModule !== undefined && architectureOf(graph.triple) === architectureOf(this.executor.triple);
    if (runsHere && !this.executor.locateThreadLocals) {
      throw new JITLinkError('UnsupportedFeature', `thread-locals of the executor's libraries (${[...names].join(', ')}): this executor cannot locate them`, {
        file: graph.name,
      });
    }
    const places = runsHere
      ? await this.executor.locateThreadLocals!(addresses)
      : addresses.map(() => ({ moduleId: 1, blockOffset: 0, threadPointerOffset: 0 }));
    addresses.forEach((address, i) => {
      const place = places[i];
      // NaN: a block in dynamic TLS has no offset from the thread pointer; the arch lowering refuses it.
      if (place) this.libraryThreadLocals.set(address, { ...place, threadPointerOffset: place.threadPointerOffset ?? Number.NaN });
    });
  }

  /** True when the graph has a thread-local block (load has something to do). */
  hasThreadLocalData(graph: LinkGraph): boolean {
    const sections = getElfGraphInfo(graph)?.tlsSections;
    if (!sections) return false;
    for (const section of sections) if (section.blocks.size > 0) return true;
    return false;
  }

  /**
   * Post-allocation: loads the graph's TLS block; returns its unloader, or
   * undefined without TLS. The graph's architecture decides: a -noexec link
   * of aarch64 objects may run beside an x86-64 executor.
   */
  load(graph: LinkGraph): Promise<(() => Promise<void>) | undefined> {
    return this.loadSections(graph, getElfGraphInfo(graph)?.tlsSections, architectureOf(graph.triple));
  }
}
