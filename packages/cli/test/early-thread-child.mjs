// Links tls_threads in two stages, so that one of its threads exists before
// its thread-local variables do: first early.o, whose tt_early_start starts a
// pthread waiting on a condition; then main.o and vars.o (each graph's TLS
// block loaded by the executor's loader), whose main hands that thread its
// work. Prints the program's output, then how many waiting threads early.o
// created (1: the one started before the link, none since).
// Uses the built packages (dist/): `npm run build` first.
//
//   node early-thread-child.mjs <object dir> [<executor path>]
// Without an executor path the program runs in this process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultRegistry } from '../dist/backends.js';
import { SelfExecutorProcessControl, cFunction, flushCStdio } from '@jitlink/executor';
import { connectExecutor } from '@jitlink/executor-remote';
import { ExecutionSession, ObjectLinkingLayer, ProcessSymbolsGenerator } from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';

const [objectDir, executorPath] = process.argv.slice(2);
const registry = createDefaultRegistry();
const executor = executorPath ? await connectExecutor({ path: executorPath, registry }) : new SelfExecutorProcessControl();
const session = new ExecutionSession(executor);
const errors = [];
session.errorReporter = (e) => errors.push(e);
const layer = new ObjectLinkingLayer(session, { memoryManager: executor.memoryManager, registry });
const dylib = session.createJITDylib('main');
const object = (name) => {
  const file = path.join(objectDir, 'tls_threads', name);
  return [readFileSync(file), { name: file }];
};
/** Calls `int f(int)` with 0 where the program runs. */
const callInt = (address) =>
  executorPath ? executor.runAsIntFunction(address, 0) : cFunction(address, 'int f(int)')(0);

try {
  const platform = await ElfPlatform.create(layer, dylib, executor);
  dylib.addGenerator(new ProcessSymbolsGenerator(executor, (n) => n !== 'main'));
  layer.add(dylib, ...object('early.o'));
  const start = await session.lookupOne([dylib], 'tt_early_start');
  if (errors.length > 0) throw errors[0];
  if ((await callInt(start)) !== 1) throw new Error('tt_early_start did not start its thread');
  // The thread now waits; only then are the thread-locals linked.
  layer.add(dylib, ...object('main.o'));
  layer.add(dylib, ...object('vars.o'));
  const main = await session.lookupOne([dylib], 'main');
  const threads = await session.lookupOne([dylib], 'tt_early_threads');
  if (errors.length > 0) throw errors[0];
  await platform.runInitializers();
  const exit = await executor.runAsMain(main, []);
  await platform.runFinalizers();
  if (!executorPath) flushCStdio();
  process.stdout.write(`waiting threads created: ${await callInt(threads)}\n`);
  process.exitCode = exit;
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 70;
} finally {
  await session.endSession();
  await executor.dispose();
}
