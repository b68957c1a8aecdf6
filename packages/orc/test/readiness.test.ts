/**
 * When emitted units become Ready: only once nothing they depend on,
 * directly or through other emitted units (cycles included), is still in
 * flight.
 */
import {
  ExecutionSession,
  MaterializationUnit,
  SymbolState,
  type JITDylib,
  type JITSymbolFlags,
  type MaterializationResponsibility,
} from '../src/index.js';
import { prng } from '@jitlink/test-support';

const FLAGS: JITSymbolFlags = { hidden: false, weak: false, callable: true };

/** Defines one symbol; looks up its dependencies when materialized, then waits to be told to emit. */
class ManualUnit extends MaterializationUnit {
  readonly symbols: Map<string, JITSymbolFlags>;
  responsibility: MaterializationResponsibility | undefined;
  depsLookedUp: Promise<unknown> | undefined;

  constructor(
    readonly name: string,
    private readonly dylib: JITDylib,
    private readonly deps: string[],
    private readonly address: number,
  ) {
    super();
    this.symbols = new Map([[name, FLAGS]]);
  }

  materialize(r: MaterializationResponsibility): void {
    this.responsibility = r;
    r.notifyResolved(new Map([[this.name, this.address]]));
    this.depsLookedUp = r.session.lookup([this.dylib], this.deps, { requiredState: SymbolState.Resolved, requester: r.record });
  }

  emit(): void {
    this.responsibility!.notifyEmitted();
  }

  discard(): void {}
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

test('a cycle of emitted units waits for its last member; independent and downstream units follow their own dependencies', async () => {
  const session = new ExecutionSession();
  const jd = session.createJITDylib('main');
  // a -> b -> c -> a (a cycle), d -> a (downstream of the cycle), e (independent).
  const units = {
    a: new ManualUnit('a', jd, ['b'], 0x1000),
    b: new ManualUnit('b', jd, ['c'], 0x2000),
    c: new ManualUnit('c', jd, ['a'], 0x3000),
    d: new ManualUnit('d', jd, ['a'], 0x4000),
    e: new ManualUnit('e', jd, [], 0x5000),
  };
  for (const u of Object.values(units)) jd.define(u);
  const state = (name: keyof typeof units) => jd.symbols.get(name)!.state;

  const ready = session.lookup([jd], ['d', 'e']);
  await settle();
  for (const u of Object.values(units)) await u.depsLookedUp;
  expect(Object.keys(units).map((n) => state(n as keyof typeof units))).toEqual(Array(5).fill(SymbolState.Resolved));

  units.d.emit();
  units.e.emit();
  expect(state('d')).toBe(SymbolState.Emitted);
  expect(state('e')).toBe(SymbolState.Ready);

  units.a.emit();
  units.b.emit();
  expect([state('a'), state('b'), state('d')]).toEqual([SymbolState.Emitted, SymbolState.Emitted, SymbolState.Emitted]);

  units.c.emit();
  expect([state('a'), state('b'), state('c'), state('d')]).toEqual(Array(4).fill(SymbolState.Ready));
  await expect(ready).resolves.toEqual(new Map([['d', 0x4000], ['e', 0x5000]]));
});

test('an emitted unit waits for a dependency reached only through another emitted unit', async () => {
  const session = new ExecutionSession();
  const jd = session.createJITDylib('main');
  // x -> y -> z: y and x emitted before z.
  const x = new ManualUnit('x', jd, ['y'], 0x1000);
  const y = new ManualUnit('y', jd, ['z'], 0x2000);
  const z = new ManualUnit('z', jd, [], 0x3000);
  for (const u of [x, y, z]) jd.define(u);
  const done = session.lookup([jd], ['x']);
  await settle();
  for (const u of [x, y, z]) await u.depsLookedUp;

  y.emit();
  x.emit();
  expect([jd.symbols.get('x')!.state, jd.symbols.get('y')!.state]).toEqual([SymbolState.Emitted, SymbolState.Emitted]);
  z.emit();
  expect([jd.symbols.get('x')!.state, jd.symbols.get('y')!.state, jd.symbols.get('z')!.state]).toEqual(Array(3).fill(SymbolState.Ready));
  await expect(done).resolves.toEqual(new Map([['x', 0x1000]]));
});

/** Ready by definition: emitted, and no unit in flight is reachable through dependencies. */
function expectedReady(deps: number[][], emitted: boolean[], failed: boolean[]): boolean[] {
  return deps.map((_, start) => {
    if (!emitted[start] || failed[start]) return false;
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length > 0) {
      for (const d of deps[stack.pop()!]!) {
        if (!emitted[d] && !failed[d]) return false;
        if (!seen.has(d)) {
          seen.add(d);
          stack.push(d);
        }
      }
    }
    return true;
  });
}

test.each([1, 2, 3, 4, 5, 6, 7, 8])(
  'random dependency graphs (seed %i): after every emission exactly the units that reach nothing in flight are Ready',
  async (seed) => {
    const next = prng(seed);
    const count = 12 + Math.floor(next() * 30);
    // Sparse or dense, with cycles, self-references and units depending on nothing.
    const density = next() * 0.25;
    const deps = Array.from({ length: count }, (_, i) =>
      Array.from({ length: count }, (_, j) => j).filter((j) => (j === i ? next() < 0.05 : next() < density)),
    );
    const session = new ExecutionSession();
    const jd = session.createJITDylib('main');
    const units = deps.map((d, i) => new ManualUnit(`u${i}`, jd, d.map((j) => `u${j}`), 0x1000 * (i + 1)));
    for (const u of units) jd.define(u);
    const all = session.lookup([jd], units.map((u) => u.name));
    await settle();
    for (const u of units) await u.depsLookedUp;

    const emitted = units.map(() => false);
    const failed = units.map(() => false);
    const order = units.map((_, i) => i).sort(() => next() - 0.5);
    for (const i of order) {
      emitted[i] = true;
      units[i]!.emit();
      const want = expectedReady(deps, emitted, failed);
      const got = units.map((u) => jd.symbols.get(u.name)!.state === SymbolState.Ready);
      expect({ after: `u${i}`, ready: got }).toEqual({ after: `u${i}`, ready: want });
    }
    await expect(all).resolves.toEqual(new Map(units.map((u, i) => [u.name, 0x1000 * (i + 1)])));
  },
);

test('a failed unit fails what reaches it; units blocked by other units still become Ready when those are emitted', async () => {
  const session = new ExecutionSession();
  const jd = session.createJITDylib('main');
  // p -> q -> f (fails); r <-> s -> p; t -> u, unrelated to f.
  const names = ['p', 'q', 'f', 'r', 's', 't', 'u'] as const;
  const depsOf: Record<string, string[]> = { p: ['q'], q: ['f'], f: [], r: ['s'], s: ['p', 'r'], t: ['u'], u: [] };
  const units = Object.fromEntries(names.map((n, i) => [n, new ManualUnit(n, jd, depsOf[n]!, 0x1000 * (i + 1))]));
  for (const u of Object.values(units)) jd.define(u);
  const lookups = names.map((n) => session.lookup([jd], [n]));
  for (const l of lookups) l.catch(() => undefined);
  await settle();
  for (const u of Object.values(units)) await u.depsLookedUp;
  const state = (n: string) => jd.symbols.get(n)!.state;

  units.q!.emit();
  units.s!.emit();
  units.r!.emit();
  units.t!.emit();
  expect(names.map(state)).toEqual([
    SymbolState.Resolved,
    SymbolState.Emitted,
    SymbolState.Resolved,
    SymbolState.Emitted,
    SymbolState.Emitted,
    SymbolState.Emitted,
    SymbolState.Resolved,
  ]);
  units.f!.responsibility!.fail(new Error('no memory'));
  // p, s and r depend on f through q: they fail with it, none of them becomes Ready.
  await expect(lookups[0]).rejects.toThrow(/no memory/);
  await expect(lookups[4]).rejects.toThrow(/no memory/);
  await expect(lookups[3]).rejects.toThrow(/no memory/);
  expect(['p', 'q', 'f', 'r', 's'].map(state).includes(SymbolState.Ready)).toBe(false);
  units.u!.emit();
  expect([state('t'), state('u')]).toEqual([SymbolState.Ready, SymbolState.Ready]);
  await expect(lookups[5]).resolves.toEqual(new Map([['t', 0x6000]]));
});

test('lookupOne answers once the unit is Ready, whatever state it is found in, and rejects for a failed one', async () => {
  const session = new ExecutionSession();
  const jd = session.createJITDylib('main');
  // a -> b: a is Resolved, then Emitted, well before it is Ready.
  const units = { a: new ManualUnit('a', jd, ['b'], 0x1000), b: new ManualUnit('b', jd, [], 0x2000), f: new ManualUnit('f', jd, [], 0x3000) };
  for (const u of Object.values(units)) jd.define(u);
  let answered: number | undefined;
  // Found never searched: starts the unit, then waits.
  void session.lookupOne([jd], 'a').then((address) => (answered = address));
  await settle();
  await units.a.depsLookedUp;
  expect(jd.symbols.get('a')!.state).toBe(SymbolState.Resolved);
  // Found Resolved, then Emitted: still not Ready.
  let again: number | undefined;
  void session.lookupOne([jd], 'a').then((address) => (again = address));
  units.a.emit();
  await settle();
  expect(jd.symbols.get('a')!.state).toBe(SymbolState.Emitted);
  expect([answered, again]).toEqual([undefined, undefined]);
  // b, started by a's lookup of its dependencies, is first waited on for Ready while Resolved.
  expect(jd.symbols.get('b')!.state).toBe(SymbolState.Resolved);
  let third: number | undefined;
  void session.lookupOne([jd], 'b').then((address) => (third = address));
  await settle();
  expect(third).toBeUndefined();
  units.b.emit();
  await settle();
  expect([answered, again, third]).toEqual([0x1000, 0x1000, 0x2000]);
  // Found Ready: answered at once.
  await expect(session.lookupOne([jd], 'b')).resolves.toBe(0x2000);
  // A failed unit: rejected, naming the symbol.
  const failing = session.lookupOne([jd], 'f');
  await settle();
  units.f.responsibility!.fail(new Error('no memory'));
  await expect(failing).rejects.toThrow(/failed to materialize f .*no memory/);
  await expect(session.lookupOne([jd], 'f')).rejects.toThrow(/failed to materialize f .*no memory/);
  // Not defined anywhere: the general lookup's error.
  await expect(session.lookupOne([jd], 'missing')).rejects.toThrow(/symbols not found: \[ missing \]/);
});
