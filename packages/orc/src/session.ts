/**
 * ExecutionSession and JITDylib: symbol tables, lookups that trigger
 * materialization, symbol states (Resolved -> Emitted -> Ready), dependency
 * tracking between materializing units, and failure propagation.
 */
import {
  formatAddress,
  JITLinkError,
  SymbolLookupFlags,
  toError,
  type DefinitionFlags,
  type ExecutorProcessControl,
  type JITLinkAllocation,
  type TargetAddress,
} from '@jitlink/core';

export enum SymbolState {
  /** Defined by a unit that has not started materializing. */
  NeverSearched = 0,
  Materializing = 1,
  /** Has an address; the memory may not be finalized yet. */
  Resolved = 2,
  /** Memory finalized; dependencies may not be. */
  Emitted = 3,
  /** Emitted, and everything it depends on is emitted too. Safe to run. */
  Ready = 4,
}

/** A definition's flags (hidden symbols are visible only to lookups from their own JITDylib). */
export type JITSymbolFlags = DefinitionFlags;

export interface ExecutorSymbolDef {
  address: TargetAddress;
  flags: JITSymbolFlags;
}

/** Something that can produce definitions for a set of symbols on demand. */
export abstract class MaterializationUnit {
  abstract readonly name: string;
  /** The symbols this unit can define, with their flags. */
  abstract readonly symbols: ReadonlyMap<string, JITSymbolFlags>;
  /** Starts producing the definitions; must eventually call r.notifyEmitted() or r.fail(). */
  abstract materialize(r: MaterializationResponsibility): void;
  /** Called when another unit's definition of `name` wins; this unit must not define it. */
  abstract discard(dylib: JITDylib, name: string): void;
  /**
   * Called when a lookup waits on this unit while it materializes: a unit
   * whose work is queued behind others' may start it sooner.
   */
  expedite?(): void;
}

/** Generates definitions for symbols a lookup could not find (archives, process symbols...). */
export interface DefinitionGenerator {
  tryToGenerate(dylib: JITDylib, names: readonly string[]): Promise<void> | void;
}

/**
 * Runs `task` as a separate task of the host's event loop: setImmediate in
 * Node, a MessageChannel message in browsers and workers, else a timer.
 */
export const runAsTask: (task: () => void) => void = (() => {
  const host = globalThis as unknown as {
    setImmediate?: (task: () => void) => unknown;
    MessageChannel?: new () => { port1: { onmessage: (() => void) | null }; port2: { postMessage(m: null): void } };
    setTimeout: (task: () => void, ms: number) => unknown;
  };
  if (typeof host.setImmediate === 'function') {
    const setImmediate = host.setImmediate;
    return (task: () => void) => void setImmediate(task);
  }
  if (typeof host.MessageChannel === 'function') {
    // One message per task, so the host runs microtasks between tasks.
    const queue: (() => void)[] = [];
    const channel = new host.MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (task: () => void) => {
      queue.push(task);
      channel.port2.postMessage(null);
    };
  }
  return (task: () => void) => void host.setTimeout(task, 0);
})();

/** A settled promise whose reactions run tasks as microtasks. */
const settled = Promise.resolve();

/**
 * Runs `task` on a microtask of its own. A promise reaction rather than
 * `queueMicrotask`, which makes an AsyncResource per task in Node. The task
 * must not throw (the session's tasks catch what they run).
 */
function runAsMicrotask(task: () => void): void {
  void settled.then(task);
}

/**
 * A dispatcher that runs queued tasks in order, one per host task: a single
 * pending host task at a time, which runs the next queued task and, if more
 * remain, schedules itself again.
 */
export function oneTaskAtATime(): (task: () => void) => void {
  const queue: (() => void)[] = [];
  let next = 0;
  let scheduled = false;
  const runNext = (): void => {
    const task = queue[next]!;
    queue[next++] = undefined as unknown as () => void;
    if (next < queue.length) runAsTask(runNext);
    else {
      queue.length = 0;
      next = 0;
      scheduled = false;
    }
    task();
  };
  return (task) => {
    queue.push(task);
    if (!scheduled) {
      scheduled = true;
      runAsTask(runNext);
    }
  };
}

/**
 * A one-time signal whose promise is made only when someone asks for it:
 * most units are waited on by nobody, or only once already there, and a
 * promise (with its handlers) per signal per unit was a fixed cost of every link.
 * Once settled, it lets go of its promise and resolvers (a unit's signals live as
 * long as the unit): a later wait gets a promise settled the same way.
 */
class Signal {
  private settledAs: 'resolved' | Error | undefined;
  private pending: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;

  /** A signal settled already (`'resolved'`, or rejected with an error), or not yet (undefined). */
  constructor(settledAs?: 'resolved' | Error) {
    this.settledAs = settledAs;
  }

  get promise(): Promise<void> {
    if (this.pending !== undefined) return this.pending.promise;
    const settledAs = this.settledAs;
    if (settledAs === 'resolved') return settled;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Failures are delivered to whoever awaits; an unawaited rejection is not an error.
    promise.catch(() => undefined);
    if (settledAs !== undefined) reject(settledAs);
    else this.pending = { promise, resolve, reject };
    return promise;
  }

  resolve(): void {
    if (this.settledAs !== undefined) return;
    this.settledAs = 'resolved';
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    pending.resolve();
  }

  reject(e: Error): void {
    if (this.settledAs !== undefined) return;
    this.settledAs = e;
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    pending.reject(e);
  }
}

/** A unit's progress, shared by all the symbols it defines. */
export class UnitRecord {
  private static nextSeq = 0;
  /** Creation order: the order objects were added, used where a static linker would use command-line order. */
  readonly seq = UnitRecord.nextSeq++;
  state: SymbolState = SymbolState.NeverSearched;
  // The signals are made when first waited on, settled as the unit's state says
  // then: most units are never waited on for one or two of them.
  private resolvedSignal: Signal | undefined;
  private readySignal: Signal | undefined;
  private settledSignal: Signal | undefined;
  /** Units whose symbols this one's code refers to. */
  readonly deps = new Set<UnitRecord>();
  /** `deps` in the order they were added: walked by readiness searches without copying the Set. */
  readonly depList: UnitRecord[] = [];
  readonly dependents = new Set<UnitRecord>();
  /**
   * While Emitted and not Ready: a unit still in flight that this one reaches
   * through its dependencies (directly or through other emitted units), the
   * reason it is not Ready yet. Only that unit's emission can change it.
   */
  blockedBy: UnitRecord | undefined;
  /** While in flight: the emitted units whose `blockedBy` is this one, to look at again when it is emitted. */
  blocking: UnitRecord[] | undefined;
  /** Stamps of the readiness search (ExecutionSession.findInFlight), so that no visit needs a Set. */
  searchMark = 0;
  clearMark = 0;
  /** Numbers emissions, so that units found Ready together resolve in the order they were emitted. */
  emitOrder = 0;
  error: Error | undefined;
  allocation: JITLinkAllocation | undefined;
  /** Names this unit is responsible for (won the definition). */
  readonly owned = new Set<string>();

  constructor(
    readonly unit: MaterializationUnit,
    readonly dylib: JITDylib,
    public tracker: ResourceTracker,
  ) {}

  /** Resolves once the unit is Resolved; rejects if it fails before. */
  get resolved(): Signal {
    return (this.resolvedSignal ??= new Signal(this.state >= SymbolState.Resolved ? 'resolved' : this.error));
  }

  /** Resolves once the unit is Ready; rejects if it fails. */
  get ready(): Signal {
    return (this.readySignal ??= new Signal(this.state === SymbolState.Ready ? 'resolved' : this.error));
  }

  /** Resolves once the unit is emitted or has failed. */
  get settled(): Signal {
    return (this.settledSignal ??= new Signal(this.state >= SymbolState.Emitted || this.error ? 'resolved' : undefined));
  }

  /** @internal The session tells the signals made so far of a state just entered (set `state` or `error` first). */
  signal(state: SymbolState.Resolved | SymbolState.Emitted | SymbolState.Ready): void {
    if (state === SymbolState.Resolved) this.resolvedSignal?.resolve();
    else if (state === SymbolState.Emitted) this.settledSignal?.resolve();
    else this.readySignal?.resolve();
  }

  /** @internal The session tells the signals made so far that the unit failed (set `error` first). */
  signalFailure(e: Error): void {
    this.resolvedSignal?.reject(e);
    this.readySignal?.reject(e);
    this.settledSignal?.resolve();
  }
}

export class SymbolEntry {
  address: TargetAddress = 0;
  constructor(
    readonly name: string,
    readonly dylib: JITDylib,
    public flags: JITSymbolFlags,
    /** Undefined for absolute definitions (always ready). */
    public record: UnitRecord | undefined,
  ) {}

  get state(): SymbolState {
    return this.record ? this.record.state : SymbolState.Ready;
  }
}

/** Tracks the resources (memory, symbols) added under it, so they can be removed together. */
export class ResourceTracker {
  private static nextKey = 1;
  readonly key = ResourceTracker.nextKey++;
  /** @internal */
  readonly records = new Set<UnitRecord>();
  /** @internal */
  readonly absoluteNames = new Set<string>();
  removed = false;

  constructor(readonly dylib: JITDylib) {}

  /** Deallocates everything added under this tracker and removes its symbols. */
  remove(): Promise<void> {
    return this.dylib.session.removeTracker(this);
  }

  /** Moves everything tracked here to `other`. */
  transferTo(other: ResourceTracker): void {
    this.dylib.session.transferTracker(this, other);
  }
}

export class JITDylib {
  readonly symbols = new Map<string, SymbolEntry>();
  /** @internal Counts names added to `symbols` (never decreases), so a lookup can tell whether a generator defined anything. */
  definitionCount = 0;
  readonly generators: DefinitionGenerator[] = [];
  private linkOrderList: JITDylib[];
  readonly defaultTracker: ResourceTracker;

  constructor(
    readonly session: ExecutionSession,
    readonly name: string,
  ) {
    this.linkOrderList = [this];
    this.defaultTracker = new ResourceTracker(this);
  }

  /** Dylibs searched (in order) by lookups from code in this dylib. Always starts with this dylib. */
  get linkOrder(): readonly JITDylib[] {
    return this.linkOrderList;
  }
  setLinkOrder(order: readonly JITDylib[]): void {
    this.linkOrderList = [this, ...order.filter((d) => d !== this)];
  }
  addToLinkOrder(dylib: JITDylib): void {
    if (!this.linkOrderList.includes(dylib)) this.linkOrderList.push(dylib);
  }

  addGenerator(generator: DefinitionGenerator): void {
    this.generators.push(generator);
  }

  createResourceTracker(): ResourceTracker {
    return new ResourceTracker(this);
  }

  /**
   * Adds a unit's definitions. Strong beats weak; the first weak definition
   * wins among weak ones; common symbols merge to the largest size and
   * alignment; two strong definitions are an error naming both units.
   */
  define(unit: MaterializationUnit, tracker: ResourceTracker = this.defaultTracker): UnitRecord {
    const record = new UnitRecord(unit, this, tracker);
    const symbols = this.symbols;
    // forEach, not for-of: much of this code runs before V8 optimizes it, and
    // unoptimized for-of allocates an iteration result per element.
    // Check everything first so a failed define changes nothing.
    unit.symbols.forEach((flags, name) => {
      const existing = symbols.get(name);
      if (existing && !existing.flags.weak && !flags.weak) {
        const other = existing.record ? existing.record.unit.name : 'an absolute definition';
        throw new JITLinkError(
          'DuplicateDefinition',
          `duplicate definition of symbol ${name}: defined in ${other} and in ${unit.name}`,
        );
      }
    });
    unit.symbols.forEach((flags, name) => {
      const existing = symbols.get(name);
      if (!existing) {
        symbols.set(name, new SymbolEntry(name, this, flags, record));
        this.definitionCount++;
        record.owned.add(name);
        return;
      }
      const existingUnstarted =
        existing.record !== undefined && existing.record.state === SymbolState.NeverSearched;
      if (existing.flags.weak && !flags.weak && (existingUnstarted || existing.record === undefined)) {
        // A strong definition overrides a weak one that has not been linked yet.
        if (existing.record) {
          existing.record.owned.delete(name);
          existing.record.unit.discard(this, name);
        }
        existing.flags = flags;
        existing.record = record;
        record.owned.add(name);
      } else {
        if (flags.common && existing.flags.common) {
          existing.flags = {
            ...existing.flags,
            common: {
              size: Math.max(existing.flags.common.size, flags.common.size),
              alignment: Math.max(existing.flags.common.alignment, flags.common.alignment),
            },
          };
        }
        unit.discard(this, name);
      }
    });
    tracker.records.add(record);
    this.session.registerRecord(record);
    return record;
  }

  /** Defines symbols at fixed addresses (always Ready). */
  defineAbsolute(
    defs: ReadonlyMap<string, ExecutorSymbolDef>,
    tracker: ResourceTracker = this.defaultTracker,
  ): void {
    for (const [name, def] of defs) {
      const existing = this.symbols.get(name);
      if (existing && !existing.flags.weak && !def.flags.weak) {
        const other = existing.record ? existing.record.unit.name : 'an absolute definition';
        throw new JITLinkError(
          'DuplicateDefinition',
          `duplicate definition of symbol ${name}: defined in ${other} and as an absolute symbol`,
        );
      }
    }
    for (const [name, def] of defs) {
      const existing = this.symbols.get(name);
      if (
        existing &&
        !(existing.flags.weak && !def.flags.weak && existing.state === SymbolState.NeverSearched)
      )
        continue;
      if (existing?.record) {
        existing.record.owned.delete(name);
        existing.record.unit.discard(this, name);
      }
      const entry = new SymbolEntry(name, this, def.flags, undefined);
      entry.address = def.address;
      this.symbols.set(name, entry);
      this.definitionCount++;
      tracker.absoluteNames.add(name);
    }
  }
}

/**
 * Something that owns resources on behalf of trackers (ORC's ResourceManager):
 * told when a tracker is removed, to release what it holds for it, and when a
 * tracker's resources move to another one.
 */
export interface ResourceManager {
  removeRecords(records: readonly UnitRecord[], tracker: ResourceTracker): Promise<void>;
  transfer(dst: ResourceTracker, src: ResourceTracker): void;
}

export interface LookupOptions {
  requiredState?: SymbolState.Resolved | SymbolState.Ready;
  /** The unit whose code needs these symbols: records dependencies and hides other dylibs' hidden symbols. */
  requester?: UnitRecord;
  /** Dylib the lookup comes from (for hidden-symbol visibility); defaults to the requester's. */
  fromDylib?: JITDylib;
}

/** What a lookup found so far: names and their entries, as two parallel arrays. */
interface FoundEntries {
  readonly names: string[];
  readonly entries: SymbolEntry[];
}

function lookupResult(found: FoundEntries): Map<string, TargetAddress> {
  const result = new Map<string, TargetAddress>();
  for (let i = 0; i < found.names.length; i++) result.set(found.names[i]!, found.entries[i]!.address);
  return result;
}

export class ExecutionSession {
  private readonly dylibs = new Map<string, JITDylib>();
  private readonly inFlight = new Set<UnitRecord>();
  private readonly emittedNotReady = new Set<UnitRecord>();
  private readonly allRecords = new Set<UnitRecord>();
  /** Counters stamping readiness updates and their searches (see updateReadiness). */
  private readinessRound = 0;
  private readinessSearch = 0;
  private emissions = 0;
  /** Called for errors no query is waiting for. */
  errorReporter: (error: Error) => void = (e) => console.error(e.message);
  /**
   * Runs asynchronous work (starting materializations). The default runs it
   * on a fresh microtask; a client may route it to its own scheduler
   * (`oneTaskAtATime()` runs each in a host task of its own).
   */
  dispatch: (task: () => void) => void = runAsMicrotask;
  /** Hooks run when a tracker's resources are removed or transferred (ObjectLinkingLayer plugins). */
  readonly resourceManagers: ResourceManager[] = [];

  constructor(readonly executor?: ExecutorProcessControl) {}

  createJITDylib(name: string): JITDylib {
    if (this.dylibs.has(name)) throw new JITLinkError('InvalidArgument', `JITDylib ${name} already exists`);
    const dylib = new JITDylib(this, name);
    this.dylibs.set(name, dylib);
    return dylib;
  }

  getJITDylibByName(name: string): JITDylib | undefined {
    return this.dylibs.get(name);
  }

  get jitDylibs(): JITDylib[] {
    return [...this.dylibs.values()];
  }

  /** @internal */
  registerRecord(record: UnitRecord): void {
    this.allRecords.add(record);
  }

  reportError(error: Error): void {
    this.errorReporter(error);
  }

  /** Adds `manager` to the hooks run when a tracker is removed or transferred. */
  registerResourceManager(manager: ResourceManager): void {
    this.resourceManagers.push(manager);
  }

  /** Removes `manager`; safe to call from the manager's own `removeRecords`. */
  deregisterResourceManager(manager: ResourceManager): void {
    const index = this.resourceManagers.indexOf(manager);
    if (index >= 0) this.resourceManagers.splice(index, 1);
  }

  /**
   * Looks up `names` in `searchOrder`, materializing definitions as needed,
   * and resolves once each has reached the required state (Ready by default).
   */
  lookup(
    searchOrder: readonly JITDylib[],
    names: Iterable<string> | ReadonlyMap<string, SymbolLookupFlags>,
    options: LookupOptions = {},
  ): Promise<Map<string, TargetAddress>> {
    // Not an async function: a lookup that needs no generator and waits on
    // nothing (a link's references to units already there, the usual case)
    // settles without an async frame or a turn of its own.
    try {
      const requiredState = options.requiredState ?? SymbolState.Ready;
      // The names and whether each is required, copied (the caller may change its
      // map while this lookup waits) into arrays: no Map per lookup.
      // Arrays of their final size where it is known (a link's request, a list of names).
      let requested: string[];
      let required: boolean[];
      if (names instanceof Map) {
        const map = names as ReadonlyMap<string, SymbolLookupFlags>;
        requested = new Array<string>(map.size);
        required = new Array<boolean>(map.size);
        let i = 0;
        map.forEach((flags, name) => {
          requested[i] = name;
          required[i++] = flags === SymbolLookupFlags.RequiredSymbol;
        });
      } else if (Array.isArray(names)) {
        requested = (names as readonly string[]).slice();
        required = new Array<boolean>(requested.length).fill(true);
      } else {
        requested = [];
        required = [];
        for (const name of names as Iterable<string>) {
          requested.push(name);
          required.push(true);
        }
      }
      const fromDylib = options.fromDylib ?? options.requester?.dylib;
      // What was found, as two parallel arrays.
      const found: FoundEntries = { names: new Array<string>(requested.length), entries: new Array<SymbolEntry>(requested.length) };
      let foundCount = 0;
      // Indices into `requested` of the names not found.
      let missing: number[] | undefined;
      for (let i = 0; i < requested.length; i++) {
        const entry = this.find(searchOrder, requested[i]!, fromDylib);
        if (entry) {
          found.names[foundCount] = requested[i]!;
          found.entries[foundCount++] = entry;
        } else (missing ??= []).push(i);
      }
      if (foundCount < requested.length) found.names.length = found.entries.length = foundCount;
      if (missing !== undefined) {
        return this.generateThenWait(searchOrder, requested, required, missing, found, fromDylib, requiredState, options.requester);
      }
      return this.waitFor(found, requiredState, options.requester) ?? Promise.resolve(lookupResult(found));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** The rest of a lookup that missed names: each dylib's generators, in search order, then the waits. */
  private async generateThenWait(
    searchOrder: readonly JITDylib[],
    requested: readonly string[],
    required: readonly boolean[],
    missing: number[],
    found: FoundEntries,
    fromDylib: JITDylib | undefined,
    requiredState: SymbolState,
    requester: UnitRecord | undefined,
  ): Promise<Map<string, TargetAddress>> {
    // Give each dylib's generators a chance, in search order, then search again.
    // Each generator sees only what is still missing after the ones before it.
    // Generators define only into their own dylib, so after each one only that
    // dylib needs checking (not the whole search order for every name again).
    let stillMissing = missing.map((i) => requested[i]!);
    search: for (const dylib of searchOrder) {
      for (const gen of dylib.generators) {
        if (stillMissing.length === 0) break search;
        const definedBefore = dylib.definitionCount;
        const generating = gen.tryToGenerate(dylib, stillMissing);
        if (generating) await generating;
        if (dylib.definitionCount !== definedBefore) {
          stillMissing = stillMissing.filter((n) => !isVisible(dylib.symbols.get(n), dylib, fromDylib));
        }
      }
    }
    const notFound: number[] = [];
    for (let k = 0; k < missing.length; k++) {
      const i = missing[k]!;
      const entry = this.find(searchOrder, requested[i]!, fromDylib);
      if (entry) {
        found.names.push(requested[i]!);
        found.entries.push(entry);
      } else notFound.push(i);
    }
    const requiredNotFound = notFound.filter((i) => required[i]).map((i) => requested[i]!);
    if (requiredNotFound.length > 0) {
      throw new JITLinkError('SymbolsNotFound', `symbols not found: [ ${requiredNotFound.join(', ')} ]`);
    }
    const waiting = this.waitFor(found, requiredState, requester);
    return waiting !== undefined ? await waiting : lookupResult(found);
  }

  /**
   * Records the requester's dependencies on the units found and starts the
   * ones never searched. When some have not reached `requiredState` yet: the
   * lookup's result once they have (undefined: nothing to wait for). Throws
   * for a unit that failed.
   */
  private waitFor(
    found: FoundEntries,
    requiredState: SymbolState,
    requester: UnitRecord | undefined,
  ): Promise<Map<string, TargetAddress>> | undefined {
    const entries = found.entries;
    // One wait per unit that is not there yet, however many of its symbols are asked for.
    // The first unit waited on, kept apart: most lookups wait on one unit at most, and need no Map or Promise.all.
    let firstWait: UnitRecord | undefined;
    let firstWaitName = '';
    let waitingOn: Map<UnitRecord, string> | undefined;
    let lastRecord: UnitRecord | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const record = entry.record;
      // Consecutive names of one unit (the usual order of a graph's externals) need one visit.
      if (!record || record === lastRecord) continue;
      lastRecord = record;
      if (requester && record !== requester && !requester.deps.has(record)) {
        requester.deps.add(record);
        requester.depList.push(record);
        record.dependents.add(requester);
      }
      if (record.state === SymbolState.NeverSearched) this.startMaterializing(record);
      else if (record.state === SymbolState.Materializing) record.unit.expedite?.();
      if (record.error) throw this.dependencyError(entry.name, record);
      if (record.state < requiredState) {
        if (firstWait === undefined) {
          firstWait = record;
          firstWaitName = entry.name;
        } else if (record !== firstWait) {
          waitingOn ??= new Map([[firstWait, firstWaitName]]);
          if (!waitingOn.has(record)) waitingOn.set(record, entry.name);
        }
      }
    }
    if (waitingOn === undefined && firstWait !== undefined) {
      const record = firstWait;
      const signal = requiredState === SymbolState.Resolved ? record.resolved : record.ready;
      return signal.promise.then(
        () => lookupResult(found),
        () => Promise.reject(this.dependencyError(firstWaitName, record)),
      );
    }
    if (waitingOn !== undefined) {
      const waits: Promise<void>[] = [];
      for (const [record, name] of waitingOn) {
        const d = requiredState === SymbolState.Resolved ? record.resolved : record.ready;
        waits.push(d.promise.catch(() => Promise.reject(this.dependencyError(name, record))));
      }
      return Promise.all(waits).then(() => lookupResult(found));
    }
    return undefined;
  }

  /**
   * Links the given units now (whether or not anything refers to them) and
   * waits until they are Ready. Used to link every object named on a command
   * line, as a static linker would.
   */
  async materialize(records: Iterable<UnitRecord>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const record of records) {
      if (record.state === SymbolState.NeverSearched) this.startMaterializing(record);
      if (record.error) throw this.dependencyError(record.unit.name, record);
      waits.push(
        record.ready.promise.catch(() => Promise.reject(this.dependencyError(record.unit.name, record))),
      );
    }
    await Promise.all(waits);
  }

  /** Looks up one symbol (Ready) and returns its address. */
  lookupOne(searchOrder: readonly JITDylib[], name: string): Promise<TargetAddress> {
    // A name already defined needs none of a general lookup's arrays, result
    // Map or generators: its unit's readiness, then its address.
    const entry = this.find(searchOrder, name, undefined);
    if (entry === undefined) return this.lookup(searchOrder, [name]).then((found) => found.get(name)!);
    const record = entry.record;
    if (record === undefined) return Promise.resolve(entry.address);
    if (record.state === SymbolState.NeverSearched) this.startMaterializing(record);
    if (record.error) return Promise.reject(this.dependencyError(name, record));
    if (record.state === SymbolState.Ready) return Promise.resolve(entry.address);
    return record.ready.promise.then(
      () => entry.address,
      () => Promise.reject(this.dependencyError(name, record)),
    );
  }

  private find(
    order: readonly JITDylib[],
    name: string,
    fromDylib: JITDylib | undefined,
  ): SymbolEntry | undefined {
    for (let i = 0; i < order.length; i++) {
      const dylib = order[i]!;
      const entry = dylib.symbols.get(name);
      if (isVisible(entry, dylib, fromDylib)) return entry;
    }
    return undefined;
  }

  private dependencyError(name: string, record: UnitRecord): Error {
    const cause = record.error ?? new Error('unknown failure');
    if (
      cause instanceof JITLinkError &&
      cause.code === 'LinkFailed' &&
      cause.message.startsWith('failed to materialize')
    )
      return cause;
    return new JITLinkError(
      'LinkFailed',
      `failed to materialize ${name} (from ${record.unit.name}): ${cause.message}`,
      {},
      { cause },
    );
  }

  private startMaterializing(record: UnitRecord): void {
    record.state = SymbolState.Materializing;
    this.inFlight.add(record);
    const responsibility = new MaterializationResponsibility(this, record);
    // Dispatched, so lookups never recurse into linking.
    this.dispatch(() => {
      try {
        record.unit.materialize(responsibility);
      } catch (e) {
        responsibility.fail(toError(e));
      }
    });
  }

  /** @internal */
  notifyResolved(record: UnitRecord, addresses: ReadonlyMap<string, TargetAddress>): void {
    const missing: string[] = [];
    for (const name of record.owned) {
      const address = addresses.get(name);
      const entry = record.dylib.symbols.get(name);
      if (address === undefined || !entry) missing.push(name);
      else entry.address = address;
    }
    if (missing.length > 0) {
      throw new JITLinkError(
        'LinkFailed',
        `${record.unit.name} did not define symbols it claimed: ${missing.join(', ')}`,
      );
    }
    record.state = SymbolState.Resolved;
    record.signal(SymbolState.Resolved);
  }

  /** @internal */
  notifyEmitted(record: UnitRecord, allocation: JITLinkAllocation | undefined): void {
    record.allocation = allocation;
    record.state = SymbolState.Emitted;
    this.inFlight.delete(record);
    record.signal(SymbolState.Emitted);
    // A unit failed through a dependency keeps its allocation (for removal) but never becomes Ready.
    if (record.error) return;
    record.emitOrder = ++this.emissions;
    this.emittedNotReady.add(record);
    const recheck = record.blocking;
    record.blocking = undefined;
    this.updateReadiness(record, recheck);
  }

  /**
   * Marks Ready every emitted unit that no longer reaches a unit in flight
   * through its dependencies (directly, or through emitted units that are
   * not Ready: cycles included).
   *
   * Each waiting unit remembers one unit in flight it reaches (`blockedBy`)
   * and is listed with that unit (`blocking`). While that unit is in flight
   * the waiting one stays blocked, so an emission only looks at the unit just
   * emitted and at the units it blocked: the cost follows what the emission
   * affects, not the number of units waiting or their dependents.
   */
  private updateReadiness(emitted: UnitRecord, recheck: readonly UnitRecord[] | undefined): void {
    const round = ++this.readinessRound;
    const cleared: UnitRecord[] = [];
    this.recheckReadiness(emitted, round, cleared);
    if (recheck !== undefined) {
      for (let i = 0; i < recheck.length; i++) this.recheckReadiness(recheck[i]!, round, cleared);
    }
    if (cleared.length === 0) return;
    // Resolved in emission order, whatever order the search found them in.
    if (cleared.length > 1) cleared.sort((a, b) => a.emitOrder - b.emitOrder);
    for (let i = 0; i < cleared.length; i++) {
      const r = cleared[i]!;
      this.emittedNotReady.delete(r);
      r.blockedBy = undefined;
      r.state = SymbolState.Ready;
      r.signal(SymbolState.Ready);
    }
  }

  /** Finds a new blocker for `unit` if it is waiting and its own is no longer in flight; clears it (and what it reaches) if none. */
  private recheckReadiness(unit: UnitRecord, round: number, cleared: UnitRecord[]): void {
    if (!this.emittedNotReady.has(unit) || unit.clearMark === round) return;
    const current = unit.blockedBy;
    if (current !== undefined && this.inFlight.has(current)) return;
    const search = ++this.readinessSearch;
    const blocker = this.findInFlight(unit, search, round);
    if (blocker === undefined) {
      // Nothing in flight is reachable from `unit`, so from nothing it reached either.
      const stack = [unit];
      unit.clearMark = round;
      while (stack.length > 0) {
        const r = stack.pop()!;
        cleared.push(r);
        const deps = r.depList;
        for (let i = 0; i < deps.length; i++) {
          const d = deps[i]!;
          if (d.clearMark === round || d.searchMark !== search || !this.emittedNotReady.has(d)) continue;
          d.clearMark = round;
          stack.push(d);
        }
      }
    }
  }

  /**
   * A unit in flight reachable from `start` through its dependencies and
   * emitted units not Ready, or undefined. Every unit on the path to it
   * records it as its blocker.
   */
  private findInFlight(start: UnitRecord, search: number, round: number): UnitRecord | undefined {
    // Depth-first, with each frame's position among its unit's dependencies.
    const path: UnitRecord[] = [start];
    const positions: UnitRecord[][] = [start.depList];
    const indices: number[] = [0];
    start.searchMark = search;
    let found: UnitRecord | undefined;
    while (path.length > 0 && found === undefined) {
      const top = path.length - 1;
      const deps = positions[top]!;
      // Direct dependencies first: with many units in flight, most searches end here.
      if (indices[top] === 0) {
        for (let i = 0; i < deps.length; i++) {
          if (this.inFlight.has(deps[i]!)) {
            found = deps[i]!;
            break;
          }
        }
        if (found !== undefined) break;
      }
      let next: UnitRecord | undefined;
      while (indices[top]! < deps.length) {
        const d = deps[indices[top]!++]!;
        if (d.searchMark === search || d.clearMark === round || !this.emittedNotReady.has(d)) continue;
        const known = d.blockedBy;
        if (known !== undefined && this.inFlight.has(known)) {
          // Blocked already, by a unit still in flight: so is everything on the path.
          found = known;
          break;
        }
        next = d;
        break;
      }
      if (found !== undefined) break;
      if (next === undefined) {
        path.pop();
        positions.pop();
        indices.pop();
        continue;
      }
      next.searchMark = search;
      path.push(next);
      positions.push(next.depList);
      indices.push(0);
    }
    if (found === undefined) return undefined;
    for (let i = 0; i < path.length; i++) {
      const r = path[i]!;
      if (r.blockedBy === found) continue;
      r.blockedBy = found;
      (found.blocking ??= []).push(r);
    }
    return found;
  }

  /** @internal Fails a unit, everything waiting on it, and every unit that depends on it. */
  notifyFailed(record: UnitRecord, error: Error): void {
    const work: [UnitRecord, Error][] = [[record, error]];
    while (work.length > 0) {
      const [r, e] = work.pop()!;
      if (r.error || r.state === SymbolState.Ready) continue;
      r.error = e;
      this.inFlight.delete(r);
      this.emittedNotReady.delete(r);
      // The units it blocked depend on it: they fail too, so nothing becomes Ready here.
      r.blocking = undefined;
      r.blockedBy = undefined;
      r.signalFailure(e);
      for (const d of r.dependents) {
        work.push([
          d,
          new JITLinkError(
            'LinkFailed',
            `failed to materialize ${d.unit.name}: it depends on ${r.unit.name}, which failed: ${e.message}`,
            {},
            { cause: e },
          ),
        ]);
      }
    }
  }

  /** @internal */
  async removeTracker(tracker: ResourceTracker): Promise<void> {
    if (tracker.removed) return;
    tracker.removed = true;
    const records = [...tracker.records];
    // Links in flight under this tracker settle first, so memory is never freed under a running link.
    await Promise.all(
      records.filter((r) => r.state !== SymbolState.NeverSearched).map((r) => r.settled.promise),
    );
    const errors: Error[] = [];
    for (const manager of [...this.resourceManagers]) {
      try {
        await manager.removeRecords(records, tracker);
      } catch (e) {
        errors.push(toError(e));
      }
    }
    // Deallocations start together (each runs its dealloc actions in record
    // order), so a memory manager can release their pages in one go.
    const deallocations: Promise<void>[] = [];
    for (const r of records) {
      if (r.allocation) {
        deallocations.push(r.allocation.deallocate().catch((e: unknown) => void errors.push(toError(e))));
        r.allocation = undefined;
      }
      for (const name of r.owned) {
        const entry = tracker.dylib.symbols.get(name);
        if (entry?.record === r) tracker.dylib.symbols.delete(name);
      }
      this.allRecords.delete(r);
      this.emittedNotReady.delete(r);
      this.inFlight.delete(r);
    }
    await Promise.all(deallocations);
    for (const name of tracker.absoluteNames) {
      const entry = tracker.dylib.symbols.get(name);
      if (entry && !entry.record) tracker.dylib.symbols.delete(name);
    }
    tracker.records.clear();
    if (errors.length > 0)
      throw errors.length === 1
        ? errors[0]
        : new AggregateError(errors, errors.map((e) => e.message).join('\n'));
  }

  /** @internal */
  transferTracker(src: ResourceTracker, dst: ResourceTracker): void {
    if (src === dst) return;
    for (const manager of [...this.resourceManagers]) manager.transfer(dst, src);
    for (const r of src.records) {
      r.tracker = dst;
      dst.records.add(r);
    }
    for (const n of src.absoluteNames) dst.absoluteNames.add(n);
    src.records.clear();
    src.absoluteNames.clear();
  }

  /** Releases every allocation of every JITDylib. */
  async endSession(): Promise<void> {
    const errors: Error[] = [];
    for (const dylib of this.dylibs.values()) {
      const trackers = new Set<ResourceTracker>([dylib.defaultTracker]);
      for (const r of this.allRecords) if (r.dylib === dylib) trackers.add(r.tracker);
      for (const t of trackers) {
        try {
          await this.removeTracker(t);
        } catch (e) {
          errors.push(toError(e));
        }
      }
    }
    if (errors.length > 0)
      throw errors.length === 1
        ? errors[0]
        : new AggregateError(errors, errors.map((e) => e.message).join('\n'));
  }

  describeSymbol(name: string, dylib: JITDylib): string {
    const e = dylib.symbols.get(name);
    return e ? `${name} @ ${formatAddress(e.address)} (${SymbolState[e.state]})` : `${name} (undefined)`;
  }
}

/** What a materializing unit reports back to the session. */
export class MaterializationResponsibility {
  private done = false;
  constructor(
    readonly session: ExecutionSession,
    readonly record: UnitRecord,
  ) {}

  get dylib(): JITDylib {
    return this.record.dylib;
  }
  /** Names this unit must define. */
  get symbols(): ReadonlySet<string> {
    return this.record.owned;
  }
  get tracker(): ResourceTracker {
    return this.record.tracker;
  }

  notifyResolved(addresses: ReadonlyMap<string, TargetAddress>): void {
    this.session.notifyResolved(this.record, addresses);
  }

  notifyEmitted(allocation?: JITLinkAllocation): void {
    if (this.done) return;
    this.done = true;
    this.session.notifyEmitted(this.record, allocation);
  }

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.session.notifyFailed(this.record, error);
  }
}

/** A definition in `dylib` is visible to lookups from `fromDylib` unless it is hidden there. */
function isVisible(
  entry: SymbolEntry | undefined,
  dylib: JITDylib,
  fromDylib: JITDylib | undefined,
): entry is SymbolEntry {
  return entry !== undefined && (!entry.flags.hidden || fromDylib === undefined || fromDylib === dylib);
}
