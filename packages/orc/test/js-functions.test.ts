/**
 * JS functions as linked symbols, tied to the resource tracker that defines
 * them: test-corpus/src/ffi/ffi.c's apply_host calls host_transform, here a
 * JavaScript function defined through `JSFunctions.defineIn(tracker)`.
 * Removing the tracker unregisters the koffi callback.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BackendRegistry } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import {
  InProcessMemoryManager,
  JSFunctions,
  SelfExecutorProcessControl,
  cFunction,
} from '@jitlink/executor';
import { file, needs, platform } from '@jitlink/test-support';
import { ExecutionSession, ObjectLinkingLayer, ProcessSymbolsGenerator } from '../src/index.js';

const FFI_OBJECT = path.resolve(__dirname, '../../../test-corpus/obj/ffi/ffi.o');
const inProcess = needs(platform('linux', 'x64'), file(FFI_OBJECT, 'bash test-corpus/build.sh'));

function setup() {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  const executor = new SelfExecutorProcessControl();
  const memory = new InProcessMemoryManager();
  const session = new ExecutionSession(executor);
  const layer = new ObjectLinkingLayer(session, { memoryManager: memory, registry });
  const main = session.createJITDylib('main');
  main.addGenerator(new ProcessSymbolsGenerator(executor));
  return { session, layer, main, memory };
}

/** Links ffi.o under a fresh tracker, host_transform defined by JS under the same tracker; calls apply_host(n). */
async function linkAndCall(
  env: ReturnType<typeof setup>,
  n: number,
  transform: (value: number, label: string) => number,
) {
  const tracker = env.main.createResourceTracker();
  const js = new JSFunctions();
  const callback = js.add(
    'host_transform',
    'int32_t host_transform(int32_t value, const char *label)',
    transform,
  );
  js.defineIn(tracker);
  env.layer.add(env.main, new Uint8Array(readFileSync(FFI_OBJECT)), { name: 'ffi.o', tracker });
  const address = await env.session.lookupOne([env.main], 'apply_host');
  const result = cFunction(address, 'int32_t apply_host(int32_t n)')(n) as number;
  return { tracker, js, callback, result };
}

inProcess.describe('JS functions tied to a resource tracker', () => {
  test('linked code calls the JS function; removing the tracker unregisters it and removes its symbol', async () => {
    const env = setup();
    const seen: string[] = [];
    const before = JSFunctions.liveCount;
    const { tracker, js, result } = await linkAndCall(env, 3, (value, label) => {
      seen.push(`${label}${value}`);
      return value * 10;
    });
    expect(result).toBe(60); // (1 + 2 + 3) * 10
    expect(seen).toEqual(['step1', 'step2', 'step3']);
    expect(JSFunctions.liveCount).toBe(before + 1);
    expect(env.main.symbols.has('host_transform')).toBe(true);
    const managers = env.session.resourceManagers.length;

    await tracker.remove();
    expect(JSFunctions.liveCount).toBe(before);
    expect(js.list()).toEqual([]);
    expect(env.main.symbols.has('host_transform')).toBe(false);
    expect(env.main.symbols.has('apply_host')).toBe(false);
    // Its hook on the session went with it.
    expect(env.session.resourceManagers.length).toBe(managers - 1);
    expect(() => js.add('again', 'int f(int)', () => 0)).toThrow(/disposed/);
    await env.session.endSession();
  });

  test('a transferred tracker carries the JS functions: they live until the destination is removed', async () => {
    const env = setup();
    const before = JSFunctions.liveCount;
    const { tracker } = await linkAndCall(env, 1, (value) => value);
    const destination = env.main.createResourceTracker();
    tracker.transferTo(destination);
    await tracker.remove();
    expect(JSFunctions.liveCount).toBe(before + 1);
    await destination.remove();
    expect(JSFunctions.liveCount).toBe(before);
    await env.session.endSession();
  });

  test('100 link/call/remove rounds leak no callback', async () => {
    const env = setup();
    const before = JSFunctions.liveCount;
    const managers = env.session.resourceManagers.length;
    const addresses = new Set<number>();
    for (let round = 0; round < 100; round++) {
      const { tracker, callback, result } = await linkAndCall(env, 2, (value) => value + round);
      expect(result).toBe(3 + 2 * round);
      addresses.add(callback);
      await tracker.remove();
    }
    expect(JSFunctions.liveCount).toBe(before);
    expect(env.session.resourceManagers.length).toBe(managers);
    // koffi hands an unregistered callback's trampoline to the next
    // registration; leaked callbacks would hold 100 distinct ones.
    expect(addresses.size).toBeLessThanOrEqual(2);
    await env.session.endSession();
  });
});
