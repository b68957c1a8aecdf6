/**
 * Thread-local storage owned by the executor's system loader, for every
 * platform: after allocation, a graph's thread-local template blocks (ELF
 * .tdata/.tbss, MachO __thread_data/__thread_bss; allocated as a template:
 * their addresses name the variables) are laid out into one TLS image, which
 * the executor loads as a module of its own (see
 * ExecutorProcessControl.loadThreadLocalModule). The graph's resolver — and
 * that of every later graph, for cross-object accesses — maps a template
 * address to {module id, offset in block, offset from the thread pointer}.
 * Removing the graph's resources unloads the module.
 */
import {
  JITLinkError,
  type ExecutorProcessControl,
  type LinkGraph,
  type LoadedThreadLocalModule,
  type Section,
  type ThreadLocalLocation,
  type ThreadLocalResolver,
} from '@jitlink/core';

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

export class LoaderThreadLocalStorage implements ThreadLocalResolver {
  private readonly ranges: TemplateRange[] = [];
  /** For executors that run nothing, or not the graph's architecture (-noexec): module ids and static offsets handed out here. */
  private simulatedModules = 0;
  private simulatedStaticSize = 0;

  constructor(protected readonly executor: ExecutorProcessControl) {}

  /** Where the thread-local at template `address` of a loaded block lives. */
  lookup(address: number): ThreadLocalLocation | undefined {
    for (const r of this.ranges) {
      if (address >= r.start && address < r.end) {
        const blockOffset = r.imageOffset + (address - r.start);
        return { moduleId: r.moduleId, blockOffset, threadPointerOffset: r.threadPointerOffset + blockOffset };
      }
    }
    return undefined;
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

  /**
   * Post-allocation: loads the blocks of `sections` (initialized data first,
   * then zero fill) as one TLS block; returns its unloader, or undefined when
   * there is nothing to load. `arch` is the architecture of the code that
   * reaches the block (by default the executor's): the executor loads it when
   * it runs that architecture; otherwise module ids and offsets are simulated.
   */
  async loadSections(
    graph: LinkGraph,
    sections: Iterable<Section> | undefined,
    arch: string = architectureOf(this.executor.triple),
  ): Promise<(() => Promise<void>) | undefined> {
    if (!sections) return undefined;
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
    const machine = TLS_MODULE_MACHINES[arch.startsWith('aarch64') ? 'aarch64' : arch] ?? TLS_MODULE_MACHINES.x86_64!;
    const image = { initImage, memorySize: Math.max(size, 1), alignment, ...machine };
    const loaded =
      this.executor.loadThreadLocalModule && arch === architectureOf(this.executor.triple)
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

/** The architecture field of a triple ("aarch64" of "aarch64-unknown-linux-gnu"). */
export function architectureOf(triple: string): string {
  return triple.split('-')[0] ?? '';
}
