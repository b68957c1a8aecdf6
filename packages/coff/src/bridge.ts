/**
 * The COFF platform's entry bridge: COFF x86-64 code follows the Microsoft
 * x64 convention; a Linux host calls with System V's. The bridge is a graph of
 * its own, one block the architecture writes, that calls the entry point.
 */
import { JITLinkError, LinkGraph, MemProt, type Section } from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';

export const HOST_BRIDGE_SECTION_NAME = '$__COFF_HOST_BRIDGE';

/** The name of the bridge to `entryName`. */
export function hostBridgeName(entryName: string): string {
  return `__jitlink_host_bridge$${entryName}`;
}

/** The name of the bridge that calls COFF functions by address. */
export const HOST_CALL_BRIDGE_NAME = '__jitlink_host_call_bridge';

function bridgeGraph(arch: CoffArchSupport, name: string): { graph: LinkGraph; section: Section } {
  const graph = new LinkGraph({
    name,
    triple: arch.triple,
    pointerSize: arch.pointerSize,
    endianness: 'little',
    getEdgeKindName: arch.getEdgeKindName,
    format: 'coff',
  });
  return { graph, section: graph.createSection(HOST_BRIDGE_SECTION_NAME, MemProt.Read | MemProt.Exec) };
}

/** A graph defining HOST_CALL_BRIDGE_NAME: called by the host with a COFF function's address, it calls it. */
export function createHostCallBridge(arch: CoffArchSupport): { graph: LinkGraph; symbol: string } {
  if (arch.addHostPointerCallBridge === undefined) {
    throw new JITLinkError('UnsupportedFeature', `${arch.packageName} cannot call COFF/${arch.arch} code from the host`);
  }
  const { graph, section } = bridgeGraph(arch, '<COFF host call bridge>');
  arch.addHostPointerCallBridge(graph, section, HOST_CALL_BRIDGE_NAME);
  return { graph, symbol: HOST_CALL_BRIDGE_NAME };
}

/** A graph defining the host-convention bridge to `entryName` (an external of the graph). */
export function createHostEntryBridge(arch: CoffArchSupport, entryName: string): { graph: LinkGraph; symbol: string } {
  if (arch.addHostEntryBridge === undefined) {
    throw new JITLinkError('UnsupportedFeature', `${arch.packageName} cannot call COFF/${arch.arch} code from the host`);
  }
  const { graph, section } = bridgeGraph(arch, `<COFF host bridge to ${entryName}>`);
  const symbol = hostBridgeName(entryName);
  arch.addHostEntryBridge(graph, section, graph.addExternalSymbol(entryName, 0), symbol);
  return { graph, symbol };
}
