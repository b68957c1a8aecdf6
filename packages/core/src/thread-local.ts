/**
 * Where a linked graph's thread-local variables live once its platform has
 * loaded their storage. Formats differ in how code reaches a variable (ELF
 * TLS relocations, MachO thread-variable descriptors), but every platform
 * that runs such code maps the address a variable was given in its graph's
 * template (its allocated `.tdata`/`.tbss` or `__thread_data`/`__thread_bss`
 * block) to the same facts, which architecture packages read when they
 * lower their thread-local edges before fixups.
 */

/** Where a thread-local variable lives, for the fixups of TLS relocations. */
export interface ThreadLocalLocation {
  /** The loader's module id of the variable's TLS block. */
  moduleId: number;
  /** The variable's offset in that block (DTPOFF). */
  blockOffset: number;
  /** The variable's offset from the thread pointer (TPOFF; static TLS); NaN for a library's block in dynamic TLS. */
  threadPointerOffset: number;
}

/**
 * Maps the address a TLS symbol was given (its place in the graph's
 * allocated template) to its thread-local location. A platform sets one per
 * graph; arch packages use it to lower their TLS edges.
 */
export interface ThreadLocalResolver {
  lookup(address: number): ThreadLocalLocation | undefined;
}

const resolvers = new WeakMap<object, ThreadLocalResolver>();

/** Gives `graph` the resolver its TLS fixups ask (a platform sets it for each graph it links). */
export function setThreadLocalResolver(graph: object, resolver: ThreadLocalResolver): void {
  resolvers.set(graph, resolver);
}

/** The resolver set for `graph`, if any. */
export function getThreadLocalResolver(graph: object): ThreadLocalResolver | undefined {
  return resolvers.get(graph);
}
