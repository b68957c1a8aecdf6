/**
 * Exit-handler services for an out-of-process executor: the small runtime
 * in runtime/jitlink-remote-rt.c is linked into the executor, and JIT'd
 * code's atexit, __cxa_atexit and __dso_handle resolve to it, so handlers
 * run (before the memory is released) when the platform asks.
 */
import {
  JITLinkError,
  archOfTriple,
  link,
  type BackendRegistry,
  type JITLinkAllocation,
  type JITRuntimeServices,
  type LinkGraph,
  type TargetAddress,
} from '@jitlink/core';
import type { RemoteExecutorProcessControl } from './remote-control.js';
import { RUNTIME_OBJECTS } from './runtime-objects.js';

const RUNTIME_SYMBOLS = {
  atexit: '__jitlink_rt_atexit',
  __cxa_atexit: '__jitlink_rt_cxa_atexit',
  __dso_handle: '__jitlink_rt_dso_handle',
} as const;
const RUN_ATEXIT = '__jitlink_rt_run_atexit';

function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function definedAddress(graph: LinkGraph, name: string): TargetAddress {
  for (const sym of graph.definedSymbols()) if (sym.name === name) return sym.address;
  throw new JITLinkError('SymbolsNotFound', `${name} is not defined by the executor runtime`);
}

export class RemoteRuntimeServices implements JITRuntimeServices {
  private constructor(
    readonly symbols: ReadonlyMap<string, TargetAddress>,
    private readonly runAtExit: TargetAddress,
    private readonly control: RemoteExecutorProcessControl,
    readonly allocation: JITLinkAllocation,
  ) {}

  /** Links the runtime into the executor behind `control`. */
  static async create(control: RemoteExecutorProcessControl, registry: BackendRegistry): Promise<RemoteRuntimeServices> {
    const arch = archOfTriple(control.triple);
    const encoded = RUNTIME_OBJECTS[arch === 'arm64' ? 'aarch64' : arch];
    if (!encoded) throw new JITLinkError('UnsupportedArchitecture', `no executor runtime for ${control.triple}`);
    const graph = registry.createLinkGraph(decodeBase64(encoded), { name: 'jitlink-remote-rt.o' });
    let allocation: JITLinkAllocation | undefined;
    let failure: Error | undefined;
    await link(
      graph,
      {
        getMemoryManager: () => control.memoryManager,
        lookup: async (request) => {
          const names = [...request.keys()];
          const found = await control.lookupSymbols(names);
          return found;
        },
        notifyResolved: () => {},
        notifyFinalized: (a) => {
          allocation = a;
        },
        notifyFailed: (e) => {
          failure = e;
        },
        shouldAddDefaultTargetPasses: () => true,
        getMarkLivePass: () => undefined,
        modifyPassConfig: () => {},
      },
      registry.forGraph(graph),
    );
    if (failure) throw failure;
    const symbols = new Map<string, TargetAddress>();
    for (const [name, defined] of Object.entries(RUNTIME_SYMBOLS)) symbols.set(name, definedAddress(graph, defined));
    return new RemoteRuntimeServices(symbols, definedAddress(graph, RUN_ATEXIT), control, allocation!);
  }

  async runAtExitHandlers(): Promise<void> {
    await this.control.runAsIntFunction(this.runAtExit, 0);
  }
}
