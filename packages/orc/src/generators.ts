/** Definition generators: where symbols come from when no added object defines them. */
import {
  definitionFlags,
  JITLinkError,
  Scope,
  type Archive,
  type ArchiveMember,
  type ExecutorProcessControl,
  type LinkGraph,
  type ObjectDefinitions,
} from '@jitlink/core';
import type { ObjectDecoder, ObjectLinkingLayer } from './object-linking-layer.js';
import {
  MaterializationUnit,
  runAsTask,
  SymbolState,
  type DefinitionGenerator,
  type ExecutorSymbolDef,
  type JITDylib,
  type JITSymbolFlags,
  type MaterializationResponsibility,
  type ResourceTracker,
} from './session.js';

/**
 * Process symbols are weak: a definition linked into the JIT overrides them,
 * as an executable's definition interposes on a shared library's.
 */
const PROCESS_SYMBOL_FLAGS: JITSymbolFlags = { hidden: false, weak: true, callable: true };

/** Defines symbols the executor process already has (libc, libm, ...), found by name. */
export class ProcessSymbolsGenerator implements DefinitionGenerator {
  /**
   * Per dylib, the names asked of the executor whose answer has not come
   * back: a lookup missing one of them waits for that answer instead of
   * asking again (many links miss the same libc name at once). Weak, so
   * that a generator shared by sessions does not keep their dylibs alive.
   */
  private readonly unanswered = new WeakMap<JITDylib, Map<string, Promise<void>>>();

  constructor(
    private readonly executor: ExecutorProcessControl,
    /** Return false to hide a name from the process (e.g. symbols the JIT must define itself). */
    private readonly allow: (name: string) => boolean = () => true,
  ) {}

  tryToGenerate(dylib: JITDylib, names: readonly string[]): Promise<void> | void {
    const unanswered = this.unanswered.get(dylib);
    const wanted: string[] = [];
    // The answers already under way that cover some of `names` (usually none or one).
    const awaited: Promise<void>[] = [];
    for (const name of names) {
      if (!this.allow(name)) continue;
      const answer = unanswered?.get(name);
      if (answer === undefined) wanted.push(name);
      else if (!awaited.includes(answer)) awaited.push(answer);
    }
    if (wanted.length > 0) awaited.push(this.ask(dylib, wanted));
    if (awaited.length === 0) return;
    return awaited.length === 1 ? awaited[0] : Promise.all(awaited).then(() => undefined);
  }

  /** Asks the executor for `wanted`, defining what it has; the names count as unanswered until then. */
  private ask(dylib: JITDylib, wanted: string[]): Promise<void> {
    let unanswered = this.unanswered.get(dylib);
    if (unanswered === undefined) this.unanswered.set(dylib, (unanswered = new Map()));
    const pending = unanswered;
    const answer = this.executor.lookupSymbols(wanted).then(
      (found) => {
        for (const name of wanted) pending.delete(name);
        const defs = new Map<string, ExecutorSymbolDef>();
        for (const [name, address] of found)
          if (address !== 0) defs.set(name, { address, flags: PROCESS_SYMBOL_FLAGS });
        if (defs.size > 0) dylib.defineAbsolute(defs);
      },
      (e: unknown) => {
        for (const name of wanted) pending.delete(name);
        throw e;
      },
    );
    for (const name of wanted) pending.set(name, answer);
    return answer;
  }
}

/** Defines every name it is asked for at address 0 (llvm-jitlink's -phony-externals). */
export class PhonyExternalsGenerator implements DefinitionGenerator {
  readonly defined: string[] = [];
  tryToGenerate(dylib: JITDylib, names: readonly string[]): void {
    const defs = new Map<string, ExecutorSymbolDef>();
    for (const name of names)
      if (!dylib.symbols.has(name))
        defs.set(name, { address: 0, flags: { ...PROCESS_SYMBOL_FLAGS, weak: false } });
    this.defined.push(...defs.keys());
    if (defs.size > 0) dylib.defineAbsolute(defs);
  }
}

/** Absolute definitions as a map. */
export function absoluteSymbols(
  entries: Iterable<[string, number]>,
  flags: Partial<JITSymbolFlags> = {},
): Map<string, ExecutorSymbolDef> {
  const defs = new Map<string, ExecutorSymbolDef>();
  for (const [name, address] of entries)
    defs.set(name, { address, flags: { hidden: false, weak: false, callable: false, ...flags } });
  return defs;
}

/**
 * Loads members of a static archive on demand: when a lookup misses a name
 * the archive's symbol index maps to a member, that member is added to the
 * dylib (once) through the object linking layer.
 */
export class StaticLibraryDefinitionGenerator implements DefinitionGenerator {
  private readonly loaded = new Set<ArchiveMember>();
  /** The last wave of members loaded with the layer's decoder (waves run one after another). */
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly layer: ObjectLinkingLayer,
    readonly archive: Archive,
    private readonly options: {
      tracker?: ResourceTracker;
      /** Makes the members' definitions hidden: visible only within the dylib (-hidden-l). */
      hideDefinitions?: boolean;
      /**
       * Adjusts each member's graph before it is linked. A transform may change
       * what the member defines, so with one each member's graph is built when
       * the member is loaded, not when it is linked.
       */
      transformGraph?: (graph: LinkGraph) => void;
    } = {},
  ) {
    // An archive without a symbol index (`ar rcS`, `llvm-ar --no-symbol-table`)
    // is indexed from its members' definitions, as `ranlib` would index it;
    // members that are not objects this layer reads define nothing.
    if (!archive.hasSymbolIndex && archive.members.length > 0) {
      archive.buildSymbolIndex((member) => {
        try {
          return this.readDefinitions(member).keys();
        } catch (e) {
          if (e instanceof JITLinkError) return [];
          throw e;
        }
      });
    }
  }

  /**
   * A member's definitions: scanned in place for archives held in memory,
   * read from the ranges they lie in for archives read on demand.
   */
  private readDefinitions(member: ArchiveMember): ObjectDefinitions {
    const object = this.archive.bytes !== undefined ? member.data : member;
    return this.layer.registry.readObjectDefinitions(object, {
      name: `${this.archive.fileName}(${member.name})`,
    });
  }

  /** Members loaded so far, in load order. */
  get loadedMembers(): ArchiveMember[] {
    return [...this.loaded];
  }

  tryToGenerate(dylib: JITDylib, names: readonly string[]): Promise<void> | void {
    const decoder = this.layer.decoder;
    if (decoder !== undefined) {
      // After the wave in progress, if any: its members are not defined yet, and a lookup must not skip them.
      const wave = this.loading.then(() => this.loadWave(dylib, names, decoder));
      this.loading = wave.catch(() => undefined);
      return wave;
    }
    for (const name of names) {
      const member = this.memberToLoad(dylib, name);
      if (member !== undefined) this.loadMember(dylib, member);
    }
  }

  /** The member defining `name`, when it is to be loaded now (it is marked loaded). */
  private memberToLoad(dylib: JITDylib, name: string): ArchiveMember | undefined {
    // Most names are not in this archive: one index lookup settles them.
    const member = this.archive.findMemberDefining(name);
    if (!member || this.loaded.has(member) || dylib.symbols.has(name)) return undefined;
    this.loaded.add(member);
    return member;
  }

  /**
   * Loads the members defining `names` as tryToGenerate does without a
   * decoder, in the same order: the decoder decodes them ahead (on other
   * threads) while this thread builds each one's graph in turn. When the
   * next member is still being decoded, this thread builds members from the
   * back of the wave (those no thread has started) meanwhile, keeping their
   * graphs (or errors) until their turn.
   */
  private async loadWave(dylib: JITDylib, names: readonly string[], decoder: ObjectDecoder): Promise<void> {
    const members: ArchiveMember[] = [];
    for (const name of names) {
      const member = this.memberToLoad(dylib, name);
      if (member !== undefined) members.push(member);
    }
    if (members.length > 1) for (const member of members) this.prefetch(decoder, member);
    const builtAhead = new Map<ArchiveMember, { graph?: LinkGraph; error?: unknown }>();
    let builtAheadBytes = 0;
    const canBuildAhead = (member: ArchiveMember): boolean =>
      this.options.transformGraph === undefined && decoder.queued(member) && !this.layer.overGraphBudget(builtAheadBytes + member.size);
    let back = members.length - 1;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      const ahead = builtAhead.get(member);
      // Beyond the graph budget a member is registered from its definitions: its decoding goes on meanwhile.
      if (ahead === undefined && this.options.transformGraph === undefined && this.layer.overGraphBudget(member.size)) {
        this.loadMember(dylib, member);
        continue;
      }
      let decoding = ahead === undefined ? decoder.settled(member) : undefined;
      while (decoding !== undefined) {
        if (!(back > i && canBuildAhead(members[back]!))) {
          await decoding;
          break;
        }
        const next = members[back--]!;
        decoder.take(next);
        builtAheadBytes += next.size;
        try {
          builtAhead.set(next, { graph: this.layer.buildGraph(undefined, this.memberName(next), next.data) });
        } catch (error) {
          builtAhead.set(next, { error });
        }
        // A host task: decodings that finished meanwhile are delivered (a worker's message is a task of its own).
        await new Promise<void>((resolve) => runAsTask(resolve));
        decoding = decoder.settled(member);
      }
      try {
        if (ahead?.error !== undefined) throw ahead.error;
        if (ahead !== undefined) builtAheadBytes -= member.size;
        this.loadMember(dylib, member, ahead?.graph);
      } catch (e) {
        // As without a decoder: the members after the one that failed are not loaded.
        for (let j = i + 1; j < members.length; j++) {
          this.loaded.delete(members[j]!);
          decoder.take(members[j]!);
        }
        throw e;
      }
    }
  }

  private memberName(member: ArchiveMember): string {
    return `${this.archive.fileName}(${member.name})`;
  }

  private prefetch(decoder: ObjectDecoder, member: ArchiveMember): void {
    decoder.prefetch(member, this.memberName(member), () => member.data);
  }

  /** Adds a member to `dylib`; `built` is its graph when it is built already. */
  private loadMember(dylib: JITDylib, member: ArchiveMember, built?: LinkGraph): void {
    const { tracker, hideDefinitions, transformGraph } = this.options;
    const name = this.memberName(member);
    const weight = member.size;
    const decoder = this.layer.decoder;
    const overBudget = this.layer.overGraphBudget(weight);
    if (built !== undefined || transformGraph !== undefined || (decoder !== undefined && !overBudget)) {
      // Built now: by the decoder's wave, or to be transformed before its definitions are read.
      const graph = built ?? this.layer.buildGraph(member, name, () => member.data);
      if (hideDefinitions) hideGraphDefinitions(graph);
      transformGraph?.(graph);
      this.layer.add(dylib, graph, { tracker, weight });
      return;
    }
    const transformMember = hideDefinitions ? hideGraphDefinitions : undefined;
    if (this.archive.bytes !== undefined && decoder === undefined) {
      // Held in memory: added by its bytes (a view of the archive's), its graph built when it is linked
      // (through the layer's link queue, depth-first: few graphs at a time). The layer keeps what was parsed
      // to read its definitions for that build while the kept parses fit the graph budget.
      this.layer.addLazily(
        dylib,
        { bytes: member.data, name, transformGraph: transformMember, queued: true },
        { tracker, weight, transformInterface: hideDefinitions ? hiddenDefinitions : undefined },
      );
      return;
    }
    // Read on demand, or decoded ahead beyond the budget: only the member's definitions now, read from the
    // ranges they lie in for archives read on demand; its graph is built (and its bytes read) when it is linked.
    let definitions = this.readDefinitions(member);
    if (hideDefinitions) definitions = hiddenDefinitions(definitions);
    // Read again when linked (or decoded ahead): archives read from files on demand hold no member meanwhile.
    if (decoder !== undefined) this.prefetch(decoder, member);
    this.layer.addLazily(
      dylib,
      {
        bytes: () => member.data,
        name,
        transformGraph: transformMember,
        decoderKey: decoder === undefined ? undefined : member,
        queued: true,
      },
      { tracker, interface: definitions, weight },
    );
  }
}

/** Makes a graph's default-scope definitions hidden. */
export function hideGraphDefinitions(graph: LinkGraph): void {
  for (const sym of graph.definedSymbols()) if (sym.scope === Scope.Default) sym.scope = Scope.Hidden;
  for (const sym of graph.absoluteSymbols()) if (sym.scope === Scope.Default) sym.scope = Scope.Hidden;
}

/** The same definitions, hidden. */
function hiddenDefinitions(definitions: ObjectDefinitions): ObjectDefinitions {
  const hidden: ObjectDefinitions = new Map();
  for (const [name, flags] of definitions) {
    hidden.set(
      name,
      flags.common !== undefined
        ? { ...flags, hidden: true }
        : definitionFlags(true, flags.weak, flags.callable),
    );
  }
  return hidden;
}

/**
 * Aliases: defines each alias name with the address of its target, looked up
 * in `source` (another dylib, or the same one for plain aliases). The alias is
 * Ready when its target is.
 */
export class ReExportsUnit extends MaterializationUnit {
  readonly name: string;
  readonly symbols: Map<string, JITSymbolFlags>;

  constructor(
    readonly source: JITDylib,
    /** alias name -> target name and the alias's flags. */
    readonly aliases: ReadonlyMap<string, { target: string; flags?: Partial<JITSymbolFlags> }>,
  ) {
    super();
    this.name = `re-exports from ${source.name}`;
    this.symbols = new Map(
      [...aliases].map(([alias, a]) => [alias, { hidden: false, weak: false, callable: true, ...a.flags }]),
    );
  }

  materialize(r: MaterializationResponsibility): void {
    const targets = new Map<string, string>();
    for (const alias of r.symbols) targets.set(alias, this.aliases.get(alias)!.target);
    const session = r.session;
    session
      .lookup([this.source], new Set(targets.values()), {
        requiredState: SymbolState.Resolved,
        requester: r.record,
        fromDylib: this.source,
      })
      .then((found) => {
        const addresses = new Map<string, number>();
        for (const [alias, target] of targets) addresses.set(alias, found.get(target)!);
        r.notifyResolved(addresses);
        r.notifyEmitted();
      })
      .catch((e: unknown) => r.fail(e instanceof Error ? e : new Error(String(e))));
  }

  discard(): void {}
}

/** Aliases within or across dylibs (llvm-jitlink's -alias uses this). */
export function reexports(
  source: JITDylib,
  aliases: Iterable<[string, string]>,
  flags: Partial<JITSymbolFlags> = {},
): ReExportsUnit {
  return new ReExportsUnit(
    source,
    new Map([...aliases].map(([alias, target]) => [alias, { target, flags }])),
  );
}
