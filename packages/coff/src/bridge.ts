/**
 * The COFF platform's entry bridge: COFF x86-64 code follows the Microsoft
 * x64 convention; a Linux host calls with System V's. The bridge is a graph of
 * its own, one block the architecture writes, that calls the entry point.
 */
import { JITLinkError, LinkGraph, MemProt } from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';

export const HOST_BRIDGE_SECTION_NAME = '$__COFF_HOST_BRIDGE';

/** The name of the bridge to `entryName`. */
export function hostBridgeName(entryName: string): string {
  return `__jitlink_host_bridge$${entryName}`;
}

/** A graph defining the host-convention bridge to `entryName` (an external of the graph). */
export function createHostEntryBridge(arch: CoffArchSupport, entryName: string): { graph: LinkGraph; symbol: string } {
  if (arch.addHostEntryBridge === undefined) {
    throw new JITLinkError('UnsupportedFeature', `${arch.packageName} cannot call COFF/${arch.arch} code from the host`);
  }
  const graph = new LinkGraph({
    name: `<COFF host bridge to ${entryName}>`,
    triple: arch.triple,
    pointerSize: arch.pointerSize,
    endianness: 'little',
    getEdgeKindName: arch.getEdgeKindName,
    format: 'coff',
  });
  const section = graph.createSection(HOST_BRIDGE_SECTION_NAME, MemProt.Read | MemProt.Exec);
  const symbol = hostBridgeName(entryName);
  arch.addHostEntryBridge(graph, section, graph.addExternalSymbol(entryName, 0), symbol);
  return { graph, symbol };
}
