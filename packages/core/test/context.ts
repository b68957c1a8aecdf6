import {
  type JITLinkAllocation,
  type JITLinkContext,
  type JITLinkMemoryManager,
  type LinkGraph,
  type LinkGraphPass,
  type LookupRequest,
  type LookupResult,
  type PassConfiguration,
} from '../src/index.js';

export interface RecordingContext extends JITLinkContext {
  events: string[];
  failures: Error[];
  finalized: JITLinkAllocation[];
  symbols: Map<string, number>;
  modify?: (graph: LinkGraph, config: PassConfiguration) => void;
  markLive?: LinkGraphPass;
  lookupHook?: (request: LookupRequest) => Promise<LookupResult>;
}

/** A context that resolves from a fixed table and records what happens. */
export function recordingContext(memory: JITLinkMemoryManager, symbols = new Map<string, number>()): RecordingContext {
  const ctx: RecordingContext = {
    events: [],
    failures: [],
    finalized: [],
    symbols,
    getMemoryManager: () => memory,
    async lookup(request) {
      ctx.events.push('lookup');
      if (ctx.lookupHook) return ctx.lookupHook(request);
      const result: LookupResult = new Map();
      for (const name of request.keys()) {
        const addr = symbols.get(name);
        if (addr !== undefined) result.set(name, addr);
      }
      return result;
    },
    notifyResolved() {
      ctx.events.push('notifyResolved');
    },
    notifyFinalized(allocation) {
      ctx.events.push('notifyFinalized');
      ctx.finalized.push(allocation);
    },
    notifyFailed(error) {
      ctx.events.push('notifyFailed');
      ctx.failures.push(error);
    },
    shouldAddDefaultTargetPasses: () => true,
    getMarkLivePass: () => ctx.markLive,
    modifyPassConfig(graph, config) {
      ctx.modify?.(graph, config);
    },
  };
  return ctx;
}
