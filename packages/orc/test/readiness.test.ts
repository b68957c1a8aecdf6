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
