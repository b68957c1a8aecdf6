/**
 * Thread-local storage for the ELF platform: after allocation, a graph's
 * .tdata/.tbss blocks (allocated as a template: their addresses name the
 * variables) are laid out into one TLS image, which the executor loads as a
 * module of its own (see ExecutorProcessControl.loadThreadLocalModule). The
 * graph's resolver — and that of every later graph, for cross-object
 * accesses — maps a template address to {module id, offset in block, offset
 * from the thread pointer}. Removing the graph's resources unloads the module.
 */
import { JITLinkError, type ExecutorProcessControl, type LinkGraph, type LoadedThreadLocalModule } from '@jitlink/core';
import { getElfGraphInfo, type ThreadLocalLocation, type ThreadLocalResolver } from '@jitlink/elf';

interface TemplateRange {
  start: number;
  end: number;
  imageOffset: number;
  moduleId: number;
  threadPointerOffset: number;
}

/** ELF e_machine and the relocation asking for a block's thread-pointer offset (TPOFF64 / TLS_TPREL64), by architecture. */
const TLS_MODULE_MACHINES: Record<string, { machine: number; threadPointerRelocation: number }> = {
  x86_64: { machine: 62, threadPointerRelocation: 18 },
  aarch64: { machine: 183, threadPointerRelocation: 1030 },
};

export class ElfThreadLocalStorage implements ThreadLocalResolver {
  private readonly ranges: TemplateRange[] = [];
  /** For executors that run nothing, or not this architecture (-noexec): module ids and static offsets handed out here. */
  private simulatedModules = 0;
  private simulatedStaticSize = 0;

  constructor(private readonly executor: ExecutorProcessControl) {}

  /** Thread-locals of the executor's libraries (e.g. libstdc++'s std::__once_callable), by resolved address. */
  private readonly libraryThreadLocals = new Map<number, ThreadLocalLocation>();

  lookup(address: number): ThreadLocalLocation | undefined {
    for (const r of this.ranges) {
      if (address >= r.start && address < r.end) {
        const blockOffset = r.imageOffset + (address - r.start);
        return { moduleId: r.moduleId, blockOffset, threadPointerOffset: r.threadPointerOffset + blockOffset };
      }
    }
    return this.libraryThreadLocals.get(address);
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
    const arch = graph.triple.split('-')[0] ?? '';
    const runsHere = this.executor.loadThreadLocalModule !== undefined && arch === (this.executor.triple.split('-')[0] ?? '');
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

  private simulate(size: number, alignment: number, arch: string): LoadedThreadLocalModule {
    const moduleId = ++this.simulatedModules + 1;
    if (arch.startsWith('aarch64')) {
      // Variant I (AArch64): static blocks follow the 16-byte TCB the thread pointer points at.
      const start = Math.ceil(Math.max(16, this.simulatedStaticSize) / alignment) * alignment;
      this.simulatedStaticSize = start + size;
      return { moduleId, threadPointerOffset: start, unload: async () => {} };
    }
    // Variant II (x86-64): static blocks lie below the thread pointer.
    this.simulatedStaticSize = Math.ceil((this.simulatedStaticSize + size) / alignment) * alignment;
    return { moduleId, threadPointerOffset: -this.simulatedStaticSize, unload: async () => {} };
  }

  /** True when the graph has a thread-local block (load has something to do). */
  hasThreadLocalData(graph: LinkGraph): boolean {
    const sections = getElfGraphInfo(graph)?.tlsSections;
    if (!sections) return false;
    for (const section of sections) if (section.blocks.size > 0) return true;
    return false;
  }

  /** Post-allocation: loads the graph's TLS block; returns its unloader, or undefined without TLS. */
  async load(graph: LinkGraph): Promise<(() => Promise<void>) | undefined> {
    const sections = getElfGraphInfo(graph)?.tlsSections;
    if (!sections || sections.size === 0) return undefined;
    const blocks = [...sections].flatMap((s) => [...s.blocks]);
    if (blocks.length === 0) return undefined;
    // .tdata content first, then .tbss zero fill, as PT_TLS lays them out.
    blocks.sort((a, b) => Number(a.isZeroFill()) - Number(b.isZeroFill()) || a.address - b.address);
    let size = 0;
    let alignment = 1;
    const placed: { start: number; end: number; imageOffset: number }[] = [];
    let initSize = 0;
    for (const block of blocks) {
      if (block.edgeCount > 0) {
        throw new JITLinkError('UnsupportedFeature', 'thread-local variables initialized with addresses are not supported yet', {
          file: graph.name,
          section: block.section.name,
        });
      }
      const offset = Math.ceil(size / block.alignment) * block.alignment;
      alignment = Math.max(alignment, block.alignment);
      placed.push({ start: block.address, end: block.address + block.size, imageOffset: offset });
      size = offset + block.size;
      if (!block.isZeroFill()) initSize = size;
    }
    const initImage = new Uint8Array(initSize);
    blocks.forEach((block, i) => {
      if (!block.isZeroFill()) initImage.set(block.getContent(), placed[i]!.imageOffset);
    });
    // The graph's architecture: a -noexec link of aarch64 objects may run beside an x86-64 executor.
    const arch = graph.triple.split('-')[0] ?? '';
    const executorArch = this.executor.triple.split('-')[0] ?? '';
    const machine = TLS_MODULE_MACHINES[arch.startsWith('aarch64') ? 'aarch64' : arch] ?? TLS_MODULE_MACHINES.x86_64!;
    const image = { initImage, memorySize: Math.max(size, 1), alignment, ...machine };
    const loaded = this.executor.loadThreadLocalModule && arch === executorArch
      ? await this.executor.loadThreadLocalModule(image, graph.name)
      : this.simulate(image.memorySize, alignment, arch);
    const mine = placed.map((p) => ({ ...p, moduleId: loaded.moduleId, threadPointerOffset: loaded.threadPointerOffset }));
    this.ranges.push(...mine);
    return async () => {
      for (const r of mine) this.ranges.splice(this.ranges.indexOf(r), 1);
      await loaded.unload();
    };
  }
}
