#!/usr/bin/env node
// Out of process: what the shared-memory manager saves against the copying
// one on a large input. The sqlite driver with Debian's libsqlite3.a (about
// 1.3 MB of linked code and data) is linked into jitlink-executor and run,
// `--runs` times with each manager, through the built packages. Reported per
// manager: bytes sent to the executor per link (content travels only with the
// copying manager) and the median time from start of link to main's return.
//
// Options: --runs <n> (default 10)  --json
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { createDefaultRegistry } from '../../../packages/cli/dist/index.js';
import { parseArchive } from '@jitlink/core';
import { ExecutionSession, ObjectLinkingLayer, ProcessSymbolsGenerator, StaticLibraryDefinitionGenerator } from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';
import { spawnExecutor } from '@jitlink/executor-remote';
import { nativeExecutorPath } from '@jitlink/executor-remote/native';
import { median } from './parse.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const OBJECT = join(ROOT, 'test-corpus/obj/gcc/O2-pic-small/sqlite_driver/sqlite_driver.o');
const ARCHIVE = '/usr/lib/x86_64-linux-gnu/libsqlite3.a';

async function once(executorPath, useSharedMemory, registry) {
  const { control } = await spawnExecutor(executorPath, { useSharedMemory, registry, stdio: 'pipe' });
  const session = new ExecutionSession(control);
  const layer = new ObjectLinkingLayer(session, { memoryManager: control.memoryManager, registry });
  const dylib = session.createJITDylib('main');
  const platform = await ElfPlatform.create(layer, dylib, control);
  const sentBefore = control.connection.bytesSent;
  const start = performance.now();
  layer.add(dylib, readFileSync(OBJECT), { name: OBJECT });
  dylib.addGenerator(new StaticLibraryDefinitionGenerator(layer, parseArchive(new Uint8Array(readFileSync(ARCHIVE)), ARCHIVE)));
  dylib.addGenerator(new ProcessSymbolsGenerator(control, (n) => n !== 'main'));
  const main = await session.lookupOne([dylib], 'main');
  await platform.runInitializers();
  const exit = await control.runAsMain(main, ['sqlite_driver']);
  const ms = performance.now() - start;
  const sent = control.connection.bytesSent - sentBefore;
  await platform.runFinalizers();
  await session.endSession();
  await control.dispose();
  if (exit !== 26) throw new Error(`sqlite driver exited ${exit}`);
  return { ms, sent };
}

async function main() {
  const args = process.argv.slice(2);
  const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 10;
  const executorPath = nativeExecutorPath();
  if (!executorPath) throw new Error('jitlink-executor is not built (npm run build with a C compiler)');
  const registry = createDefaultRegistry();
  const result = {};
  for (const [name, shared] of [
    ['copying', false],
    ['shared memory', true],
  ]) {
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await once(executorPath, shared, registry));
    result[name] = { runs, medianMs: median(samples.map((s) => s.ms)), bytesSent: samples[0].sent };
  }
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const mb = (b) => (b / 1e6).toFixed(2);
  process.stdout.write('sqlite driver + libsqlite3.a in jitlink-executor (link and run):\n');
  for (const [name, r] of Object.entries(result)) {
    process.stdout.write(`  ${name.padEnd(14)} ${r.medianMs.toFixed(1).padStart(8)} ms median of ${r.runs}   ${mb(r.bytesSent).padStart(6)} MB sent\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
