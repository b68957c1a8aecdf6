/** A LinkGraphBackend for COFF objects of one architecture. */
import { JITLinkError, Scope, type CreateLinkGraphOptions, type LinkGraphBackend, type ObjectIdentity } from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';
import { createCoffLinkGraph } from './builder.js';
import { readCoffDefinitionRanges, readCoffDefinitions } from './definitions.js';
import { coffFormatSniffer } from './identify.js';
import { defineImageBase } from './image-base.js';
import { createHostCallBridges, createHostEntryBridge } from './bridge.js';
import { addHostCallThunkPasses } from './host-thunks.js';

/** Composes the generic COFF builder with an architecture package into a backend for `registerBackend`. */
export function createCoffBackend(arch: CoffArchSupport): LinkGraphBackend {
  const target = arch.target;
  const checkIdentity = (options: CreateLinkGraphOptions & { identity: ObjectIdentity }): string => {
    const name = options.name ?? '<memory>';
    const identity = options.identity;
    if (identity.format !== 'coff' || identity.arch !== arch.arch) {
      throw new JITLinkError(
        'UnsupportedArchitecture',
        `${identity.description} for ${identity.arch} cannot be read by the COFF/${arch.arch} backend`,
        { file: name },
      );
    }
    return name;
  };
  // Names COFF objects read by this backend define: any other function a COFF graph calls is the host's.
  const coffDefined = new Set<string>();
  const isCoffDefined = (name: string): boolean => coffDefined.has(name);
  return {
    ...arch.tools,
    name: `COFF/${arch.arch}`,
    format: 'coff',
    arch: arch.arch,
    sniffer: coffFormatSniffer,
    applyFixup: target.applyFixup.bind(target),
    createLinkGraph(bytes, options) {
      const graph = createCoffLinkGraph(bytes, arch, { name: checkIdentity(options), limits: options.limits });
      graph.forEachDefinedSymbol((s) => {
        if (s.name !== undefined && s.scope !== Scope.Local) coffDefined.add(s.name);
      });
      return graph;
    },
    readDefinitions(bytes, options) {
      const definitions = readCoffDefinitions(bytes, arch, checkIdentity(options));
      // Registered now, linked later: calls to these names from other COFF graphs need no thunk.
      definitions.forEach((_flags, name) => coffDefined.add(name));
      return definitions;
    },
    readDefinitionRanges(object, options) {
      readCoffDefinitionRanges(object, checkIdentity(options));
    },
    hostEntryBridge:
      arch.addHostEntryBridge === undefined ? undefined : (entryName) => createHostEntryBridge(arch, entryName),
    hostCallBridges: arch.addHostEntryBridge === undefined ? undefined : (targets) => createHostCallBridges(arch, targets),
    addDefaultPasses(graph, config) {
      config.postAllocationPasses.push(defineImageBase);
      target.addDefaultPasses?.(graph, config);
      addHostCallThunkPasses(config, arch, isCoffDefined);
    },
  };
}
