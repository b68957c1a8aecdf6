// Links one variant of the C++ corpus program into this process through the
// ORC layer and the ELF platform, and runs it: the program's stdout is this
// process's stdout and its exit code this process's. cxx-exceptions.test.ts
// starts one process per variant, so that a crash (abort in the unwinder, a
// bad pointer) fails that variant's test, by name, instead of the test run.
// Uses the built packages (dist/): `npm run build` first.
//
//   node cxx-exceptions-child.mjs <object dir> <objects as JSON> [program args...]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BackendRegistry } from '@jitlink/core';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { SelfExecutorProcessControl, flushCStdio } from '@jitlink/executor';
import { ExecutionSession, ObjectLinkingLayer, ProcessSymbolsGenerator } from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';

const [objectDir, objectsJson, ...args] = process.argv.slice(2);
const objects = JSON.parse(objectsJson);

const executor = new SelfExecutorProcessControl();
const session = new ExecutionSession(executor);
const errors = [];
session.errorReporter = (e) => errors.push(e);
const registry = new BackendRegistry();
registry.register(createElfBackend(x86_64Elf));
const layer = new ObjectLinkingLayer(session, { memoryManager: executor.memoryManager, registry });
const dylib = session.createJITDylib('main');
try {
  const platform = await ElfPlatform.create(layer, dylib, executor);
  for (const object of objects) {
    const file = path.join(objectDir, path.basename(object));
    layer.add(dylib, readFileSync(file), { name: file });
  }
  dylib.addGenerator(new ProcessSymbolsGenerator(executor, (n) => n !== 'main'));
  const main = await session.lookupOne([dylib], 'main');
  if (errors.length > 0) throw errors[0];
  await platform.runInitializers();
  const exit = await executor.runAsMain(main, args);
  await platform.runFinalizers();
  flushCStdio();
  process.exitCode = exit;
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 70;
} finally {
  await session.endSession();
  await executor.dispose();
}
