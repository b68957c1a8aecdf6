/**
 * Debugger and profiler support as ObjectLinkingLayer plugins, independent
 * of the object format:
 *
 * - `DebuggerSupportPlugin` registers each linked object with the executor's
 *   GDB JIT interface before its code can run (debug objects come from the
 *   format: `@jitlink/orc/elf`'s `createElfDebuggerSupport` writes ELF ones),
 *   and takes it out again when its resources are removed.
 * - `PerfSupportPlugin` announces each linked function to profilers (perf
 *   map and jitdump records, written by the executor).
 */
import {
  JITLinkError,
  MemProt,
  type ExecutorProcessControl,
  type LinkGraph,
  type PassConfiguration,
  type PerfFunction,
  type RegisteredDebugObject,
} from '@jitlink/core';
import type { Plugin } from './object-linking-layer.js';
import type { MaterializationResponsibility, ResourceTracker } from './session.js';

/** An in-memory object file for debuggers, its sections at their load addresses. */
export interface DebugObject {
  name: string;
  bytes: Uint8Array;
}

/** Writes the debug objects of a graph after allocation (none for graphs of other formats). */
export type DebugObjectWriter = (graph: LinkGraph) => DebugObject[];

/** Tracks what a plugin registered per resource tracker, and what waits for emission per responsibility. */
class Registrations<Pending, Registered> {
  readonly pending = new Map<MaterializationResponsibility, Pending>();
  readonly registered: { tracker: ResourceTracker; value: Registered }[] = [];

  take(mr: MaterializationResponsibility): Pending | undefined {
    const value = this.pending.get(mr);
    this.pending.delete(mr);
    return value;
  }

  removeTracker(tracker: ResourceTracker): Registered[] {
    const removed: Registered[] = [];
    for (let i = this.registered.length - 1; i >= 0; i--) {
      if (this.registered[i]!.tracker === tracker) removed.push(this.registered.splice(i, 1)[0]!.value);
    }
    return removed;
  }

  transfer(dst: ResourceTracker, src: ResourceTracker): void {
    for (const r of this.registered) if (r.tracker === src) r.tracker = dst;
  }
}

export interface DebuggerSupportOptions {
  /**
   * Whether an executor that turns out to have no GDB JIT interface (an
   * UnsupportedFeature error from registerDebugObject) fails the link
   * (default) or only ends debugger support (for support that is on by default).
   */
  required?: boolean;
}

export class DebuggerSupportPlugin implements Plugin {
  private readonly objects = new Registrations<DebugObject[], RegisteredDebugObject>();
  private readonly required: boolean;
  /** Set once an executor without the interface was met (with `required: false`). */
  private unavailable = false;

  constructor(
    private readonly executor: ExecutorProcessControl,
    private readonly writeDebugObjects: DebugObjectWriter,
    options: DebuggerSupportOptions = {},
  ) {
    this.required = options.required ?? true;
    if (!executor.registerDebugObject) {
      throw new JITLinkError('UnsupportedFeature', `debugger support: this executor (${executor.triple}) has no GDB JIT interface`);
    }
  }

  modifyPassConfig(mr: MaterializationResponsibility, _graph: LinkGraph, config: PassConfiguration): void {
    // After allocation every section has its address; the object's bytes are still at hand.
    if (this.unavailable) return;
    config.postAllocationPasses.push((graph) => {
      const objects = this.writeDebugObjects(graph);
      if (objects.length > 0) this.objects.pending.set(mr, objects);
    });
  }

  /** Registers before the layer reports the code emitted, so a debugger knows it before it runs. */
  async notifyEmitted(mr: MaterializationResponsibility): Promise<void> {
    const objects = this.objects.take(mr);
    for (const object of objects ?? []) {
      if (this.unavailable) return;
      let registration: RegisteredDebugObject;
      try {
        registration = await this.executor.registerDebugObject!(object.bytes, object.name);
      } catch (e) {
        if (this.required || !(e instanceof JITLinkError) || e.code !== 'UnsupportedFeature') throw e;
        this.unavailable = true;
        return;
      }
      this.objects.registered.push({ tracker: mr.tracker, value: registration });
    }
  }

  notifyFailed(mr: MaterializationResponsibility): void {
    this.objects.take(mr);
  }

  async notifyRemovingResources(tracker: ResourceTracker): Promise<void> {
    for (const registration of this.objects.removeTracker(tracker)) await registration.deregister();
  }

  notifyTransferringResources(dst: ResourceTracker, src: ResourceTracker): void {
    this.objects.transfer(dst, src);
  }
}

/**
 * The named functions of a linked graph (callable symbols in executable
 * sections, local ones too), with their bytes after fixups. A symbol without
 * a size reaches the end of its block.
 */
export function linkedFunctions(graph: LinkGraph): PerfFunction[] {
  const functions: PerfFunction[] = [];
  graph.forEachDefinedSymbol((sym) => {
    const block = sym.block;
    if (sym.name === undefined || !sym.callable || (block.section.prot & MemProt.Exec) === 0 || block.isZeroFill()) return;
    const size = sym.size > 0 ? sym.size : block.size - sym.offset;
    if (size <= 0) return;
    functions.push({ name: sym.name, address: sym.address, size, code: block.getContent().slice(sym.offset, sym.offset + size) });
  });
  return functions.sort((a, b) => a.address - b.address);
}

export class PerfSupportPlugin implements Plugin {
  private readonly functions = new Registrations<PerfFunction[], never>();

  constructor(private readonly executor: ExecutorProcessControl) {
    if (!executor.registerPerfFunctions) {
      throw new JITLinkError('UnsupportedFeature', `perf support: this executor (${executor.triple}) cannot write perf maps or jitdump files`);
    }
  }

  modifyPassConfig(mr: MaterializationResponsibility, _graph: LinkGraph, config: PassConfiguration): void {
    // After fixups the code is what will run.
    config.postFixupPasses.push((graph) => {
      const functions = linkedFunctions(graph);
      if (functions.length > 0) this.functions.pending.set(mr, functions);
    });
  }

  async notifyEmitted(mr: MaterializationResponsibility): Promise<void> {
    const functions = this.functions.take(mr);
    if (functions) await this.executor.registerPerfFunctions!(functions);
  }

  notifyFailed(mr: MaterializationResponsibility): void {
    this.functions.take(mr);
  }

  notifyRemovingResources(): void {}
  notifyTransferringResources(): void {}
}
