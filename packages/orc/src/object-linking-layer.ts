/**
 * ObjectLinkingLayer: adds relocatable objects to JITDylibs and links each one
 * with JITLink when a lookup first needs one of its symbols.
 */
import {
  defaultBackendRegistry,
  JITLinkError,
  link,
  Linkage,
  Scope,
  toError,
  type BackendRegistry,
  type JITLinkAllocation,
  type JITLinkContext,
  type JITLinkMemoryManager,
  type LinkGraph,
  type LinkObserver,
  type LinkTarget,
  type LookupRequest,
  type LookupResult,
  type PassConfiguration,
  type Symbol,
} from '@jitlink/core';
import {
  MaterializationUnit,
  SymbolState,
  type ExecutionSession,
  type JITDylib,
  type JITSymbolFlags,
  type MaterializationResponsibility,
  type ResourceTracker,
  type UnitRecord,
} from './session.js';

/** Extends the linking of every graph: install passes, react to link events. */
export interface Plugin {
  /** Called before each graph is linked: install passes here. */
  modifyPassConfig?(mr: MaterializationResponsibility, graph: LinkGraph, config: PassConfiguration): void;
  /** Called before the link begins. */
  notifyLoaded?(mr: MaterializationResponsibility): void;
  /** Called once the graph's memory is finalized in the executor. */
  notifyEmitted?(mr: MaterializationResponsibility): void | Promise<void>;
  /** Called if the link fails. */
  notifyFailed(mr: MaterializationResponsibility): void | Promise<void>;
  /** Called when the resources tracked under `key` are removed. */
  notifyRemovingResources(key: ResourceTracker): void | Promise<void>;
  /** Called when tracking moves from `srcKey` to `dstKey`. */
  notifyTransferringResources(dstKey: ResourceTracker, srcKey: ResourceTracker): void;
}

export interface ObjectLinkingLayerOptions {
  memoryManager?: JITLinkMemoryManager;
  registry?: BackendRegistry;
  /** Receives link-phase notifications (timing, tracing). */
  observer?: LinkObserver;
}

// Flags of plain definitions are shared (frozen): only eight combinations exist, and
// a session holds one entry per definition, so one object each would be pure overhead.
const SHARED_FLAGS: readonly JITSymbolFlags[] = Array.from({ length: 8 }, (_, i) =>
  Object.freeze({ hidden: (i & 1) !== 0, weak: (i & 2) !== 0, callable: (i & 4) !== 0 }),
);

function sharedFlags(hidden: boolean, weak: boolean, callable: boolean): JITSymbolFlags {
  return SHARED_FLAGS[(hidden ? 1 : 0) | (weak ? 2 : 0) | (callable ? 4 : 0)]!;
}

/** The interface of a graph: its non-local definitions. */
export function graphInterface(graph: LinkGraph): Map<string, JITSymbolFlags> {
  const symbols = new Map<string, JITSymbolFlags>();
  for (const section of graph.sections()) {
    const isCommon = section.name === '.common' || section.name === '__common';
    for (const sym of section.symbols) {
      if (sym.name === undefined || sym.scope === Scope.Local) continue;
      const hidden = sym.scope === Scope.Hidden;
      const weak = sym.linkage === Linkage.Weak;
      symbols.set(
        sym.name,
        isCommon
          ? {
              hidden,
              weak,
              callable: sym.callable,
              common: { size: sym.size, alignment: sym.block.alignment },
            }
          : sharedFlags(hidden, weak, sym.callable),
      );
    }
  }
  for (const sym of graph.absoluteSymbols()) {
    if (sym.name === undefined || sym.scope === Scope.Local) continue;
    symbols.set(sym.name, sharedFlags(sym.scope === Scope.Hidden, sym.linkage === Linkage.Weak, false));
  }
  return symbols;
}

/** One object file waiting to be linked. */
export class ObjectUnit extends MaterializationUnit {
  readonly symbols: Map<string, JITSymbolFlags>;
  /** Set when the unit is added to a JITDylib. */
  record: UnitRecord | undefined;
  /** Definitions that lost to another unit's; they become external at link time. */
  readonly discarded = new Set<string>();

  constructor(
    readonly layer: ObjectLinkingLayer,
    readonly graph: LinkGraph,
    symbols: Map<string, JITSymbolFlags> = graphInterface(graph),
  ) {
    super();
    this.symbols = symbols;
  }

  get name(): string {
    return this.graph.name;
  }

  materialize(mr: MaterializationResponsibility): void {
    this.layer.emit(mr, this);
  }

  discard(_dylib: JITDylib, name: string): void {
    this.discarded.add(name);
  }
}

export class ObjectLinkingLayer {
  private readonly plugins: Plugin[] = [];
  readonly memoryManager: JITLinkMemoryManager;
  readonly registry: BackendRegistry;
  observer: LinkObserver | undefined;

  constructor(
    readonly session: ExecutionSession,
    options: ObjectLinkingLayerOptions = {},
  ) {
    const memoryManager = options.memoryManager ?? session.executor?.memoryManager;
    if (!memoryManager)
      throw new JITLinkError(
        'InvalidArgument',
        'ObjectLinkingLayer needs a memory manager (or a session with an executor)',
      );
    this.memoryManager = memoryManager;
    this.registry = options.registry ?? defaultBackendRegistry;
    this.observer = options.observer;
    session.resourceManagers.push({
      removeRecords: async (_records, tracker) => {
        for (const p of this.plugins) await p.notifyRemovingResources(tracker);
      },
      transfer: (dst, src) => {
        for (const p of this.plugins) p.notifyTransferringResources(dst, src);
      },
    });
  }

  addPlugin(plugin: Plugin): this {
    this.plugins.push(plugin);
    return this;
  }

  /**
   * Adds an object (bytes or an already built graph) to `dylib`. Nothing is
   * linked until a lookup needs one of its symbols.
   */
  add(
    dylib: JITDylib,
    object: Uint8Array | LinkGraph,
    options: {
      name?: string;
      tracker?: ResourceTracker;
      /** The definitions to register, when they differ from the graph's own (e.g. harness mode). */
      interface?: Map<string, JITSymbolFlags>;
    } = {},
  ): ObjectUnit {
    const graph =
      object instanceof Uint8Array
        ? this.registry.createLinkGraph(object, { name: options.name ?? '<object>' })
        : object;
    const unit = new ObjectUnit(this, graph, options.interface);
    unit.record = dylib.define(unit, options.tracker);
    return unit;
  }

  /** @internal Links a unit's graph. */
  emit(mr: MaterializationResponsibility, unit: ObjectUnit): void {
    let target: LinkTarget;
    try {
      target = this.registry.forGraph(unit.graph);
    } catch (e) {
      mr.fail(toError(e));
      return;
    }
    for (const p of this.plugins) p.notifyLoaded?.(mr);
    const context = new LayerLinkContext(this, mr, unit, this.plugins);
    void link(unit.graph, context, target, this.observer);
  }
}

class LayerLinkContext implements JITLinkContext {
  readonly dylib: JITDylib;
  constructor(
    private readonly layer: ObjectLinkingLayer,
    private readonly mr: MaterializationResponsibility,
    private readonly unit: ObjectUnit,
    private readonly plugins: readonly Plugin[],
  ) {
    this.dylib = mr.dylib;
  }

  getMemoryManager(): JITLinkMemoryManager {
    return this.layer.memoryManager;
  }

  async lookup(request: LookupRequest, graph: LinkGraph): Promise<LookupResult> {
    const record: UnitRecord = this.mr.record;
    return this.layer.session
      .lookup(this.dylib.linkOrder, request, {
        requiredState: SymbolState.Resolved,
        requester: record,
      })
      .catch((e: unknown) => {
        const err = toError(e);
        throw err instanceof JITLinkError && err.file === undefined
          ? new JITLinkError(err.code, `${graph.name}: ${err.detail}`, {}, { cause: err })
          : err;
      });
  }

  notifyResolved(graph: LinkGraph): void {
    const addresses = new Map<string, number>();
    for (const section of graph.sections()) {
      for (const sym of section.symbols)
        if (sym.name !== undefined && sym.scope !== Scope.Local) addresses.set(sym.name, sym.address);
    }
    for (const sym of graph.absoluteSymbols())
      if (sym.name !== undefined) addresses.set(sym.name, sym.address);
    this.mr.notifyResolved(addresses);
  }

  notifyFinalized(allocation: JITLinkAllocation): void {
    const emitted = async () => {
      for (const p of this.plugins) await p.notifyEmitted?.(this.mr);
    };
    emitted().then(
      () => this.mr.notifyEmitted(allocation),
      async (e: unknown) => {
        await allocation.deallocate().catch(() => undefined);
        this.mr.fail(toError(e));
      },
    );
  }

  notifyFailed(error: Error): void {
    const plugins = this.plugins;
    void (async () => {
      for (const p of plugins) {
        try {
          await p.notifyFailed(this.mr);
        } catch (e) {
          this.layer.session.reportError(toError(e));
        }
      }
    })();
    this.mr.fail(error);
  }

  shouldAddDefaultTargetPasses(): boolean {
    return true;
  }

  /** Live roots: the symbols this unit is responsible for, plus anything the builder already marked live. */
  getMarkLivePass() {
    const owned = this.mr.symbols;
    return (graph: LinkGraph) => {
      for (const section of graph.sections()) {
        for (const sym of section.symbols) if (sym.name !== undefined && owned.has(sym.name)) sym.live = true;
      }
    };
  }

  modifyPassConfig(graph: LinkGraph, config: PassConfiguration): void {
    // First of all: definitions that lost to another unit become references to the winner.
    config.prePrunePasses.unshift((g) => this.applyOwnership(g));
    for (const p of this.plugins) p.modifyPassConfig?.(this.mr, graph, config);
  }

  private applyOwnership(graph: LinkGraph): void {
    const discarded = this.unit.discarded;
    const owned = this.mr.symbols;
    const losers: Symbol[] = [];
    for (const section of graph.sections()) {
      for (const sym of section.symbols) {
        if (sym.name === undefined || sym.scope === Scope.Local) continue;
        if (discarded.has(sym.name) || !owned.has(sym.name)) losers.push(sym);
        else if (sym.block.isZeroFill()) {
          const common = this.dylib.symbols.get(sym.name)?.flags.common;
          if (common) {
            // Static-linker semantics for commons: the largest size and alignment win.
            if (common.size > sym.block.size) sym.block.setZeroFillSize(common.size);
            if (common.alignment > sym.block.alignment) sym.block.alignment = common.alignment;
            sym.size = Math.max(sym.size, common.size);
          }
        }
      }
    }
    for (const sym of losers) {
      sym.linkage = Linkage.Strong;
      graph.makeExternal(sym);
    }
  }
}
