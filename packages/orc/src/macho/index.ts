/**
 * MachO platform support for a session on a non-Darwin host (as llvm-jitlink
 * runs MachO objects on Linux): Darwin's C names carry a leading underscore,
 * so `_printf` is looked up as the host's `printf`; `__mod_init_func`
 * initializers run before the entry point and `__mod_term_func` finalizers
 * after it; thread-local variables (`__thread_data` / `__thread_bss`) get a
 * TLS block of the system loader's, as ELF's do, which the architecture's
 * descriptor thunk reaches from the thread pointer.
 */
import {
  JITLinkError,
  readAddress64,
  setThreadLocalResolver,
  type ExecutorProcessControl,
  type LinkGraph,
  type PassConfiguration,
  type TargetAddress,
} from '@jitlink/core';
import { getMachOGraphInfo } from '@jitlink/macho';
import type { DefinitionGenerator, ExecutorSymbolDef, JITDylib, MaterializationResponsibility, ResourceTracker } from '../session.js';
import type { ObjectLinkingLayer, Plugin } from '../object-linking-layer.js';
import { DEREGISTER_EH_FRAME, REGISTER_EH_FRAME } from '../eh-frame-services.js';
import { LoaderThreadLocalStorage } from '../tls-blocks.js';

const EH_FRAME_SECTION = '__TEXT,__eh_frame';

/** Host symbols are weak, as process symbols are: linked definitions win. */
const HOST_FLAGS = { hidden: false, weak: true, callable: true };

/**
 * Defines `_name` as the host's `name`: an absolute definition the dylib
 * already has (the platform runtime's atexit, __cxa_atexit, __dso_handle),
 * else the executor process's symbol.
 */
export class DarwinNameGenerator implements DefinitionGenerator {
  constructor(
    private readonly executor: ExecutorProcessControl,
    /** Return false to keep a (Darwin) name from the host (e.g. the entry point). */
    private readonly allow: (name: string) => boolean = () => true,
  ) {}

  async tryToGenerate(dylib: JITDylib, names: readonly string[]): Promise<void> {
    const defs = new Map<string, ExecutorSymbolDef>();
    const fromProcess: string[] = [];
    for (const name of names) {
      if (!name.startsWith('_') || !this.allow(name)) continue;
      const host = name.slice(1);
      const runtime = dylib.symbols.get(host);
      if (runtime !== undefined && runtime.record === undefined) defs.set(name, { address: runtime.address, flags: HOST_FLAGS });
      else fromProcess.push(host);
    }
    if (fromProcess.length > 0) {
      const found = await this.executor.lookupSymbols(fromProcess);
      for (const [host, address] of found) if (address !== 0) defs.set('_' + host, { address, flags: HOST_FLAGS });
    }
    if (defs.size > 0) dylib.defineAbsolute(defs);
  }
}

interface PointerTable {
  objectOrder: number;
  functions: TargetAddress[];
  tracker: ResourceTracker;
}

/** Runs the initializer and finalizer tables of linked MachO graphs. */
export class MachOPlatform implements Plugin {
  private readonly pendingInit: PointerTable[] = [];
  private readonly pendingTerm: PointerTable[] = [];
  private finalized = false;
  /** The same loader-owned TLS blocks as ELF's (a generated shared object with PT_TLS per graph). */
  private readonly tls: LoaderThreadLocalStorage;
  private readonly tlsModules: { tracker: ResourceTracker; unload: () => Promise<void> }[] = [];

  private constructor(readonly executor: ExecutorProcessControl) {
    this.tls = new LoaderThreadLocalStorage(executor);
  }

  /** Installs the platform on `layer`; `dylibs` get the Darwin-name generator (after their own definitions). */
  static create(layer: ObjectLinkingLayer, executor: ExecutorProcessControl): MachOPlatform {
    const platform = new MachOPlatform(executor);
    layer.addPlugin(platform);
    return platform;
  }

  modifyPassConfig(mr: MaterializationResponsibility, graph: LinkGraph, config: PassConfiguration): void {
    const info = getMachOGraphInfo(graph);
    if (info === undefined) return;
    const objectOrder = mr.record.seq;
    const tracker = mr.tracker;
    config.postAllocationPasses.push((g) => this.registerEHFrame(g));
    setThreadLocalResolver(graph, this.tls);
    // Only graphs with thread-local data wait for their block (no event-loop turn for the others).
    if (info.threadDataSections.length > 0) {
      config.postAllocationPasses.push(async (g) => {
        const unload = await this.tls.loadSections(g, info.threadDataSections);
        if (unload) this.tlsModules.push({ tracker, unload });
      });
    }
    config.postFixupPasses.push((g) => this.recordTables(g, objectOrder, tracker));
  }

  /** DWARF unwind records go to the host's unwinder, as the ELF platform registers .eh_frame. */
  private registerEHFrame(graph: LinkGraph): void {
    const section = graph.findSectionByName(EH_FRAME_SECTION);
    if (!section || section.blocks.size === 0) return;
    const range = section.range();
    graph.allocActions.push({
      finalize: { fn: REGISTER_EH_FRAME, args: [range.start, range.size] },
      dealloc: { fn: DEREGISTER_EH_FRAME, args: [range.start, range.size] },
    });
  }

  private recordTables(graph: LinkGraph, objectOrder: number, tracker: ResourceTracker): void {
    const info = getMachOGraphInfo(graph)!;
    for (const [sections, into] of [
      [info.initSections, this.pendingInit],
      [info.termSections, this.pendingTerm],
    ] as const) {
      for (const section of sections) {
        const functions: TargetAddress[] = [];
        for (const block of [...section.blocks].sort((a, b) => a.address - b.address)) {
          const content = block.getContent();
          const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
          for (let off = 0; off + 8 <= content.length; off += 8) {
            const fn = readAddress64(view, off, true);
            if (fn === undefined) {
              throw new JITLinkError('MalformedObject', 'initializer entry is not a valid address', {
                file: graph.name,
                section: section.name,
                offset: off,
                offsetIn: 'section',
              });
            }
            functions.push(fn);
          }
        }
        into.push({ objectOrder, functions, tracker });
      }
    }
  }

  /** Runs the initializers of every object linked since the last call, objects in the order they were added. */
  async runInitializers(): Promise<void> {
    const tables = this.pendingInit.splice(0).sort((a, b) => a.objectOrder - b.objectOrder);
    for (const t of tables) for (const fn of t.functions) await this.executor.callVoid(fn);
  }

  /** Runs the finalizers, in reverse. */
  async runFinalizers(): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    const tables = this.pendingTerm.splice(0).sort((a, b) => b.objectOrder - a.objectOrder);
    for (const t of tables) for (const fn of [...t.functions].reverse()) await this.executor.callVoid(fn);
  }

  notifyFailed(): void {}

  notifyRemovingResources(key: ResourceTracker): void {
    this.discardInitializers(key);
    // The removed graphs' thread-local blocks go too, in every thread.
    for (let i = this.tlsModules.length - 1; i >= 0; i--) {
      if (this.tlsModules[i]!.tracker === key) void this.tlsModules.splice(i, 1)[0]!.unload();
    }
  }

  /** Forgets the pending initializers and terminators of what `tracker` holds (they will not run). */
  discardInitializers(tracker: ResourceTracker): void {
    for (const list of [this.pendingInit, this.pendingTerm]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.tracker === tracker) list.splice(i, 1);
    }
  }

  notifyTransferringResources(dst: ResourceTracker, src: ResourceTracker): void {
    for (const t of [...this.pendingInit, ...this.pendingTerm, ...this.tlsModules]) if (t.tracker === src) t.tracker = dst;
  }
}
