/**
 * COFF platform support: runs the initializer tables of linked COFF graphs
 * (`.CRT$XI*`, then `.CRT$XC*`, each in section-name order, then mingw's
 * `.ctors` in reverse) before the entry point, and their terminator tables
 * (`.CRT$XP*`, `.CRT$XT*`, then mingw's `.dtors`) after it, as the C runtime
 * of a PE image would. Where COFF code follows another calling convention
 * than the host's (x86-64), each entry is called through a bridge of the
 * backend's `hostCallBridges`; a backend without them (arm64: Windows on Arm
 * calls as AAPCS64 does) has its entries called directly.
 */
import { coffInitializerPhase, coffTerminatorPhase, type CoffInitializerPhase } from '@jitlink/coff';
import {
  JITLinkError,
  readAddress64,
  type ExecutorProcessControl,
  type LinkGraph,
  type PassConfiguration,
  type TargetAddress,
} from '@jitlink/core';
import type { JITDylib, MaterializationResponsibility, ResourceTracker } from '../session.js';
import type { ObjectLinkingLayer, Plugin } from '../object-linking-layer.js';

interface InitializerTable {
  phase: number;
  orderName: string;
  reversed: boolean;
  objectOrder: number;
  triple: string;
  /** Entries in address order (null entries left out, as the C runtime skips them). */
  functions: TargetAddress[];
  tracker: ResourceTracker;
}

/** Runs the initializers of linked COFF graphs. */
export class CoffPlatform implements Plugin {
  private readonly pending: InitializerTable[] = [];
  private readonly pendingTerm: InitializerTable[] = [];
  private finalized = false;

  private constructor(
    readonly layer: ObjectLinkingLayer,
    /** Where the host call bridge is linked. */
    readonly dylib: JITDylib,
    readonly executor: ExecutorProcessControl,
  ) {}

  /** Installs the platform on `layer`. */
  static create(layer: ObjectLinkingLayer, dylib: JITDylib, executor: ExecutorProcessControl): CoffPlatform {
    const platform = new CoffPlatform(layer, dylib, executor);
    layer.addPlugin(platform);
    return platform;
  }

  modifyPassConfig(mr: MaterializationResponsibility, graph: LinkGraph, config: PassConfiguration): void {
    if (graph.format !== 'coff') return;
    const objectOrder = mr.record.seq;
    const tracker = mr.tracker;
    config.postFixupPasses.push((g) => this.recordTables(g, objectOrder, tracker));
  }

  private recordTables(graph: LinkGraph, objectOrder: number, tracker: ResourceTracker): void {
    for (const section of graph.sectionList()) {
      const initializer = coffInitializerPhase(section.name);
      const phase: CoffInitializerPhase | undefined = initializer ?? coffTerminatorPhase(section.name);
      if (phase === undefined || section.blocks.size === 0) continue;
      const functions: TargetAddress[] = [];
      for (const block of [...section.blocks].sort((a, b) => a.address - b.address)) {
        const content = block.getContent();
        const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
        for (let off = 0; off + graph.pointerSize <= content.length; off += graph.pointerSize) {
          const fn = graph.pointerSize === 8 ? readAddress64(view, off, true) : view.getUint32(off, true);
          if (fn === undefined) {
            throw new JITLinkError('MalformedObject', 'initializer entry is not a valid address', {
              file: graph.name,
              section: section.name,
              offset: off,
              offsetIn: 'section',
            });
          }
          if (fn !== 0) functions.push(fn);
        }
      }
      if (functions.length === 0) continue;
      (initializer !== undefined ? this.pending : this.pendingTerm).push({ ...phase, objectOrder, triple: graph.triple, functions, tracker });
    }
  }

  /** Runs the initializers of every COFF graph linked since the last call, in the C runtime's order. */
  async runInitializers(): Promise<void> {
    await this.run(this.pending.splice(0));
  }

  /** Runs the terminators (once), in the C runtime's order. */
  async runFinalizers(): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    await this.run(this.pendingTerm.splice(0));
  }

  private async run(pending: InitializerTable[]): Promise<void> {
    const tables = pending.sort(
      (a, b) => a.phase - b.phase || compareNames(a.orderName, b.orderName) || a.objectOrder - b.objectOrder,
    );
    const calls: { triple: string; fn: TargetAddress }[] = [];
    for (let i = 0; i < tables.length; ) {
      // A reversed phase (.ctors) runs as one list, from its end.
      let j = i;
      while (j < tables.length && tables[j]!.phase === tables[i]!.phase) j++;
      const phase = tables.slice(i, j).flatMap((t) => t.functions.map((fn) => ({ triple: t.triple, fn })));
      calls.push(...(tables[i]!.reversed ? phase.reverse() : phase));
      i = j;
    }
    if (calls.length === 0) return;
    const entries = await this.bridged(calls);
    for (const entry of entries) await this.executor.callVoid(entry);
  }

  /** What the host calls for each entry: its bridge, linked now, or the entry itself. */
  private async bridged(calls: { triple: string; fn: TargetAddress }[]): Promise<TargetAddress[]> {
    const entries = calls.map((c) => c.fn);
    for (const triple of new Set(calls.map((c) => c.triple))) {
      const backend = this.layer.registry.forTriple(triple, 'coff');
      if (backend?.hostCallBridges === undefined) continue;
      const indices = calls.flatMap((c, i) => (c.triple === triple ? [i] : []));
      const { graph, symbols } = backend.hostCallBridges(indices.map((i) => entries[i]!));
      this.layer.add(this.dylib, graph);
      for (let k = 0; k < indices.length; k++) entries[indices[k]!] = await this.layer.session.lookupOne([this.dylib], symbols[k]!);
    }
    return entries;
  }

  notifyFailed(): void {}

  /** Forgets the pending initializers and terminators of what `tracker` holds (they will not run). */
  discardInitializers(tracker: ResourceTracker): void {
    for (const list of [this.pending, this.pendingTerm]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.tracker === tracker) list.splice(i, 1);
    }
  }

  notifyRemovingResources(key: ResourceTracker): void {
    this.discardInitializers(key);
  }

  notifyTransferringResources(dst: ResourceTracker, src: ResourceTracker): void {
    for (const t of [...this.pending, ...this.pendingTerm]) if (t.tracker === src) t.tracker = dst;
  }
}

/** Byte order of section names, as the static linker sorts them (not locale order). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
