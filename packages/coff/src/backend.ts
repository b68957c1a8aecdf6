/** A LinkGraphBackend for COFF objects of one architecture. */
import { JITLinkError, type CreateLinkGraphOptions, type LinkGraphBackend, type ObjectIdentity } from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';
import { createCoffLinkGraph } from './builder.js';
import { coffFormatSniffer } from './identify.js';
import { defineImageBase } from './image-base.js';
import { createHostEntryBridge } from './bridge.js';

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
  return {
    ...arch.tools,
    name: `COFF/${arch.arch}`,
    format: 'coff',
    arch: arch.arch,
    sniffer: coffFormatSniffer,
    applyFixup: target.applyFixup.bind(target),
    createLinkGraph(bytes, options) {
      return createCoffLinkGraph(bytes, arch, { name: checkIdentity(options) });
    },
    hostEntryBridge:
      arch.addHostEntryBridge === undefined ? undefined : (entryName) => createHostEntryBridge(arch, entryName),
    addDefaultPasses(graph, config) {
      config.postAllocationPasses.push(defineImageBase);
      target.addDefaultPasses?.(graph, config);
    },
  };
}
