/**
 * ELF platform support for a session: static initializers and finalizers
 * (.preinit_array, .init_array[.N], .ctors[.N], .fini_array[.N], .dtors[.N]),
 * exit handlers registered by linked code (atexit / __cxa_atexit with
 * __dso_handle), and registration of .eh_frame with the executor's unwinder.
 */
import { JITLinkError, readAddress64, type ExecutorProcessControl, type JITRuntimeServices, type LinkGraph, type PassConfiguration, type TargetAddress } from '@jitlink/core';
import { getElfGraphInfo, initializerSectionInfo, setThreadLocalResolver, writeElfDebugObjects, type InitializerSectionInfo } from '@jitlink/elf';
import { DebuggerSupportPlugin, type DebuggerSupportOptions } from '../debugging.js';
import { ElfThreadLocalStorage } from './tls.js';
import type { MaterializationResponsibility } from '../session.js';
import type { JITDylib, ResourceTracker } from '../session.js';
import type { ObjectLinkingLayer, Plugin } from '../object-linking-layer.js';
import { absoluteSymbols } from '../generators.js';

/**
 * Debugger support for ELF objects (llvm-jitlink's -debugger-support): each
 * linked object is registered with the executor's GDB JIT interface as a copy
 * of the object whose sections have their load addresses.
 */
export function createElfDebuggerSupport(executor: ExecutorProcessControl, options?: DebuggerSupportOptions): DebuggerSupportPlugin {
  return new DebuggerSupportPlugin(executor, writeElfDebugObjects, options);
}

interface InitializerTable {
  info: InitializerSectionInfo;
  /** Order in which the defining object was added (ties between equal priorities). */
  objectOrder: number;
  sectionOrder: number;
  /** Function addresses in table order. */
  functions: TargetAddress[];
  tracker: ResourceTracker;
}

/** The executor services that register an .eh_frame section with the unwinder (shared with the MachO platform). */
export { REGISTER_EH_FRAME, DEREGISTER_EH_FRAME } from '../eh-frame-services.js';
import { REGISTER_EH_FRAME, DEREGISTER_EH_FRAME } from '../eh-frame-services.js';

export class ElfPlatform implements Plugin {
  private readonly pendingInit: InitializerTable[] = [];
  private readonly pendingFini: InitializerTable[] = [];
  private runtime: JITRuntimeServices | undefined;
  private finalized = false;
  private readonly tls: ElfThreadLocalStorage;
  /** Unloaders of the TLS modules of linked graphs, by the tracker owning them. */
  private readonly tlsModules: { tracker: ResourceTracker; unload: () => Promise<void> }[] = [];

  private constructor(
    readonly layer: ObjectLinkingLayer,
    readonly executor: ExecutorProcessControl,
  ) {
    this.tls = new ElfThreadLocalStorage(executor);
  }

  /**
   * Installs the platform on `layer` and defines its runtime symbols
   * (atexit, __cxa_atexit, __dso_handle) in `dylib`.
   */
  static async create(layer: ObjectLinkingLayer, dylib: JITDylib, executor: ExecutorProcessControl): Promise<ElfPlatform> {
    const platform = new ElfPlatform(layer, executor);
    if (executor.createRuntimeServices) {
      platform.runtime = await executor.createRuntimeServices();
      dylib.defineAbsolute(absoluteSymbols(platform.runtime.symbols, { callable: true }));
    }
    layer.addPlugin(platform);
    return platform;
  }

  modifyPassConfig(mr: MaterializationResponsibility, graph: LinkGraph, config: PassConfiguration): void {
    const objectOrder = mr.record.seq;
    const tracker = mr.tracker;
    config.postAllocationPasses.push((g) => this.registerEHFrame(g));
    setThreadLocalResolver(graph, this.tls);
    config.postAllocationPasses.push((g) => this.loadThreadLocals(g, tracker));
    // First among the pre-fixup passes: the arch lowers its TLS edges with the resolver after it.
    config.preFixupPasses.unshift((g) => (getElfGraphInfo(g)?.threadLocalExternals?.size ? this.tls.locateLibraryThreadLocals(g) : undefined));
    config.postFixupPasses.push((g) => this.recordInitializers(g, objectOrder, tracker));
  }

  /**
   * Post-allocation: loads the graph's TLS module. A graph without
   * thread-local data returns no promise, so its link goes on without an
   * event-loop turn.
   */
  private loadThreadLocals(graph: LinkGraph, tracker: ResourceTracker): Promise<void> | undefined {
    if (!this.tls.hasThreadLocalData(graph)) return undefined;
    return this.tls.load(graph).then((unload) => {
      if (unload) this.tlsModules.push({ tracker, unload });
    });
  }

  private registerEHFrame(graph: LinkGraph): void {
    const section = graph.findSectionByName('.eh_frame');
    if (!section || section.blocks.size === 0) return;
    const range = section.range();
    graph.allocActions.push({
      finalize: { fn: REGISTER_EH_FRAME, args: [range.start, range.size] },
      dealloc: { fn: DEREGISTER_EH_FRAME, args: [range.start, range.size] },
    });
  }

  private recordInitializers(graph: LinkGraph, objectOrder: number, tracker: ResourceTracker): void {
    // COFF's .ctors hold code of another calling convention: the COFF platform runs them.
    if (graph.format === 'coff') return;
    const names = getElfGraphInfo(graph)?.originalNames;
    const sections = graph.sectionList();
    for (let i = 0; i < sections.length; i++) {
      const section = sections[i]!;
      const info = initializerSectionInfo(names?.get(section) ?? section.name);
      if (!info) continue;
      const functions: TargetAddress[] = [];
      const blocks = [...section.blocks].sort((a, b) => a.address - b.address);
      for (const block of blocks) {
        if (block.isZeroFill()) continue;
        const content = block.getContent();
        const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
        const width = graph.pointerSize;
        for (let off = 0; off + width <= content.length; off += width) {
          const fn = width === 8 ? readAddress64(view, off, graph.isLittleEndian) : view.getUint32(off, graph.isLittleEndian);
          if (fn === undefined) {
            throw new JITLinkError('MalformedObject', `initializer entry is not a valid address`, { file: graph.name, section: section.name, offset: off, offsetIn: 'section' });
          }
          // .ctors/.dtors tables may hold 0 / -1 sentinels.
          if (fn !== 0 && fn !== -1 && !(width === 4 && fn === 0xffffffff)) functions.push(fn);
        }
      }
      // Legacy .ctors/.dtors tables run from the end backwards.
      if (info.legacy) functions.reverse();
      const table: InitializerTable = { info, objectOrder, sectionOrder: section.ordinal, functions, tracker };
      if (info.kind === 'fini') this.pendingFini.push(table);
      else this.pendingInit.push(table);
    }
  }

  private static order(a: InitializerTable, b: InitializerTable): number {
    // preinit before init; then priority; then object order; then section order.
    const kind = (t: InitializerTable) => (t.info.kind === 'preinit' ? 0 : 1);
    return kind(a) - kind(b) || a.info.priority - b.info.priority || a.objectOrder - b.objectOrder || a.sectionOrder - b.sectionOrder;
  }

  /** Runs the initializers of every object linked since the last call, in static-linker order. */
  async runInitializers(): Promise<void> {
    const tables = this.pendingInit.splice(0).sort(ElfPlatform.order);
    for (const t of tables) for (const fn of t.functions) await this.executor.callVoid(fn);
  }

  /**
   * Runs what exit() would: handlers registered with atexit/__cxa_atexit (in
   * reverse), then finalizers in reverse static-linker order.
   */
  async runFinalizers(): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    await this.runtime?.runAtExitHandlers();
    const tables = this.pendingFini.splice(0).sort(ElfPlatform.order).reverse();
    for (const t of tables) for (const fn of [...t.functions].reverse()) await this.executor.callVoid(fn);
    await this.executor.flushOutput?.();
  }

  /** Forgets the pending initializers and finalizers of what `tracker` holds (they will not run). */
  discardInitializers(tracker: ResourceTracker): void {
    for (const list of [this.pendingInit, this.pendingFini]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.tracker === tracker) list.splice(i, 1);
    }
  }

  notifyFailed(): void {}

  notifyRemovingResources(key: ResourceTracker): void {
    // Tables of removed objects must never run.
    this.discardInitializers(key);
    for (let i = this.tlsModules.length - 1; i >= 0; i--) {
      if (this.tlsModules[i]!.tracker === key) void this.tlsModules.splice(i, 1)[0]!.unload();
    }
  }

  notifyTransferringResources(dst: ResourceTracker, src: ResourceTracker): void {
    for (const t of [...this.pendingInit, ...this.pendingFini, ...this.tlsModules]) if (t.tracker === src) t.tracker = dst;
  }
}
