// Live re-linking end to end, in this process: links test-corpus/src/live's
// driver and version 1 of its replaceable object, runs the program on a
// thread of its own, and while it runs replaces the object (version 2), then
// tries three versions that must be refused. The program's ticks go to
// stdout; a JSON summary of what happened goes to stderr. live.test.ts runs
// this script and checks both. Uses the built packages (dist/).
//
//   node live-child.mjs <object dir>
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BackendRegistry } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { JSFunctions, SelfExecutorProcessControl, cGlobal } from '@jitlink/executor';
import { ExecutionSession, LiveObjects, ObjectLinkingLayer, ProcessSymbolsGenerator } from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';

const [objectDir] = process.argv.slice(2);
const read = (name) => new Uint8Array(readFileSync(path.join(objectDir, name)));
const summary = { errors: [], refusals: [] };

const executor = new SelfExecutorProcessControl();
const session = new ExecutionSession(executor);
session.errorReporter = (e) => summary.errors.push(e.message);
const registry = new BackendRegistry();
registry.register(createElfBackend(x86_64Elf));
const layer = new ObjectLinkingLayer(session, { memoryManager: executor.memoryManager, registry });
const dylib = session.createJITDylib('main');
const platform = await ElfPlatform.create(layer, dylib, executor);
const live = new LiveObjects(layer, dylib, executor, { initializers: platform });
const js = new JSFunctions();
let safePoints = 0;
js.add('jitlink_safe_point', 'void jitlink_safe_point(void)', () => {
  safePoints++;
  live.reportSafePoint();
});
dylib.defineAbsolute(js.symbols());
dylib.addGenerator(new ProcessSymbolsGenerator(executor, (n) => n !== 'main'));

layer.add(dylib, read('driver.o'), { name: 'driver.o' });
live.add(read('tick_v1.o'), 'tick.o');
const main = await session.lookupOne([dylib], 'main');
const ticks = cGlobal(await session.lookupOne([dylib], 'ticks'), 'long');
const stop = cGlobal(await session.lookupOne([dylib], 'stop_requested'), 'int');
await platform.runInitializers();

/** Resolves once the program has printed `n` more ticks. */
async function ticksPass(n) {
  const until = Number(ticks.get()) + n;
  while (Number(ticks.get()) < until) await new Promise((r) => setTimeout(r, 5));
}

const running = executor.runAsMainOnThread(main, ['live']);
await ticksPass(3);
const v1 = {
  stub: await live.stubAddress('tick.o', 'compute'),
  impl: await live.implementationAddress('tick.o', 'compute'),
};
process.stdout.write(`host: replacing tick.o at tick ${ticks.get()}\n`);
summary.replaced = await live.replace('tick.o', read('tick_v2.o'));
process.stdout.write(`host: replaced at tick ${ticks.get()}\n`);
summary.stubUnchanged = (await live.stubAddress('tick.o', 'compute')) === v1.stub;
await ticksPass(3);
// The program reports a safe point every tick: the old code goes soon after
// (checked before anything else is linked, which could reuse its pages).
while (live.retiredVersions > 0) await new Promise((r) => setTimeout(r, 5));
summary.oldCodeMapped = executor.memoryManager.isReadable(v1.impl, 1);
for (const version of ['tick_drop.o', 'tick_resize.o', 'tick_unlinkable.o']) {
  try {
    await live.replace('tick.o', read(version));
    summary.refusals.push({ version, accepted: true });
  } catch (e) {
    summary.refusals.push({ version, message: e.message, oneLine: !e.message.includes('\n') });
  }
  await ticksPass(2);
}
// Fresh data: the same storage, re-initialized from the new version's image; its initializers run.
process.stdout.write(`host: fresh data at tick ${ticks.get()}\n`);
summary.fresh = await live.replace('tick.o', read('tick_v2.o'), { data: 'fresh' });
process.stdout.write(`host: fresh data done at tick ${ticks.get()}\n`);
await ticksPass(3);
summary.version = live.versions.get('tick.o');
summary.safePoints = safePoints > 0;
stop.set(1);
summary.exitCode = await running;
await platform.runFinalizers();
await session.endSession();
js.dispose();
await executor.dispose();
process.stderr.write(JSON.stringify(summary) + '\n');
