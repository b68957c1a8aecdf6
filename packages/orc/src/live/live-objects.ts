/**
 * Live re-linking: objects whose code can be replaced in a running program.
 *
 * Each replaceable object is linked as a code half and a data half (see
 * split.ts). Calls and address-taken references to its functions go through
 * redirectable stubs, which the backend supplies (`createRedirectableStub`):
 * a replacement links the new version next to the old one, binds the new
 * code to the old version's data, re-points each stub with one atomic
 * pointer store, and frees the old code at the next safe point.
 */
import {
  JITLinkError,
  LinkGraph,
  MemProt,
  Scope,
  toError,
  type ExecutorProcessControl,
  type PassConfiguration,
  type TargetAddress,
} from '@jitlink/core';
import type { ObjectLinkingLayer, Plugin } from '../object-linking-layer.js';
import { runAsTask, type JITDylib, type MaterializationResponsibility, type ResourceTracker } from '../session.js';
import { DataLayoutChanged, splitVersion, type KeptData, type LiveFunction } from './split.js';

/** Static initializers, as a platform runs them (ElfPlatform fits). */
export interface LiveInitializers {
  /** Runs the initializers of everything linked since the last call. */
  runInitializers(): Promise<void>;
  /** Forgets the pending initializers of what `tracker` holds. */
  discardInitializers(tracker: ResourceTracker): void;
}

export interface LiveObjectsOptions {
  initializers?: LiveInitializers;
}

export interface ReplaceOptions {
  /**
   * 'keep' (the default): the new version's code uses the old version's
   * variables, with their current values. 'fresh': the same storage (other
   * objects' references to it stay valid) re-initialized from the new
   * version's image, as if the program had just started.
   */
  data?: 'keep' | 'fresh';
  /**
   * Whether the new version's static initializers run once the stubs point at
   * the new code. Default: 'skip' with kept data (it is initialized already,
   * and running them again would reset it), 'run' with fresh data.
   */
  initializers?: 'run' | 'skip';
}

/** What a replacement did. */
export interface ReplaceResult {
  object: string;
  version: number;
  /** Functions whose stubs now point at the new version. */
  replaced: string[];
  /** Functions the new version adds. */
  added: string[];
  /** Functions of the old version the new one no longer has (nothing referred to them). */
  dropped: string[];
  /** Data the new version binds to the old version's storage. */
  keptData: string[];
}

/** A replacement refused: the old version keeps running. The message is one line saying why. */
export class ReplaceRefused extends JITLinkError {
  constructor(object: string, reason: string, cause?: unknown) {
    super('LinkFailed', `replacement of ${object} refused, the old version keeps running: ${reason}`, {}, { cause });
  }
}

interface LiveObject {
  name: string;
  key: string;
  version: number;
  functions: Map<string, LiveFunction>;
  kept: KeptData;
  code: ResourceTracker;
  /** Data halves and stub graphs: they live as long as the object. */
  lasting: ResourceTracker[];
  /** Slot symbol names by function name. */
  slots: Map<string, string>;
}

const sanitize = (name: string) => name.replace(/[^A-Za-z0-9_.]/g, '_');

export class LiveObjects implements Plugin {
  private readonly objects = new Map<string, LiveObject>();
  /** External names each linked graph refers to, by the tracker holding it. */
  private readonly references = new Map<ResourceTracker, Set<string>>();
  /** Code of replaced versions, waiting for a safe point. */
  private retired: ResourceTracker[] = [];
  /** Retired code a reported safe point has released (freed on the next task). */
  private releasable: ResourceTracker[] = [];
  private keys = 0;
  /** Objects whose replaced code is never freed (a thread may stay in it: the entry point's loop). */
  private readonly keepCode = new Set<string>();

  constructor(
    readonly layer: ObjectLinkingLayer,
    readonly dylib: JITDylib,
    readonly executor: ExecutorProcessControl,
    private readonly options: LiveObjectsOptions = {},
  ) {
    layer.addPlugin(this);
  }

  /** The replaceable objects by name, with their current version. */
  get versions(): Map<string, number> {
    return new Map([...this.objects].map(([n, o]) => [n, o.version]));
  }

  /** Number of replaced versions whose code is still mapped. */
  get retiredVersions(): number {
    return this.retired.length + this.releasable.length;
  }

  /**
   * Adds a replaceable object (its first version). Like ObjectLinkingLayer.add,
   * it is linked when a lookup first needs one of its symbols.
   */
  add(bytes: Uint8Array, name: string): void {
    if (this.objects.has(name)) throw new JITLinkError('DuplicateDefinition', `${name} is already a replaceable object`);
    const key = `${sanitize(name.split('/').pop() ?? name)}.${++this.keys}`;
    const halves = this.cut(bytes, name, key, 1, undefined);
    const object: LiveObject = {
      name,
      key,
      version: 1,
      functions: halves.layout.functions,
      kept: halves.layout.kept,
      code: this.dylib.createResourceTracker(),
      lasting: [],
      slots: new Map(),
    };
    this.addVersion(object, 1, halves.code, halves.data, [...halves.layout.functions.values()]);
    this.objects.set(name, object);
  }

  /**
   * Replaces `name` by a new version: links it next to the old one (binding
   * to the old data), points the stubs at the new code, and retires the old
   * code until the next safe point. Throws ReplaceRefused, leaving the old
   * version running, when the new one cannot take its place.
   */
  async replace(name: string, bytes: Uint8Array, options: ReplaceOptions = {}): Promise<ReplaceResult> {
    const object = this.objects.get(name);
    if (object === undefined) throw new JITLinkError('InvalidArgument', `${name} is not a replaceable object`);
    // The old version must be linked: its stubs are what the new one re-points.
    await this.session.lookup([this.dylib], [...object.functions.values()].map((f) => f.implName), { fromDylib: this.dylib });

    const version = object.version + 1;
    const fresh = options.data === 'fresh';
    let halves: ReturnType<LiveObjects['cut']>;
    try {
      halves = this.cut(bytes, name, object.key, version, object.kept, fresh);
    } catch (e) {
      if (e instanceof DataLayoutChanged || e instanceof JITLinkError) throw new ReplaceRefused(name, e.detail, e);
      throw e;
    }
    const { functions } = halves.layout;
    const dropped = [...object.functions.keys()].filter((f) => !functions.has(f));
    // A dropped function something still calls (or points at) would leave its stub pointing at freed code.
    for (const f of dropped) {
      const stub = object.functions.get(f)!.stubName;
      const users = this.referrers(stub, object.code);
      if (halves.code.findExternalSymbol(stub) || halves.data.findExternalSymbol(stub)) users.push(`${name} (new version)`);
      if (users.length > 0) throw new ReplaceRefused(name, `it drops ${f}, which ${users.join(', ')} still refers to`);
    }
    const added = [...functions.values()].filter((f) => !object.functions.has(f.name));
    const replaced = [...functions.values()].filter((f) => object.functions.has(f.name));

    const previous = { code: object.code, lasting: object.lasting.length };
    object.code = this.dylib.createResourceTracker();
    // Fresh data: the new content of kept blocks, relocated, as the link leaves it (captured before finalization).
    const images = new Map<string, Uint8Array>();
    if (halves.layout.images.length > 0) this.imageCaptures.set(halves.data, images);
    this.addVersion(object, version, halves.code, halves.data, added);
    const rollBack = async (e: unknown): Promise<never> => {
      this.imageCaptures.delete(halves.data);
      const fresh = object.lasting.splice(previous.lasting);
      await Promise.all([object.code, ...fresh].map((t) => t.remove().catch(() => undefined)));
      object.code = previous.code;
      for (const f of added) object.slots.delete(f.name);
      throw new ReplaceRefused(name, toError(e).message, e);
    };
    let addresses: Map<string, TargetAddress>;
    try {
      const wanted = [...functions.values()].map((f) => f.implName);
      for (const f of replaced) wanted.push(object.slots.get(f.name)!);
      // Nothing refers to fresh data's images: ask for them, so that the data half is linked.
      for (const { image } of halves.layout.images) wanted.push(image);
      addresses = await this.session.lookup([this.dylib], wanted, { fromDylib: this.dylib });
    } catch (e) {
      return rollBack(e);
    }
    if (this.executor.writePointers === undefined) {
      return rollBack(new JITLinkError('UnsupportedFeature', 'the executor cannot store pointers (writePointers)'));
    }
    if (halves.layout.images.length > 0) {
      const writeMemory = this.executor.writeMemory?.bind(this.executor);
      if (writeMemory === undefined) return rollBack(new JITLinkError('UnsupportedFeature', 'the executor cannot write memory (writeMemory)'));
      const storage = await this.session.lookup([this.dylib], halves.layout.images.map((i) => i.storage), { fromDylib: this.dylib });
      for (const { image, storage: name } of halves.layout.images) await writeMemory(storage.get(name)!, images.get(image)!);
    }
    await this.executor.writePointers(
      replaced.map((f) => ({ address: addresses.get(object.slots.get(f.name)!)!, value: addresses.get(f.implName)! })),
    );
    object.version = version;
    object.functions = functions;
    object.kept = halves.layout.kept;
    if (!this.keepCode.has(name)) this.retired.push(previous.code);
    const initializers = this.options.initializers;
    if ((options.initializers ?? (fresh ? 'run' : 'skip')) === 'run') await initializers?.runInitializers();
    else for (const t of [object.code, ...object.lasting.slice(previous.lasting)]) initializers?.discardInitializers(t);
    return {
      object: name,
      version,
      replaced: replaced.map((f) => f.name),
      added: added.map((f) => f.name),
      dropped,
      keptData: [...halves.layout.boundToEarlier].map((n) => (n.startsWith(`__live.${object.key}.`) ? n.slice(object.key.length + 8) : n)),
    };
  }

  /**
   * Never frees replaced versions of `name`'s code (until the session ends):
   * for an object a thread never leaves, such as the one whose main loops.
   * Its new functions are still called through the stubs.
   */
  keepReplacedCode(name: string): void {
    this.keepCode.add(name);
  }

  /** The replaceable object that defines function `fn`, if any. */
  definerOf(fn: string): string | undefined {
    for (const [name, object] of this.objects) {
      for (const f of object.functions.values()) if (f.stubName === fn) return name;
    }
    return undefined;
  }

  /**
   * The program is at a safe point: no thread is inside replaceable code of
   * a replaced version. Frees every retired version's code.
   */
  async safePoint(): Promise<void> {
    const release = [...this.releasable.splice(0), ...this.retired.splice(0)];
    await Promise.all(release.map((t) => t.remove()));
  }

  /**
   * Reports a safe point from code running in the executor (a C function
   * `void jitlink_safe_point(void)` the host defines and the program calls
   * from code that is not replaceable): retired code is freed on the next task.
   */
  reportSafePoint(): void {
    if (this.retired.length === 0) return;
    this.releasable.push(...this.retired.splice(0));
    runAsTask(() => {
      const release = this.releasable.splice(0);
      void Promise.all(release.map((t) => t.remove())).catch((e: unknown) => this.session.reportError(toError(e)));
    });
  }

  /** The address of the stub of `name`'s function `fn` (what callers of `fn` reach). */
  async stubAddress(name: string, fn: string): Promise<TargetAddress> {
    const object = this.objects.get(name);
    const f = object?.functions.get(fn);
    if (f === undefined) throw new JITLinkError('InvalidArgument', `${name} has no function ${fn}`);
    return (await this.session.lookup([this.dylib], [f.stubName], { fromDylib: this.dylib })).get(f.stubName)!;
  }

  /** The address of the current implementation of `name`'s function `fn`. */
  async implementationAddress(name: string, fn: string): Promise<TargetAddress> {
    const f = this.objects.get(name)?.functions.get(fn);
    if (f === undefined) throw new JITLinkError('InvalidArgument', `${name} has no function ${fn}`);
    return (await this.session.lookup([this.dylib], [f.implName], { fromDylib: this.dylib })).get(f.implName)!;
  }

  private get session() {
    return this.dylib.session;
  }

  /** Builds the object's graph twice and cuts it into its halves. */
  private cut(bytes: Uint8Array, name: string, key: string, version: number, kept: KeptData | undefined, freshData = false) {
    const build = () => this.layer.registry.createLinkGraph(bytes, { name, limits: this.layer.limits });
    const code = build();
    const data = build();
    const names = { object: key, version };
    splitVersion(code, 'code', names, kept, { freshData });
    const layout = splitVersion(data, 'data', names, kept, { freshData });
    return { code, data, layout };
  }

  /** Data halves whose image blocks' relocated content a fresh replacement copies over kept storage. */
  private readonly imageCaptures = new Map<LinkGraph, Map<string, Uint8Array>>();

  /** Adds a version's halves, and stubs for `newFunctions`, to the dylib. */
  private addVersion(object: LiveObject, version: number, code: LinkGraph, data: LinkGraph, newFunctions: LiveFunction[]): void {
    if (newFunctions.length > 0) {
      const stubs = this.stubGraph(object, code, newFunctions);
      const tracker = this.dylib.createResourceTracker();
      object.lasting.push(tracker);
      this.layer.add(this.dylib, stubs, { name: stubs.name, tracker });
    }
    const dataTracker = this.dylib.createResourceTracker();
    object.lasting.push(dataTracker);
    this.trackerNames.set(dataTracker, `${object.name}'s data`);
    this.trackerNames.set(object.code, `${object.name}'s code`);
    this.layer.add(this.dylib, data, { name: `${object.name} (data, version ${version})`, tracker: dataTracker });
    this.layer.add(this.dylib, code, { name: `${object.name} (code, version ${version})`, tracker: object.code });
  }

  /** A graph of redirectable stubs for `functions`, each slot first pointing at the function's implementation. */
  private stubGraph(object: LiveObject, like: LinkGraph, functions: LiveFunction[]): LinkGraph {
    const backend = this.layer.registry.forTriple(like.triple, like.format);
    if (backend?.createRedirectableStub === undefined) {
      throw new JITLinkError('UnsupportedFeature', `${like.triple} has no redirectable stubs: its objects cannot be replaced`, {
        file: object.name,
      });
    }
    const graph = new LinkGraph({
      name: `${object.name} (stubs)`,
      triple: like.triple,
      pointerSize: like.pointerSize,
      endianness: like.endianness,
      getEdgeKindName: like.getEdgeKindName,
      format: like.format,
    });
    const stubSection = graph.createSection('$__LIVE_STUBS', MemProt.Read | MemProt.Exec);
    const slotSection = graph.createSection('$__LIVE_SLOTS', MemProt.Read | MemProt.Write);
    for (const f of functions) {
      const impl = graph.addExternalSymbol(f.implName, 0);
      const { stub, slot } = backend.createRedirectableStub(graph, stubSection, slotSection, impl);
      stub.name = f.stubName;
      stub.scope = f.scope;
      stub.linkage = f.linkage;
      stub.callable = true;
      slot.name = `__live.${object.key}.slot.${f.name}`;
      slot.scope = Scope.Hidden;
      object.slots.set(f.name, slot.name);
    }
    return graph;
  }

  /** Linked graphs (other than `except`'s) that refer to `name`. */
  private referrers(name: string, except: ResourceTracker): string[] {
    const users: string[] = [];
    for (const [tracker, names] of this.references) {
      if (tracker !== except && !tracker.removed && names.has(name)) users.push(this.describe(tracker));
    }
    return users;
  }

  private readonly trackerNames = new Map<ResourceTracker, string>();
  private describe(tracker: ResourceTracker): string {
    return this.trackerNames.get(tracker) ?? 'a linked object';
  }

  // ---- Plugin: note what every linked graph refers to ----

  modifyPassConfig(mr: MaterializationResponsibility, graph: LinkGraph, config: PassConfiguration): void {
    const images = this.imageCaptures.get(graph);
    if (images !== undefined) {
      this.imageCaptures.delete(graph);
      config.postFixupPasses.push((g) => {
        g.forEachDefinedSymbol((sym) => {
          if (sym.name === undefined || !sym.name.startsWith('__live.') || !sym.name.includes('.image.')) return;
          const block = sym.block;
          images.set(sym.name, block.isZeroFill() ? new Uint8Array(block.size) : block.getContent().slice());
        });
      });
    }
    config.postPrunePasses.push((g) => {
      let names = this.references.get(mr.tracker);
      if (names === undefined) this.references.set(mr.tracker, (names = new Set()));
      for (const sym of g.externalSymbols()) if (sym.name !== undefined) names.add(sym.name);
      if (!this.trackerNames.has(mr.tracker)) this.trackerNames.set(mr.tracker, g.name);
    });
  }
  notifyFailed(): void {}
  notifyRemovingResources(key: ResourceTracker): void {
    this.references.delete(key);
    this.trackerNames.delete(key);
  }
  notifyTransferringResources(dst: ResourceTracker, src: ResourceTracker): void {
    const names = this.references.get(src);
    if (names === undefined) return;
    this.references.delete(src);
    const into = this.references.get(dst) ?? new Set<string>();
    for (const n of names) into.add(n);
    this.references.set(dst, into);
  }
}
