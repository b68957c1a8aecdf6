/**
 * ObjectLinkingLayer: adds relocatable objects to JITDylibs and links each one
 * with JITLink when a lookup first needs one of its symbols.
 */
import {
  defaultBackendRegistry,
  graphDefinitions,
  JITLinkError,
  link,
  Linkage,
  Scope,
  toError,
  type BackendRegistry,
  type InputLimits,
  type JITLinkAllocation,
  type JITLinkContext,
  type JITLinkMemoryManager,
  type LinkGraph,
  type LinkObserver,
  type LinkTarget,
  type LookupRequest,
  type LookupResult,
  type ObjectIdentity,
  type PassConfiguration,
  type Symbol,
} from '@jitlink/core';
import {
  MaterializationUnit,
  runAsTask,
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
  /**
   * Bytes of object files whose graphs may exist at once before the layer
   * trades speed for memory (default 32 MiB): beyond it, archive members are
   * registered from their definitions and built only when linked, and
   * materializations start one per host task, so that finished links free
   * their graphs first. A graph takes about two to three times its object's
   * size in memory.
   */
  graphBudget?: number;
  /** Caps on each object (and archive member) whose graph this layer builds: bytes, sections, relocations. */
  limits?: InputLimits;
  /** Decodes objects ahead of their graphs being built (see ObjectDecoder); without it, each is read when built. */
  decoder?: ObjectDecoder;
}

/**
 * Decodes objects' tables ahead of the graphs being built, e.g. on worker
 * threads while this thread links (the jitlink command's decode pool). Keys
 * are the objects' own handles (an archive member...): the layer asks for
 * what was decoded when it builds the graph, and builds from the bytes
 * itself when nothing was (yet).
 */
export interface ObjectDecoder {
  /** Starts decoding an object whose graph will be built soon; `bytes` reads it (at most once, perhaps later). */
  prefetch(key: object, name: string, bytes: () => Uint8Array): void;
  /** A promise while `key`'s decoding is under way; undefined when it is done, not started, or unknown. */
  settled(key: object): Promise<void> | undefined;
  /** Whether `key` waits for a thread to decode it: the caller may take it back (`take`) and build it itself. */
  queued(key: object): boolean;
  /**
   * Takes what was decoded for `key`, forgetting it: the bytes decoded and the
   * format package's decoded tables (for CreateLinkGraphOptions.decoded).
   * Undefined when it is not decoded (yet): a queued decoding is dropped.
   */
  take(key: object): { bytes: Uint8Array; decoded: { readonly format: string } } | undefined;
}

/** The default ObjectLinkingLayerOptions.graphBudget. */
export const DEFAULT_GRAPH_BUDGET = 32 * 1024 * 1024;

/** The interface of a graph: its non-local definitions. */
export function graphInterface(graph: LinkGraph): Map<string, JITSymbolFlags> {
  return graphDefinitions(graph);
}

/** Where an ObjectUnit's graph comes from when it is linked. */
export interface LazyObject {
  /** The object, or how to read it when it is linked (so that nothing holds it until then). */
  bytes: Uint8Array | (() => Uint8Array);
  name: string;
  /** Applied to the graph once it is built, before it is linked. */
  transformGraph?: (graph: LinkGraph) => void;
  /** The object's key for the layer's decoder, if it was given one to decode ahead. */
  decoderKey?: object;
  /** The object's format and architecture, when known already (read at `add`): its graph's build does not sniff them again. */
  identity?: ObjectIdentity;
  /** What its backend parsed at `add` to read its definitions (`BackendRegistry.readObjectForLink`): its graph's build does not parse again. */
  parsed?: { readonly format: string };
  /**
   * Links through the layer's link queue (see ObjectLinkingLayer.linkQueue),
   * as archive members do: of many units added at once, few then hold a
   * graph at the same time.
   */
  queued?: boolean;
}

/**
 * `object` with its identity and parse: a literal of every field rather than
 * a spread, which costs several microseconds per object in code V8 has not
 * optimized yet and gives the unit's source a shape of its own.
 */
function lazyObjectWith(object: LazyObject, identity: ObjectIdentity, parsed: LazyObject['parsed']): LazyObject {
  return {
    bytes: object.bytes,
    name: object.name,
    transformGraph: object.transformGraph,
    decoderKey: object.decoderKey,
    identity,
    parsed,
    queued: object.queued,
  };
}

function isLazyObject(source: LinkGraph | LazyObject): source is LazyObject {
  return 'bytes' in source;
}

/**
 * One object file waiting to be linked. Its graph is either given (built
 * already) or built from the object's bytes when the unit is materialized.
 * Either way the unit lets go of the graph when linking starts, so that a
 * linked graph lives only as long as its link.
 */
export class ObjectUnit extends MaterializationUnit {
  readonly name: string;
  readonly symbols: Map<string, JITSymbolFlags>;
  /** Set when the unit is added to a JITDylib. */
  record: UnitRecord | undefined;
  /** Definitions that lost to another unit's; they become external at link time (undefined: none, the usual case). */
  discarded: Set<string> | undefined;
  private source: LinkGraph | LazyObject | undefined;
  /** Bytes of the object, counted against the layer's graph budget while its graph exists (0: not counted). */
  readonly weight: number;
  /** Whether the weight is counted now (the graph exists and its link has not ended). */
  private counted = false;
  /** @internal While in the layer's link queue: starts the unit's link. */
  queuedLink: (() => void) | undefined;
  /** Whether the unit's materialization goes through the layer's link queue even within the graph budget. */
  private readonly queued: boolean;

  constructor(
    readonly layer: ObjectLinkingLayer,
    source: LinkGraph | LazyObject,
    symbols?: Map<string, JITSymbolFlags>,
    weight?: number,
    /** Links through the layer's link queue (for a LazyObject, also when its `queued` says so). */
    queued = false,
  ) {
    super();
    this.source = source;
    this.name = source.name;
    this.queued = queued || (isLazyObject(source) && source.queued === true);
    this.weight = weight ?? (isLazyObject(source) && typeof source.bytes !== 'function' ? source.bytes.length : 0);
    if (!isLazyObject(source)) this.count(true);
    if (symbols !== undefined) this.symbols = symbols;
    else if (!isLazyObject(source)) this.symbols = graphInterface(source);
    else throw new JITLinkError('InvalidArgument', `${source.name}: an object added by its bytes needs its interface`);
  }

  /** The graph, until linking starts (undefined for a unit added by its bytes, which is built then). */
  get graph(): LinkGraph | undefined {
    const source = this.source;
    return source === undefined || isLazyObject(source) ? undefined : source;
  }

  /** @internal Builds (if needed) and hands over the graph; the unit keeps no reference to it. */
  takeGraph(): LinkGraph {
    const source = this.source;
    if (source === undefined) throw new JITLinkError('InvalidArgument', `${this.name} was already linked`);
    this.dropSource();
    if (!isLazyObject(source)) return source;
    const graph = this.layer.buildGraph(source.decoderKey, source.name, source.bytes, source.identity, source.parsed);
    this.count(true);
    source.transformGraph?.(graph);
    return graph;
  }

  /** @internal Drops the graph of a unit that will not be linked. */
  release(): void {
    this.dropSource();
    this.count(false);
  }

  /** Lets go of the source, and of the share of the budget its kept parse counts for. */
  private dropSource(): void {
    const source = this.source;
    this.source = undefined;
    if (source !== undefined && isLazyObject(source) && source.parsed !== undefined && typeof source.bytes !== 'function')
      this.layer.parsedBytes -= source.bytes.length;
  }

  /** @internal Counts (or stops counting) the unit's weight against the layer's graph budget. */
  count(alive: boolean): void {
    if (alive === this.counted || this.weight === 0) return;
    this.counted = alive;
    this.layer.liveGraphBytes += alive ? this.weight : -this.weight;
  }

  materialize(mr: MaterializationResponsibility): void {
    // Queued units (and every unit over budget) start from a host task of their own:
    // links whose lookups were answered finish, and drop their graphs, before this one's graph is built.
    if (this.queued || this.layer.overGraphBudget()) this.layer.linkQueue.add(this, () => this.layer.emit(mr, this));
    else this.layer.emit(mr, this);
  }

  /** A lookup waits on this unit: if its link is queued, it starts next. */
  override expedite(): void {
    this.layer.linkQueue.expedite(this);
  }

  discard(_dylib: JITDylib, name: string): void {
    (this.discarded ??= new Set()).add(name);
  }
}

export class ObjectLinkingLayer {
  private readonly plugins: Plugin[] = [];
  readonly memoryManager: JITLinkMemoryManager;
  readonly registry: BackendRegistry;
  /** Caps on the objects whose graphs this layer builds (ObjectLinkingLayerOptions.limits). */
  readonly limits: InputLimits | undefined;
  observer: LinkObserver | undefined;
  /** See ObjectLinkingLayerOptions.graphBudget; a change applies to what is loaded or linked from then on. */
  graphBudget: number;
  /** Bytes of the objects whose graphs exist now (built and not yet linked or failed). */
  liveGraphBytes = 0;
  /** Bytes of the objects added by their bytes whose parse a unit keeps until its graph is built. */
  parsedBytes = 0;
  /** Starts the links of queued units (and of every unit over the graph budget): see LinkQueue. */
  readonly linkQueue = new LinkQueue();
  /** See ObjectLinkingLayerOptions.decoder; may be set or cleared at any time. */
  decoder: ObjectDecoder | undefined;

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
    this.limits = options.limits;
    this.observer = options.observer;
    this.graphBudget = options.graphBudget ?? DEFAULT_GRAPH_BUDGET;
    this.decoder = options.decoder;
    session.registerResourceManager({
      removeRecords: async (records, tracker) => {
        // Units removed before they were linked drop their graphs (and their share of the budget).
        for (const r of records) if (r.unit instanceof ObjectUnit && r.unit.layer === this) r.unit.release();
        for (const p of this.plugins) await p.notifyRemovingResources(tracker);
      },
      transfer: (dst, src) => {
        for (const p of this.plugins) p.notifyTransferringResources(dst, src);
      },
    });
  }

  /** Whether the graphs that exist now (plus `extra` bytes more) exceed the graph budget. */
  overGraphBudget(extra = 0): boolean {
    return this.liveGraphBytes + extra > this.graphBudget;
  }

  /**
   * Builds an object's graph: from what the decoder decoded for `key`, if it
   * did, else from `bytes` here. The same graph, or the same error, either way.
   * `identity`, when given, is the registry's identification of these bytes,
   * and `parsed` what their backend parsed of them (readObjectForLink).
   */
  buildGraph(
    key: object | undefined,
    name: string,
    bytes: Uint8Array | (() => Uint8Array),
    identity?: ObjectIdentity,
    parsed?: { readonly format: string },
  ): LinkGraph {
    const ready = key === undefined ? undefined : this.decoder?.take(key);
    const limits = this.limits;
    if (ready !== undefined)
      return this.registry.createLinkGraph(ready.bytes, { name, decoded: ready.decoded, limits, identity });
    return this.registry.createLinkGraph(typeof bytes === 'function' ? bytes() : bytes, { name, limits, identity, parsed });
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
      /** For a graph: its object's size in bytes, counted against the graph budget until it is linked. */
      weight?: number;
      /** Links through the layer's link queue (see LinkQueue), as archive members do. */
      queued?: boolean;
    } = {},
  ): ObjectUnit {
    if (object instanceof Uint8Array)
      return this.addLazily(dylib, { bytes: object, name: options.name ?? '<object>', queued: options.queued }, options);
    return this.define(dylib, new ObjectUnit(this, object, options.interface, options.weight, options.queued), options.tracker);
  }

  /**
   * Adds an object by its bytes: its definitions are read now (malformed
   * headers and symbol tables are reported here), its graph is built only
   * when a lookup first needs one of its symbols. While the graphs that
   * exist and the objects whose parse is kept fit the graph budget, what was
   * parsed to read the definitions is kept with the unit for that build (the
   * object is parsed once); beyond it, or for bytes read on demand, nothing
   * is kept.
   */
  addLazily(
    dylib: JITDylib,
    object: LazyObject,
    options: {
      tracker?: ResourceTracker;
      interface?: Map<string, JITSymbolFlags>;
      /** Applied to the definitions read from the object (not to a given `interface`) before they are registered. */
      transformInterface?: (definitions: Map<string, JITSymbolFlags>) => Map<string, JITSymbolFlags>;
      /** The object's size in bytes, counted against the graph budget while its graph exists. */
      weight?: number;
    } = {},
  ): ObjectUnit {
    let symbols = options.interface;
    if (symbols === undefined) {
      const bytes = typeof object.bytes === 'function' ? object.bytes() : object.bytes;
      const name = object.name;
      // Identified once here: the graph's build, later, reuses it.
      const identity = object.identity ?? this.registry.identify(bytes, { name });
      if (typeof object.bytes !== 'function' && !this.overGraphBudget(this.parsedBytes + bytes.length)) {
        const reading = this.registry.readObjectForLink(bytes, { name, identity });
        symbols = reading.definitions;
        object = lazyObjectWith(object, identity, reading.parsed);
        if (reading.parsed !== undefined) this.parsedBytes += bytes.length;
      } else {
        symbols = this.registry.readObjectDefinitions(bytes, { name, identity });
        if (object.identity === undefined) object = lazyObjectWith(object, identity, object.parsed);
      }
      if (options.transformInterface !== undefined) symbols = options.transformInterface(symbols);
    }
    return this.define(dylib, new ObjectUnit(this, object, symbols, options.weight), options.tracker);
  }

  private define(dylib: JITDylib, unit: ObjectUnit, tracker: ResourceTracker | undefined): ObjectUnit {
    unit.record = dylib.define(unit, tracker);
    return unit;
  }

  /** @internal Links a unit's graph. */
  emit(mr: MaterializationResponsibility, unit: ObjectUnit): void {
    const context = new LayerLinkContext(this, mr, unit, this.plugins);
    let graph: LinkGraph;
    let target: LinkTarget;
    try {
      graph = unit.takeGraph();
      target = this.registry.forGraph(graph);
      for (const p of this.plugins) p.notifyLoaded?.(mr);
    } catch (e) {
      // As a failed link: the unit fails once, and plugins hear of it (as LLVM's layer does when no graph can be built).
      context.notifyFailed(toError(e));
      return;
    }
    void link(graph, context, target, this.observer);
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

  lookup(request: LookupRequest, graph: LinkGraph): Promise<LookupResult> {
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
    graph.forEachDefinedSymbol((sym) => {
      if (sym.name !== undefined && sym.scope !== Scope.Local) addresses.set(sym.name, sym.address);
    });
    for (const sym of graph.absoluteSymbols())
      if (sym.name !== undefined) addresses.set(sym.name, sym.address);
    this.mr.notifyResolved(addresses);
  }

  notifyFinalized(allocation: JITLinkAllocation): void {
    this.unit.count(false);
    this.notifyPluginsEmitted(allocation, 0);
  }

  /**
   * Tells plugins `from` on that the unit is emitted, then the session.
   * Synchronous while the plugins are (the usual case: no promise, no
   * microtask per link); from the first plugin that returns a promise on,
   * the rest follow when it settles.
   */
  private notifyPluginsEmitted(allocation: JITLinkAllocation, from: number): void {
    const plugins = this.plugins;
    for (let i = from; i < plugins.length; i++) {
      let pending: void | Promise<void>;
      try {
        pending = plugins[i]!.notifyEmitted?.(this.mr);
      } catch (e) {
        this.failEmission(allocation, e);
        return;
      }
      if (pending !== undefined && typeof pending.then === 'function') {
        pending.then(
          () => this.notifyPluginsEmitted(allocation, i + 1),
          (e: unknown) => this.failEmission(allocation, e),
        );
        return;
      }
    }
    this.mr.notifyEmitted(allocation);
  }

  private failEmission(allocation: JITLinkAllocation, e: unknown): void {
    void allocation
      .deallocate()
      .catch(() => undefined)
      .then(() => this.mr.fail(toError(e)));
  }

  notifyFailed(error: Error): void {
    this.unit.count(false);
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
    return (graph: LinkGraph) =>
      graph.forEachDefinedSymbol((sym) => {
        if (sym.name !== undefined && owned.has(sym.name)) sym.live = true;
      });
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
    graph.forEachDefinedSymbol((sym) => {
      if (sym.name === undefined || sym.scope === Scope.Local) return;
      if (discarded?.has(sym.name) || !owned.has(sym.name)) losers.push(sym);
      else if (sym.block.isZeroFill()) {
        const common = this.dylib.symbols.get(sym.name)?.flags.common;
        if (common) {
          // Static-linker semantics for commons: the largest size and alignment win.
          if (common.size > sym.block.size) sym.block.setZeroFillSize(common.size);
          if (common.alignment > sym.block.alignment) sym.block.alignment = common.alignment;
          sym.size = Math.max(sym.size, common.size);
        }
      }
    });
    for (const sym of losers) {
      sym.linkage = Linkage.Strong;
      graph.makeExternal(sym);
    }
  }
}

/**
 * Starts queued links one per host task, so that the links whose lookups were
 * answered meanwhile finish (and drop their graphs) before the next graph is
 * built; the units a lookup waits on (`expedite`) start first, the most
 * recently wanted first. Many units materialized at once (the members of an
 * archive that one lookup loads) are then linked depth-first: a unit's
 * dependencies are linked right after it, it finishes, and few graphs exist
 * at a time (every member of libcrypto.a: peak RSS 127 -> 97 MiB, and less
 * for the garbage collector to copy).
 */
export class LinkQueue {
  /** Units in the order they were queued; `next` is the first not taken yet. */
  private readonly inOrder: ObjectUnit[] = [];
  private next = 0;
  /** Units a lookup waits on, taken last-in first. */
  private readonly wanted: ObjectUnit[] = [];
  private scheduled = false;

  /** Queues a unit's link (`start`), to run in a later host task. */
  add(unit: ObjectUnit, start: () => void): void {
    unit.queuedLink = start;
    this.inOrder.push(unit);
    this.schedule();
  }

  /** Moves a queued unit to the front (a unit not queued, or started already, is left alone). */
  expedite(unit: ObjectUnit): void {
    if (unit.queuedLink !== undefined) this.wanted.push(unit);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    runAsTask(this.runNext);
  }

  private readonly runNext = (): void => {
    this.scheduled = false;
    const unit = this.take();
    if (unit === undefined) return;
    const start = unit.queuedLink!;
    unit.queuedLink = undefined;
    if (this.wanted.length > 0 || this.next < this.inOrder.length) this.schedule();
    start();
  };

  /** The next unit whose link has not started: a wanted one first. Units expedited or started already are passed over. */
  private take(): ObjectUnit | undefined {
    while (this.wanted.length > 0) {
      const unit = this.wanted.pop()!;
      if (unit.queuedLink !== undefined) return unit;
    }
    while (this.next < this.inOrder.length) {
      const unit = this.inOrder[this.next]!;
      this.inOrder[this.next++] = undefined as unknown as ObjectUnit;
      if (unit.queuedLink !== undefined) return unit;
    }
    this.inOrder.length = 0;
    this.next = 0;
    return undefined;
  }
}
