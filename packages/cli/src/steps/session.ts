/**
 * Session and executor: the one place the executor (the process the linked
 * code runs in) and its memory manager are chosen, then the execution
 * session, backend registry and object linking layer built over them.
 */
import {
  addressFromBigInt,
  JITLinkError,
  SlabMemoryManager,
  toError,
  type BackendRegistry,
  type ExecutorProcessControl,
  type JITLinkMemoryManager,
  type LinkObserver,
} from '@jitlink/core';
import { ExecutionSession, ObjectLinkingLayer, type JITDylib } from '@jitlink/orc';
import { SelfExecutorProcessControl } from '@jitlink/executor';
import type { CliOptions } from '../options.js';
import { createDefaultRegistry } from '../backends.js';
import { addSelfRelocations } from '../link-extras.js';

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
 * The executor: this process. Every choice of executor (another process, its
 * connection and memory) belongs here, so that the rest of the command sees
 * only an ExecutorProcessControl.
 */
async function createExecutor(options: CliOptions): Promise<ExecutorProcessControl> {
  const executor = new SelfExecutorProcessControl();
  for (const lib of options.preload) await executor.loadLibrary(lib);
  return executor;
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
  });
}

/** One observer that forwards to each of `observers`. */
function combineObservers(observers: readonly (LinkObserver | undefined)[]): LinkObserver | undefined {
  const present = observers.filter((o) => o !== undefined);
  if (present.length <= 1) return present[0];
  return { phase: (name, graph) => present.forEach((o) => o.phase?.(name, graph)) };
}

export async function openSession(options: CliOptions, observers: readonly (LinkObserver | undefined)[]): Promise<LinkSession> {
  const executor = await createExecutor(options);
  try {
    const memoryManager = memoryManagerFor(options, executor);
    const session = new ExecutionSession(executor);
    const errors: Error[] = [];
    session.errorReporter = (e) => errors.push(e);
    const registry = createDefaultRegistry();
    const layer = new ObjectLinkingLayer(session, {
      memoryManager,
      registry,
      observer: combineObservers(observers),
      graphBudget: options.graphBudget,
    });
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
