/**
 * Session and executor: the one place the executor (the process the linked
 * code runs in) and its memory manager are chosen, then the execution
 * session, backend registry and object linking layer built over them.
 */
import {
  addressFromBigInt,
  archOfTriple,
  JITLinkError,
  SlabMemoryManager,
  toError,
  type BackendRegistry,
  type ExecutorProcessControl,
  type JITLinkMemoryManager,
  type LinkObserver,
} from '@jitlink/core';
import { ExecutionSession, ObjectLinkingLayer, type JITDylib, type Plugin } from '@jitlink/orc';
import { SelfExecutorProcessControl } from '@jitlink/executor';
import type { RemoteExecutorProcessControl } from '@jitlink/executor-remote';
import { dirname, join } from 'node:path';
import type { CliOptions } from '../options.js';
import { createDefaultRegistry } from '../backends.js';
import { addSelfRelocations } from '../link-extras.js';
import { selfExecutorOptions } from './debugging.js';

export interface LinkSession {
  readonly executor: ExecutorProcessControl;
  readonly session: ExecutionSession;
  readonly registry: BackendRegistry;
  readonly layer: ObjectLinkingLayer;
  /** The JITDylib inputs go to until a -jd names another. */
  readonly main: JITDylib;
  /** Errors the session reports while linking (the first one fails the command). */
  readonly errors: Error[];
}

/**
 * The executor: this process, or another one (-oop-executor[=<path>],
 * -oop-executor-connect=<host>:<port>, with -use-shared-memory). Every choice
 * of executor belongs here, so that the rest of the command sees only an
 * ExecutorProcessControl.
 */
async function createExecutor(options: CliOptions, registry: BackendRegistry): Promise<ExecutorProcessControl> {
  const executor = (await connectRemoteExecutor(options, registry)) ?? new SelfExecutorProcessControl(selfExecutorOptions(options));
  try {
    for (const lib of options.preload) await executor.loadLibrary(lib);
  } catch (e) {
    await executor.dispose();
    throw e;
  }
  return executor;
}

/**
 * The remote executor the options ask for, if any. Its package (sockets,
 * child processes, HMAC) is loaded only then: a third of the command's
 * start-up when loaded with it.
 */
async function connectRemoteExecutor(options: CliOptions, registry: BackendRegistry): Promise<RemoteExecutorProcessControl | undefined> {
  if (options.oopExecutor === undefined && options.oopExecutorConnect === undefined && !options.useSharedMemory) return undefined;
  const { connectExecutorForCommand } = await import('@jitlink/executor-remote/native');
  return connectExecutorForCommand(
    {
      oopExecutor: options.oopExecutor,
      oopExecutorConnect: options.oopExecutorConnect,
      useSharedMemory: options.useSharedMemory,
      executorDir: bundledExecutorDir(),
    },
    { registry },
  );
}

/**
 * Where @jitlink/executor-remote's build put its executors, for the bundled
 * command (CommonJS, where that package's own `import.meta.url` is gone);
 * undefined as an ES module, where the package finds them itself.
 */
function bundledExecutorDir(): string | undefined {
  if (typeof require !== 'function') return undefined;
  try {
    return join(dirname(require.resolve('@jitlink/executor-remote/package.json')), 'dist', 'native');
  } catch {
    return undefined;
  }
}

/** The executor's memory, or a simulated slab (-slab-allocate; its addresses only with -noexec). */
function memoryManagerFor(options: CliOptions, executor: ExecutorProcessControl): JITLinkMemoryManager {
  if (options.slabAllocate === undefined) return executor.memoryManager;
  if (!options.noexec && options.slabAddress !== undefined) {
    throw new JITLinkError('InvalidArgument', '-slab-address can only be simulated with -noexec');
  }
  return new SlabMemoryManager({
    size: options.slabAllocate,
    baseAddress: options.slabAddress !== undefined ? addressFromBigInt(options.slabAddress, 'slab address') : undefined,
    pageSize: options.slabPageSize,
    maxReservedBytes: options.maxReservedMemory,
  });
}

/**
 * A plugin that fails the link of a graph whose architecture is not the
 * executor's: its initializers and entry point would run as the executor's
 * instructions (an aarch64 object in an x86-64 process crashes it).
 */
function refuseCodeForAnotherExecutor(executorTriple: string): Plugin {
  const executorArch = archOfTriple(executorTriple);
  // MachO names AArch64 "arm64": the same instructions.
  const sameArch = (arch: string) => arch === executorArch || (arch === 'arm64' && executorArch === 'aarch64');
  return {
    modifyPassConfig: (_mr, graph) => {
      const arch = archOfTriple(graph.triple);
      if (!sameArch(arch)) {
        throw new JITLinkError(
          'UnsupportedFeature',
          `${graph.name}: ${arch} code cannot run in this ${executorArch} executor (link it with -noexec, or run it with -oop-executor=<an ${arch} executor>)`,
        );
      }
    },
    notifyFailed: () => undefined,
    notifyRemovingResources: () => undefined,
    notifyTransferringResources: () => undefined,
  };
}

/** One observer that forwards to each of `observers`. */
function combineObservers(observers: readonly (LinkObserver | undefined)[]): LinkObserver | undefined {
  const present = observers.filter((o) => o !== undefined);
  if (present.length <= 1) return present[0];
  return { phase: (name, graph) => present.forEach((o) => o.phase?.(name, graph)) };
}

export async function openSession(options: CliOptions, observers: readonly (LinkObserver | undefined)[]): Promise<LinkSession> {
  const registry = createDefaultRegistry();
  const executor = await createExecutor(options, registry);
  try {
    const memoryManager = memoryManagerFor(options, executor);
    const session = new ExecutionSession(executor);
    const errors: Error[] = [];
    session.errorReporter = (e) => errors.push(e);
    const layer = new ObjectLinkingLayer(session, {
      memoryManager,
      registry,
      observer: combineObservers(observers),
      graphBudget: options.graphBudget,
      limits: options.limits,
    });
    // Code for another architecture is linked (-noexec, -check), never run here.
    if (!options.noexec) layer.addPlugin(refuseCodeForAnotherExecutor(executor.triple));
    if (options.addSelfRelocations) {
      const pass = addSelfRelocations(registry);
      layer.addPlugin({
        modifyPassConfig: (_mr, _graph, config) => void config.postPrunePasses.push(pass),
        notifyFailed: () => undefined,
        notifyRemovingResources: () => undefined,
        notifyTransferringResources: () => undefined,
      });
    }
    return { executor, session, registry, layer, main: session.createJITDylib('main'), errors };
  } catch (e) {
    await executor.dispose();
    throw e;
  }
}

/** Ends the session (errors are kept with the link's) and releases the executor. */
export async function closeSession(ls: LinkSession): Promise<void> {
  await ls.session.endSession().catch((e: unknown) => ls.errors.push(toError(e)));
  await ls.executor.dispose();
}
