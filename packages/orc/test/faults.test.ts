/**
 * Faults at every seam of a link in a session: the memory manager's
 * allocate / finalize / deallocate failing, a lookup failing, a definition
 * generator throwing, a plugin throwing from each of its methods, one graph
 * too large for memory. Each failure reaches notifyFailed once for the unit
 * that failed (at most once for each unit that failed with it), fails exactly the
 * lookups that needed it, frees what was allocated (checked against
 * /proc/self/maps), and leaves the session usable for the next link.
 */
import { BackendRegistry, JITLinkError } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { InProcessMemoryManager } from '@jitlink/executor';
import { ExecutionSession, ObjectLinkingLayer, type JITDylib, type MaterializationResponsibility, type Plugin } from '../src/index.js';
import { FaultyMemoryManager, mappingsIn, objectGraph, type Fault } from './fault-injection.js';

type PluginMethod = 'modifyPassConfig' | 'notifyLoaded' | 'notifyEmitted' | 'notifyFailed' | 'notifyRemovingResources' | 'notifyTransferringResources';

const unitName = (mr: MaterializationResponsibility) => mr.record.unit.name;

/** Counts notifyFailed per unit; throws from `throwing` for units named in `throwFor`. */
class FaultPlugin implements Plugin {
  readonly failed = new Map<string, number>();
  throwing: PluginMethod | undefined;
  throwFor = new Set<string>();
  thrown = 0;
  private fault(method: PluginMethod, unit?: string): void {
    if (this.throwing === method && (unit === undefined || this.throwFor.has(unit))) {
      this.thrown++;
      throw new JITLinkError('LinkFailed', `${unit ?? 'tracker'}: injected ${method} failure`);
    }
  }
  modifyPassConfig(mr: MaterializationResponsibility): void {
    this.fault('modifyPassConfig', unitName(mr));
  }
  notifyLoaded(mr: MaterializationResponsibility): void {
    this.fault('notifyLoaded', unitName(mr));
  }
  async notifyEmitted(mr: MaterializationResponsibility): Promise<void> {
    this.fault('notifyEmitted', unitName(mr));
  }
  async notifyFailed(mr: MaterializationResponsibility): Promise<void> {
    this.failed.set(unitName(mr), (this.failed.get(unitName(mr)) ?? 0) + 1);
    this.fault('notifyFailed', unitName(mr));
  }
  async notifyRemovingResources(): Promise<void> {
    this.fault('notifyRemovingResources');
  }
  notifyTransferringResources(): void {
    this.fault('notifyTransferringResources');
  }
}

interface World {
  session: ExecutionSession;
  layer: ObjectLinkingLayer;
  memory: FaultyMemoryManager;
  plugin: FaultPlugin;
  main: JITDylib;
  other: JITDylib;
  reported: Error[];
}

function world(): World {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const memory = new FaultyMemoryManager(new InProcessMemoryManager());
  const session = new ExecutionSession();
  const reported: Error[] = [];
  session.errorReporter = (e) => reported.push(e);
  const layer = new ObjectLinkingLayer(session, { memoryManager: memory, registry });
  const plugin = new FaultPlugin();
  layer.addPlugin(plugin);
  const main = session.createJITDylib('main');
  const other = session.createJITDylib('other');
  main.setLinkOrder([main, other]);
  other.setLinkOrder([other, main]);
  return { session, layer, memory, plugin, main, other, reported };
}

/**
 * The scene every fault plays in: `bad` (the unit the fault hits, in main),
 * `dependent` (main, refers to bad), `cycle` (other, refers to dependent and is
 * referred to by it), `bystander` (other, refers to nothing that fails).
 */
function addScene(w: World, badRefs: string[] = [], badZeroFill = 0) {
  const trackers = { main: w.main.createResourceTracker(), other: w.other.createResourceTracker() };
  w.layer.add(w.main, objectGraph('bad', badRefs, badZeroFill), { tracker: trackers.main });
  w.layer.add(w.main, objectGraph('dependent', ['f_bad', 'f_cycle']), { tracker: trackers.main });
  w.layer.add(w.other, objectGraph('cycle', ['t_dependent']), { tracker: trackers.other });
  w.layer.add(w.other, objectGraph('bystander', ['f_cycle_free']), { tracker: trackers.other });
  w.layer.add(w.other, objectGraph('cycle_free', []), { tracker: trackers.other });
  return trackers;
}

/** Looks each symbol up alone: which succeed and which fail (with what). */
async function lookUpEach(w: World, names: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    names.map(async (n) => {
      try {
        await w.session.lookup([w.main, w.other], [n]);
        out[n] = 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(JITLinkError);
        out[n] = 'failed';
      }
    }),
  );
  return out;
}

/** After the fault: a new object in each dylib links and runs through the same session and manager. */
async function expectUsable(w: World): Promise<void> {
  const tracker = w.main.createResourceTracker();
  w.layer.add(w.main, objectGraph('after', ['f_after_other']), { tracker });
  w.layer.add(w.other, objectGraph('after_other', []), { tracker: w.other.createResourceTracker() });
  const found = await w.session.lookup([w.main, w.other], ['t_after']);
  expect(found.get('t_after')).toBeGreaterThan(0);
}

/** Ends the session: every allocation released, the reservations unmapped. */
async function expectReleased(w: World): Promise<void> {
  const reserved = [...w.memory.inner.reservations];
  await w.session.endSession().catch(() => undefined);
  expect(w.memory.inner.stats().liveAllocations).toBe(0);
  expect(w.memory.inner.stats().committedBytes).toBe(0);
  expect(mappingsIn(reserved)).toBeLessThanOrEqual(reserved.length);
  await w.memory.inner.dispose();
  expect(mappingsIn(reserved)).toBe(0);
}

/**
 * The unit the fault hit failed once (`notified` calls of plugins' notifyFailed) and holds no
 * memory; units that failed because they depend on it heard of it at most once (those whose own
 * link was waiting on it; ones already emitted keep their memory until their tracker is removed, as
 * in LLVM's layer); the bystander and what it refers to still hold theirs.
 */
function expectBadFailedOnce(w: World, notified = 1): void {
  expect(w.plugin.failed.get('bad.o') ?? 0).toBe(notified);
  for (const [unit, calls] of w.plugin.failed) {
    expect(['bad.o', 'dependent.o', 'cycle.o']).toContain(unit);
    expect(calls).toBe(1);
  }
  expect(w.memory.holding()).not.toContain('bad.o');
  expect(w.memory.holding()).toEqual(expect.arrayContaining(['bystander.o', 'cycle_free.o']));
}

const SCENE = ['t_bad', 't_dependent', 't_cycle', 't_bystander'];
/** bad fails; dependent and cycle (a cycle through dependent) fail with it; bystander links. */
const FAILED_WITH_BAD = { t_bad: 'failed', t_dependent: 'failed', t_cycle: 'failed', t_bystander: 'ok' };

describe('a fault at each seam fails exactly what depends on it, once, and frees its memory', () => {
  test.each<[Fault]>([['allocate'], ['finalize']])('memory manager: %s fails', async (fault) => {
    const w = world();
    w.memory.faults.set('bad.o', fault);
    addScene(w);
    expect(await lookUpEach(w, SCENE)).toEqual(FAILED_WITH_BAD);
    expectBadFailedOnce(w);
    await expectUsable(w);
    await expectReleased(w);
  });

  test('memory manager: deallocate fails when the tracker is removed; the symbols go and the memory is freed', async () => {
    const w = world();
    w.memory.faults.set('bad.o', 'deallocate');
    const trackers = addScene(w);
    expect(await lookUpEach(w, SCENE)).toEqual({ t_bad: 'ok', t_dependent: 'ok', t_cycle: 'ok', t_bystander: 'ok' });
    await expect(trackers.main.remove()).rejects.toThrow('bad.o: injected deallocate failure');
    expect(w.main.symbols.has('t_bad')).toBe(false);
    expect(w.plugin.failed.size).toBe(0);
    expect(w.memory.holding()).toEqual(['bystander.o', 'cycle.o', 'cycle_free.o']);
    await expectUsable(w);
    await expectReleased(w);
  });

  test('a lookup fails: a symbol no dylib defines', async () => {
    const w = world();
    addScene(w, ['nowhere']);
    expect(await lookUpEach(w, SCENE)).toEqual(FAILED_WITH_BAD);
    await expect(w.session.lookup([w.main], ['t_bad'])).rejects.toThrow(/symbols not found: \[ nowhere \]/);
    expectBadFailedOnce(w);
    await expectUsable(w);
    await expectReleased(w);
  });

  test('a definition generator throws', async () => {
    const w = world();
    w.other.addGenerator({
      tryToGenerate(_dylib, names) {
        if (names.includes('generated')) throw new JITLinkError('LinkFailed', 'injected generator failure');
      },
    });
    addScene(w, ['generated']);
    expect(await lookUpEach(w, SCENE)).toEqual(FAILED_WITH_BAD);
    expectBadFailedOnce(w);
    await expectUsable(w);
    await expectReleased(w);
  });

  test('one graph too large for memory (a 3 GiB .bss): refused before anything is reserved for it', async () => {
    const w = world();
    addScene(w, [], 3 * 1024 ** 3);
    expect(await lookUpEach(w, SCENE)).toEqual(FAILED_WITH_BAD);
    await expect(w.session.lookup([w.main], ['t_bad'])).rejects.toThrow(/bad\.o: needs \d+ bytes, more than 2 GiB/);
    expectBadFailedOnce(w);
    expect(w.memory.inner.stats().reservedBytes).toBeLessThanOrEqual(1024 ** 3);
    await expectUsable(w);
    await expectReleased(w);
  });

  test.each<[PluginMethod]>([['modifyPassConfig'], ['notifyLoaded'], ['notifyEmitted']])('a plugin throws from %s', async (method) => {
    const w = world();
    w.plugin.throwing = method;
    w.plugin.throwFor.add('bad.o');
    addScene(w);
    expect(await lookUpEach(w, SCENE)).toEqual(FAILED_WITH_BAD);
    expect(w.plugin.thrown).toBe(1);
    // A plugin failing notifyEmitted fails the unit after its link succeeded: its memory is freed, and
    // (as in LLVM's layer) plugins' notifyFailed is for failed links only.
    expectBadFailedOnce(w, method === 'notifyEmitted' ? 0 : 1);
    await expectUsable(w);
    await expectReleased(w);
  });

  test('a plugin throws from notifyFailed: reported to the session, each failure still delivered once', async () => {
    const w = world();
    w.memory.faults.set('bad.o', 'allocate');
    w.plugin.throwing = 'notifyFailed';
    w.plugin.throwFor = new Set(['bad.o', 'dependent.o', 'cycle.o']);
    addScene(w);
    expect(await lookUpEach(w, SCENE)).toEqual(FAILED_WITH_BAD);
    await new Promise((r) => setImmediate(r));
    expectBadFailedOnce(w);
    expect(w.reported.map((e) => e.message).sort()).toEqual([...w.plugin.failed.keys()].sort().map((unit) => `${unit}: injected notifyFailed failure`));
    await expectUsable(w);
    await expectReleased(w);
  });

  test('a plugin throws from notifyRemovingResources: the removal reports it and still frees the memory', async () => {
    const w = world();
    const trackers = addScene(w);
    expect(await lookUpEach(w, SCENE)).toEqual({ t_bad: 'ok', t_dependent: 'ok', t_cycle: 'ok', t_bystander: 'ok' });
    w.plugin.throwing = 'notifyRemovingResources';
    await expect(trackers.main.remove()).rejects.toThrow('tracker: injected notifyRemovingResources failure');
    expect(w.main.symbols.has('t_bad')).toBe(false);
    expect(w.memory.holding()).toEqual(['bystander.o', 'cycle.o', 'cycle_free.o']);
    w.plugin.throwing = undefined;
    await expectUsable(w);
    await expectReleased(w);
  });

  test('a plugin throws from notifyTransferringResources: the error reaches the caller and both trackers stay usable', async () => {
    const w = world();
    const trackers = addScene(w);
    expect(await lookUpEach(w, SCENE)).toEqual({ t_bad: 'ok', t_dependent: 'ok', t_cycle: 'ok', t_bystander: 'ok' });
    const destination = w.main.createResourceTracker();
    w.plugin.throwing = 'notifyTransferringResources';
    expect(() => trackers.main.transferTo(destination)).toThrow('tracker: injected notifyTransferringResources failure');
    w.plugin.throwing = undefined;
    await trackers.main.remove();
    await destination.remove();
    expect(w.main.symbols.has('t_bad')).toBe(false);
    expect(w.memory.holding()).toEqual(['bystander.o', 'cycle.o', 'cycle_free.o']);
    await expectUsable(w);
    await expectReleased(w);
  });
});
