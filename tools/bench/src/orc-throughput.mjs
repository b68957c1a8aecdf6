#!/usr/bin/env node
// In-process ORC throughput: the built packages (packages/*/dist, through the
// workspace names) wired as the jitlink command wires them, with the objects
// of the orc-1000 workload.
//
// 1. One session: the objects are added one by one to a JITDylib and each add
//    is followed by a lookup of that object's function, which links it (its
//    references resolve to the previous object, already linked). Each lookup's
//    latency is recorded; links per second = objects / elapsed time of the
//    whole add-and-lookup loop.
// 2. tinybench, steady state: one task = a fresh session, the first 100
//    objects added and looked up the same way, the session ended.
// 3. LLVM 19's ORC (src/orc-llvm.cpp, LLJIT with an ObjectLinkingLayer) on
//    the same objects with the same loop, in a process of its own, when
//    clang++-19 and llvm-19-dev are installed.
//
// The process gets the V8 flags the command would set for the same inputs
// (packages/cli/src/v8-flags.ts: a 4x tier-up budget from 256 KiB of inputs;
// the objects are ~1 MB), set as the command sets them, after its code is
// loaded and before the first link.
//
// Options: --objects <dir> (the orc-1000 objects; generated into a scratch
// directory when absent)  --time <ms> (tinybench time budget, default 3000)
// --default-v8-flags (keep V8's defaults, as an embedder that sets none)
// --json (print the result as JSON).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
// The command's own backend registry, from its library entry (built by `npm run bench`).
import { createDefaultRegistry } from '../../../packages/cli/dist/index.js';
import { setCommandV8Flags } from '../../../packages/cli/dist/v8-flags.js';
import { ExecutionSession, ObjectLinkingLayer, ProcessSymbolsGenerator } from '@jitlink/orc';
import { ElfPlatform } from '@jitlink/orc/elf';
import { SelfExecutorProcessControl } from '@jitlink/executor';
import { ORC_OBJECTS, orcExpected, orcFunction, orcObjectName } from './generate.mjs';
import { buildLlvmOrc, runLlvmOrc } from './orc-llvm.mjs';
import { percentile } from './parse.mjs';
import { ORC_TARGETS, orcText } from './report.mjs';

const STEADY_OBJECTS = 100;

/**
 * A session wired like the jitlink command's: ELF x86-64 backend, in-process
 * executor memory, ElfPlatform, process symbols as a fallback.
 * @param {SelfExecutorProcessControl} executor
 */
async function createSession(executor) {
  const session = new ExecutionSession(executor);
  const errors = [];
  session.errorReporter = (e) => errors.push(e);
  const registry = createDefaultRegistry();
  const layer = new ObjectLinkingLayer(session, { memoryManager: executor.memoryManager, registry });
  const main = session.createJITDylib('main');
  await ElfPlatform.create(layer, main, executor);
  main.addGenerator(new ProcessSymbolsGenerator(executor, (n) => n !== 'main'));
  return { session, layer, main, errors };
}

/**
 * Adds `count` objects one by one, each followed by a lookup of its function.
 * @param {{ session: ExecutionSession, layer: ObjectLinkingLayer, main: import('@jitlink/orc').JITDylib, errors: Error[] }} s
 * @param {Uint8Array[]} objects
 * @param {number} count
 * @param {number[]} [latencies] receives each lookup's latency (ms)
 * @returns {Promise<bigint | number>} the address of the last function
 */
async function addAndLookup(s, objects, count, latencies) {
  let address;
  for (let i = 0; i < count; i++) {
    s.layer.add(s.main, objects[i], { name: orcObjectName(i) });
    const t0 = performance.now();
    address = await s.session.lookupOne([s.main], orcFunction(i));
    latencies?.push(performance.now() - t0);
  }
  if (s.errors.length > 0) throw s.errors[0];
  return address;
}

/**
 * @param {string} dir directory holding the orc-1000 objects
 * @param {{ timeMs?: number, commandV8Flags?: boolean }} [options]
 */
export async function measureOrcThroughput(dir, { timeMs = 3000, commandV8Flags = true } = {}) {
  const objects = [];
  for (let i = 0; i < ORC_OBJECTS; i++) {
    const buf = readFileSync(join(dir, orcObjectName(i)));
    objects.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  }
  const executor = new SelfExecutorProcessControl();
  try {
    // 1. One session, every object.
    const s = await createSession(executor);
    const inputBytes = objects.reduce((sum, o) => sum + o.length, 0);
    if (commandV8Flags) setCommandV8Flags(inputBytes, s.layer.graphBudget);
    const latencies = [];
    const t0 = performance.now();
    const last = await addAndLookup(s, objects, ORC_OBJECTS, latencies);
    const elapsedMs = performance.now() - t0;
    // The chain of 1,000 functions computes x + n², n = the last index; one
    // argument makes x (argc) 1.
    const got = await executor.runAsMain(last, ['orc']);
    const expected = orcExpected(ORC_OBJECTS - 1, 1);
    if (got !== expected)
      throw new Error(`${orcFunction(ORC_OBJECTS - 1)}(1) returned ${got}, expected ${expected}`);
    await s.session.endSession();

    // 2. Steady state with tinybench.
    const bench = new Bench({ time: timeMs, iterations: 10, throws: true });
    bench.add(`fresh session + ${STEADY_OBJECTS} objects`, async () => {
      const t = await createSession(executor);
      await addAndLookup(t, objects, STEADY_OBJECTS);
      await t.session.endSession();
    });
    await bench.run();
    const r = bench.tasks[0].result;

    // 3. LLVM's ORC, same objects and loop.
    const scratch = mkdtempSync(join(os.tmpdir(), 'jitlink-orc-llvm-'));
    let llvm;
    try {
      const built = buildLlvmOrc(scratch);
      llvm = built.ok ? runLlvmOrc(built.binary, dir, ORC_OBJECTS, expected) : built;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    return {
      objects: ORC_OBJECTS,
      v8Flags: commandV8Flags ? 'command' : 'default',
      elapsedMs,
      linksPerSecond: (ORC_OBJECTS * 1000) / elapsedMs,
      lookupMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        sum: latencies.reduce((a, b) => a + b, 0),
      },
      steady: {
        objectsPerTask: STEADY_OBJECTS,
        samples: r.latency.samplesCount,
        meanMs: r.latency.mean,
        p99Ms: r.latency.p99,
        opsPerSecond: r.throughput.mean,
        linksPerSecond: (STEADY_OBJECTS * 1000) / r.latency.mean,
      },
      llvm,
      targets: ORC_TARGETS,
    };
  } finally {
    await executor.dispose();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const value = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  let dir = value('--objects');
  let scratch;
  if (!dir) {
    const { buildOrcObjects } = await import('./workloads.mjs');
    scratch = mkdtempSync(join(os.tmpdir(), 'jitlink-orc-'));
    dir = (await buildOrcObjects(scratch)).dir;
  }
  try {
    const result = await measureOrcThroughput(dir, {
      timeMs: Number(value('--time') ?? 3000),
      commandV8Flags: !args.includes('--default-v8-flags'),
    });
    process.stdout.write(
      args.includes('--json') ? JSON.stringify(result) + '\n' : orcText({ ok: true, ...result }) + '\n',
    );
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
