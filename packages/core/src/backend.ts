/**
 * Backends and the createLinkGraph dispatcher. A backend pairs an object format
 * with an architecture: it builds LinkGraphs from bytes and supplies the
 * fixups and default passes the generic link algorithm needs. Format and
 * architecture packages compose into backends; third parties register their
 * own through the same API.
 */
import type { TargetAddress } from './address.js';
import type { InputLimits } from './limits.js';
import { JITLinkError } from './errors.js';
import type { EdgeKindNamer } from './edge-kinds.js';
import type { Endianness, LinkGraph, Section, Symbol } from './graph.js';
import type { InstructionDecoder } from './check/types.js';
import { graphDefinitions, type ObjectDefinitions } from './definitions.js';
import type { LinkTarget } from './link.js';
import { identifyObject, type FormatSniffer, type ObjectIdentity } from './identify.js';
import { describeFormat, missingBackendAdvice } from './support.js';
import { archOfTriple, objectFormatOfTriple, type ObjectFormat } from './triple.js';
import type { ByteSource } from './archive.js';
import { PartialObject } from './partial-object.js';

/** Options for building a LinkGraph from an object file. */
export interface CreateLinkGraphOptions {
  /** Name of the graph, usually the file name (used in every error message). */
  name?: string;
  /** For universal (fat) MachO files: which architecture slice to use. */
  arch?: string;
  /** Caps on the input's size, sections and relocations. */
  limits?: InputLimits;
  /**
   * The object's tables decoded ahead (on another thread, say) by its format
   * package, e.g. `@jitlink/elf`'s `decodeElf`: a backend of that format
   * builds from them the graph it builds from the bytes, with the same
   * errors; other backends ignore it.
   */
  decoded?: { readonly format: string };
  /**
   * The object's identity, when the caller has it already from `identify`
   * on the same bytes with the same name and arch: the header is not sniffed again.
   */
  identity?: ObjectIdentity;
  /**
   * The object's container as its format package parsed it when reading its
   * definitions (`ObjectReading.parsed`, from `readObjectForLink` on the same
   * bytes and name): a backend of that format builds the graph from it
   * without parsing again; other backends ignore it.
   */
  parsed?: { readonly format: string };
}

/** An object's definitions, and what its backend parsed to read them, for building its graph later. */
export interface ObjectReading {
  definitions: ObjectDefinitions;
  /** For CreateLinkGraphOptions.parsed; absent when the backend keeps nothing. */
  parsed?: { readonly format: string };
}

/** What a graph of a triple is made of, for graphs built by hand (such as a tool's section of raw bytes). */
export interface GraphFormat {
  pointerSize: 4 | 8;
  endianness: Endianness;
  getEdgeKindName: EdgeKindNamer;
}

/** The linker-made table entries a graph can hold for a target symbol. */
export type TableEntryKind = 'got' | 'stub';

/**
 * What an architecture supplies beyond linking, for tools (jitlink-check,
 * llvm-jitlink's -sectcreate and -add-self-relocations). Every member is
 * optional: a tool says when the backend of a graph lacks what it needs.
 */
export interface BackendTools {
  /** Pointer size, byte order and edge-kind names of graphs for `triple`. */
  graphFormat?(triple: string): GraphFormat;
  /** Decodes instructions for jitlink-check's `decode_operand` and `next_pc`. */
  readonly instructionDecoder?: InstructionDecoder;
  /**
   * After the link's table passes: the graph's GOT entry for `targetName`, or
   * its stub (the entry point calls to `targetName` jump through).
   */
  findTableEntry?(graph: LinkGraph, kind: TableEntryKind, targetName: string): Symbol | undefined;
  /**
   * A pass for llvm-jitlink's -add-self-relocations: gives a function's
   * unrelocated references to itself an edge, so that pointers a function
   * forms to itself follow the symbol. Architectures whose objects always
   * carry these relocations leave it out.
   */
  addSelfRelocations?(graph: LinkGraph): void;
  /**
   * For formats whose code follows another calling convention than the
   * host's (COFF x86-64 code on Linux): a graph defining `symbol`, a function
   * the host calls with its own convention to call `entryName`. Integer and
   * pointer arguments only.
   */
  hostEntryBridge?(entryName: string): { graph: LinkGraph; symbol: string };
  /**
   * The same for functions without arguments known only by address
   * (initializer tables): a graph defining `symbols[i]`, a function the host
   * calls without arguments to call `targets[i]`.
   */
  hostCallBridges?(targets: readonly TargetAddress[]): { graph: LinkGraph; symbols: string[] };
  /**
   * Redirectable calls (live re-linking): adds to `graph` a pointer-sized
   * slot in `slotSection` holding `target`'s address, and a stub in
   * `stubSection` that jumps to whatever address the slot holds. Changing
   * the slot (one aligned pointer-sized store) redirects every caller of the
   * stub at once, while threads run.
   */
  createRedirectableStub?(
    graph: LinkGraph,
    stubSection: Section,
    slotSection: Section,
    target: Symbol,
  ): { stub: Symbol; slot: Symbol };
}

/**
 * A format package composed with an architecture package (e.g. `createElfBackend(x86_64Elf)`):
 * builds graphs of one format/architecture pair and knows how to link them.
 */
export interface LinkGraphBackend extends LinkTarget, BackendTools {
  /** A short name, e.g. "ELF/x86_64". */
  readonly name: string;
  readonly format: ObjectFormat;
  /** LLVM-style architecture name, e.g. "x86_64", "aarch64". */
  readonly arch: string;
  /**
   * Reads this format's headers (registered with the backend): format
   * packages own their headers, and a third party's format needs one.
   */
  readonly sniffer?: FormatSniffer;
  createLinkGraph(
    bytes: Uint8Array,
    options: CreateLinkGraphOptions & { identity: ObjectIdentity },
  ): LinkGraph;
  /**
   * The name a C-level symbol has in this backend's objects, for tools that
   * take names in source terms (an entry point): MachO prefixes an underscore
   * (`main` is `_main`). Without it, names are used as they are.
   */
  mangleName?(name: string): string;
  /**
   * The object's definitions, read without building its graph: for an object
   * that builds, exactly what `graphDefinitions(createLinkGraph(bytes))` gives.
   * It may check less than createLinkGraph (what it does not read is checked
   * when the object is linked). Optional: without it, the registry builds the
   * graph and drops it.
   */
  readDefinitions?(
    bytes: Uint8Array,
    options: CreateLinkGraphOptions & { identity: ObjectIdentity },
  ): ObjectDefinitions;
  /**
   * The definitions `readDefinitions` gives (with the same errors), and what
   * was parsed to read them, which `createLinkGraph` takes back as
   * `options.parsed` instead of parsing the bytes again. Optional: for an
   * object that is linked soon after, it trades a lighter read of the
   * definitions for one full parse.
   */
  readObject?(bytes: Uint8Array, options: CreateLinkGraphOptions & { identity: ObjectIdentity }): ObjectReading;
  /**
   * Reads into `object` every range `readDefinitions` looks at, so that it
   * gives over `object.bytes` exactly what it gives over the whole object
   * (its first 64 bytes are already read). Optional, with readDefinitions:
   * without it, objects held elsewhere are read whole for their definitions.
   */
  readDefinitionRanges?(
    object: PartialObject,
    options: CreateLinkGraphOptions & { identity: ObjectIdentity },
  ): void;
}

/**
 * A backend registered before it is built (`BackendRegistry.registerDeferred`):
 * what the registry needs of it without building it, and `load`, called the
 * first time a graph or object of its format and architecture needs it. An
 * architecture's tables are then built only by a link that uses them.
 */
export interface DeferredBackend {
  readonly format: ObjectFormat;
  readonly arch: string;
  /** The format's sniffer, registered at once (as `register` registers the backend's). */
  readonly sniffer?: FormatSniffer;
  /** The backend's mangleName, for names spelled in source terms before any object of the format is read. */
  mangleName?(name: string): string;
  /** Builds the backend; it must be of `format` and `arch`. */
  load(): LinkGraphBackend;
}

/** Sniffers read no further than this into an object (FormatSniffer), universal MachO files aside. */
const IDENTIFICATION_BYTES = 64;

function isUniversalMachO(head: Uint8Array): boolean {
  return head[0] === 0xca && head[1] === 0xfe && head[2] === 0xba && (head[3] === 0xbe || head[3] === 0xbf);
}

/** Objects larger than this are read in part into a buffer of their own (one that is not kept). */
const MAX_KEPT_PARTIAL_BYTES = 64 * 1024 * 1024;

/**
 * Backends by format and architecture, and the sniffers that identify objects; `createLinkGraph`
 * picks the backend for an object. `defaultBackendRegistry` is the one `registerBackend` fills.
 */
export class BackendRegistry {
  private readonly backends = new Map<string, LinkGraphBackend | DeferredBackend>();
  /** What each built deferred backend was registered as (for unregister). */
  private readonly loadedFrom = new WeakMap<LinkGraphBackend, DeferredBackend>();
  /** Consulted in order: the latest registered first. */
  private sniffers: FormatSniffer[] = [];
  /**
   * The zero-filled buffer objects read in part are read into, kept between
   * calls (undefined while in use): a fresh one per object cost a page fault
   * per page touched and counted the whole object against V8's external memory.
   */
  private partialBuffer: Uint8Array | undefined = new Uint8Array(0);

  private static key(format: ObjectFormat, arch: string): string {
    return `${format}/${arch}`;
  }

  /** Registers (or replaces) the backend for its format and architecture, and its format's sniffer. */
  register(backend: LinkGraphBackend): void {
    this.backends.set(BackendRegistry.key(backend.format, backend.arch), backend);
    if (backend.sniffer !== undefined) this.registerSniffer(backend.sniffer);
  }

  /**
   * Registers (or replaces) a backend built on first use: `find` (and every
   * lookup through it) calls `deferred.load()` once, when a graph or object of
   * its format and architecture first needs the backend.
   */
  registerDeferred(deferred: DeferredBackend): void {
    this.backends.set(BackendRegistry.key(deferred.format, deferred.arch), deferred);
    if (deferred.sniffer !== undefined) this.registerSniffer(deferred.sniffer);
  }

  /**
   * Registers (or replaces, by name) a sniffer, consulted before the others
   * and before the built-in recognition of ELF, MachO and COFF.
   */
  registerSniffer(sniffer: FormatSniffer): void {
    this.sniffers = [sniffer, ...this.sniffers.filter((s) => s.name !== sniffer.name)];
  }

  unregisterSniffer(sniffer: FormatSniffer): void {
    this.sniffers = this.sniffers.filter((s) => s !== sniffer);
  }

  /** The format and architecture of an object, by the registered sniffers or the built-in ones. */
  identify(bytes: Uint8Array, options: CreateLinkGraphOptions = {}): ObjectIdentity {
    return identifyObject(bytes, options.name, options.arch, this.sniffers);
  }

  /** Removes a backend, or a deferred one (built or not), if it is still the one registered for its key. */
  unregister(backend: LinkGraphBackend | DeferredBackend): void {
    const key = BackendRegistry.key(backend.format, backend.arch);
    const entry = this.backends.get(key);
    if (entry === backend || (entry !== undefined && !isDeferred(entry) && this.loadedFrom.get(entry) === backend)) this.backends.delete(key);
  }

  find(format: ObjectFormat, arch: string): LinkGraphBackend | undefined {
    const key = BackendRegistry.key(format, arch);
    const entry = this.backends.get(key);
    if (entry === undefined || !isDeferred(entry)) return entry;
    const backend = entry.load();
    if (backend.format !== format || backend.arch !== arch) {
      throw new JITLinkError('InvalidArgument', `the backend deferred for ${key} loaded as ${backend.format}/${backend.arch}`);
    }
    // Unless load() registered another meanwhile.
    if (this.backends.get(key) === entry) {
      this.backends.set(key, backend);
      this.loadedFrom.set(backend, entry);
    }
    return backend;
  }

  /** Every registered backend; deferred ones are built. */
  list(): LinkGraphBackend[] {
    return [...this.backends.values()].map((entry) => (isDeferred(entry) ? this.find(entry.format, entry.arch)! : entry));
  }

  /**
   * `name` as given, then as each registered backend mangles it (MachO:
   * `_name`), without repeats; deferred backends are not built for it.
   */
  spellingsOf(name: string): string[] {
    const spellings = [name];
    for (const entry of this.backends.values()) {
      const mangled = entry.mangleName?.(name);
      if (mangled !== undefined && !spellings.includes(mangled)) spellings.push(mangled);
    }
    return spellings;
  }

  /**
   * The backend for a format and architecture, or an error saying what would
   * bring one: which packages, whether they exist yet (KNOWN_BACKENDS).
   */
  require(format: ObjectFormat, arch: string, file?: string): LinkGraphBackend {
    const backend = this.find(format, arch);
    if (backend) return backend;
    const what = `${describeFormat(format)}/${arch} object`;
    throw new JITLinkError(
      'MissingBackend',
      `${what}: ${missingBackendAdvice(format, arch)}`,
      file === undefined ? {} : { file },
    );
  }

  /**
   * The backend for a triple's architecture and format (by default the
   * format used on the triple's platform; pass a graph's own `format`), if
   * one is registered.
   */
  forTriple(triple: string, format: ObjectFormat = objectFormatOfTriple(triple)): LinkGraphBackend | undefined {
    return this.find(format, archOfTriple(triple));
  }

  /** The backend that links `graph`, chosen by its format and the architecture of its triple. */
  forGraph(graph: LinkGraph): LinkGraphBackend {
    return this.require(graph.format, archOfTriple(graph.triple), graph.name);
  }

  /** Sniffs the object's format and architecture and builds its LinkGraph. */
  createLinkGraph(bytes: Uint8Array, options: CreateLinkGraphOptions = {}): LinkGraph {
    const identity = options.identity ?? this.identify(bytes, options);
    const backend = this.require(identity.format, identity.arch, options.name);
    return backend.createLinkGraph(bytes, { ...options, identity });
  }

  /**
   * The object's definitions (named non-local symbols and their flags), read
   * without keeping a graph: what a JIT needs to register an object it links
   * later. Malformed headers and symbol tables are reported here, with the
   * same errors createLinkGraph gives; other faults when the graph is built.
   * An object given as a ByteSource is read only where its backend's
   * readDefinitionRanges says (whole, for backends without it).
   */
  readObjectDefinitions(
    object: Uint8Array | ByteSource,
    options: CreateLinkGraphOptions = {},
  ): ObjectDefinitions {
    if (object instanceof Uint8Array) return this.readDefinitionsOf(object, options);
    // Held elsewhere (an archive member read on demand): read only what the backend needs, if it says what that is.
    const buffer = this.borrowPartialBuffer(object.size);
    const partial = new PartialObject(object, buffer);
    try {
      partial.read(0, IDENTIFICATION_BYTES);
      if (!isUniversalMachO(partial.bytes)) {
        const identity = this.identify(partial.bytes, options);
        const backend = this.require(identity.format, identity.arch, options.name);
        if (backend.readDefinitions !== undefined && backend.readDefinitionRanges !== undefined) {
          backend.readDefinitionRanges(partial, { ...options, identity });
          return backend.readDefinitions(partial.bytes, { ...options, identity });
        }
      }
    } finally {
      // Definitions are names and flags: nothing returned refers to the buffer.
      if (buffer !== undefined) {
        partial.clear();
        this.partialBuffer = buffer;
      }
    }
    return this.readDefinitionsOf(object.read(0, object.size), options);
  }

  /**
   * readObjectForLink: the definitions `readObjectDefinitions` gives, and, when
   * the object's backend keeps it, what it parsed to read them: passed to
   * `createLinkGraph` as `parsed` with the same bytes and name, the object is
   * not parsed twice. Holding `parsed` holds memory; drop it once the graph is built.
   */
  readObjectForLink(bytes: Uint8Array, options: CreateLinkGraphOptions = {}): ObjectReading {
    const identity = options.identity ?? this.identify(bytes, options);
    const backend = this.require(identity.format, identity.arch, options.name);
    if (backend.readObject !== undefined) return backend.readObject(bytes, { ...options, identity });
    return { definitions: this.readDefinitionsOf(bytes, { ...options, identity }) };
  }

  /** The kept buffer for an object of `size` bytes, grown if needed; undefined when in use or too large to keep. */
  private borrowPartialBuffer(size: number): Uint8Array | undefined {
    let buffer = this.partialBuffer;
    if (buffer === undefined || size > MAX_KEPT_PARTIAL_BYTES) return undefined;
    if (buffer.length < size) buffer = new Uint8Array(Math.min(MAX_KEPT_PARTIAL_BYTES, Math.max(size, buffer.length * 2)));
    this.partialBuffer = undefined;
    return buffer;
  }

  private readDefinitionsOf(bytes: Uint8Array, options: CreateLinkGraphOptions): ObjectDefinitions {
    const identity = options.identity ?? this.identify(bytes, options);
    const backend = this.require(identity.format, identity.arch, options.name);
    if (backend.readDefinitions !== undefined)
      return backend.readDefinitions(bytes, { ...options, identity });
    return graphDefinitions(backend.createLinkGraph(bytes, { ...options, identity }));
  }
}

function isDeferred(entry: LinkGraphBackend | DeferredBackend): entry is DeferredBackend {
  return !('createLinkGraph' in entry);
}

/** The registry used when none is passed explicitly. */
export const defaultBackendRegistry = new BackendRegistry();

/**
 * Registers a backend with the default registry, so `createLinkGraph` can build its objects'
 * graphs.
 */
export function registerBackend(backend: LinkGraphBackend): void {
  defaultBackendRegistry.register(backend);
}

/** Registers a sniffer with the default registry, e.g. for a format core does not know. */
export function registerFormatSniffer(sniffer: FormatSniffer): void {
  defaultBackendRegistry.registerSniffer(sniffer);
}

/** Builds a LinkGraph from an in-memory object file of any registered format and architecture. */
export function createLinkGraph(bytes: Uint8Array, options: CreateLinkGraphOptions = {}): LinkGraph {
  return defaultBackendRegistry.createLinkGraph(bytes, options);
}
