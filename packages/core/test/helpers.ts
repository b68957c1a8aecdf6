import {
  Addressable,
  Block as BlockClass,
  Edge as EdgeClass,
  Section,
  Symbol as SymbolClass,
  EdgeKinds,
  edgeKindNamer,
  LinkGraph,
  writeAddress64,
  JITLinkError,
  type Block,
  type Edge,
  type LinkTarget,
} from '../src/index.js';

/** Edge kinds of a toy architecture used by these tests. */
export const Pointer64 = EdgeKinds.FirstRelocation;
export const Delta32 = EdgeKinds.FirstRelocation + 1;
export const toyKindName = edgeKindNamer(['Pointer64', 'Delta32']);

export const toyTarget: LinkTarget = {
  applyFixup(_graph, block: Block, edge: Edge, _content, view) {
    const target = edge.target.address;
    const fixup = block.address + edge.offset;
    if (edge.kind === Pointer64) writeAddress64(view, edge.offset, target + edge.addend, true);
    else if (edge.kind === Delta32) {
      const value = target - fixup + edge.addend;
      if (value < -0x8000_0000 || value > 0x7fff_ffff) throw new JITLinkError('FixupOutOfRange', 'Delta32 out of range');
      view.setInt32(edge.offset, value, true);
    } else throw new JITLinkError('UnsupportedRelocation', `kind ${edge.kind}`);
  },
};

export function toyGraph(name = 'toy.o'): LinkGraph {
  return new LinkGraph({
    name,
    triple: 'x86_64-unknown-linux-gnu',
    pointerSize: 8,
    endianness: 'little',
    getEdgeKindName: toyKindName,
  });
}

/**
 * Calls of every method and getter of the graph classes (LinkGraph, Section,
 * Block, Symbol, Edge), and the elements of the arrays and iterators they
 * return, while `fn` runs: the work a pass does, counted instead
 * of timed, so tests can bound it by the input's size.
 */
export function countGraphOperations(fn: () => void): number {
  let count = 0;
  // A returned array counts its elements; a returned iterator, each step.
  const counting = (result: unknown): unknown => {
    if (Array.isArray(result)) count += result.length;
    else if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as Iterator<unknown>).next === 'function'
    ) {
      const iterator = result as IterableIterator<unknown>;
      const steps: IterableIterator<unknown> = {
        next: () => {
          count++;
          return iterator.next();
        },
        [Symbol.iterator]: () => steps,
      };
      return steps;
    }
    return result;
  };
  const restore: (() => void)[] = [];
  const prototypes = [LinkGraph, Section, BlockClass, SymbolClass, EdgeClass, Addressable].map(
    (c) => c.prototype as object,
  );
  for (const proto of prototypes) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const original = Object.getOwnPropertyDescriptor(proto, key)!;
      if (key === 'constructor' || !original.configurable) continue;
      const counted: PropertyDescriptor = { ...original };
      if (typeof original.value === 'function') {
        const method = original.value as (...args: unknown[]) => unknown;
        counted.value = function (this: unknown, ...args: unknown[]) {
          count++;
          return counting(method.apply(this, args));
        };
      } else if (original.get !== undefined) {
        const getter = original.get;
        counted.get = function (this: unknown) {
          count++;
          return counting(getter.call(this));
        };
      } else continue;
      Object.defineProperty(proto, key, counted);
      restore.push(() => Object.defineProperty(proto, key, original));
    }
  }
  try {
    fn();
  } finally {
    for (const undo of restore) undo();
  }
  return count;
}

/**
 * Asserts that `work(n)` grows linearly: ten times the input may cost at most
 * `slack` times ten the operations of the smaller one (a quadratic pass costs ~100x).
 */
export function expectLinear(work: (n: number) => number, small: number, slack = 1.3): void {
  const few = work(small);
  const many = work(small * 10);
  expect(few).toBeGreaterThan(0);
  expect(many).toBeLessThanOrEqual(few * 10 * slack);
}
