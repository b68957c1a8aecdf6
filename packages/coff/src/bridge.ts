/**
 * The COFF platform's entry bridge: COFF x86-64 code follows the Microsoft
 * x64 convention; a Linux host calls with System V's. The bridge is a graph of
 * its own, one block the architecture writes, that calls the entry point.
 */
import { JITLinkError, Linkage, LinkGraph, MemProt, Scope, type Section, type TargetAddress } from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';

export const HOST_BRIDGE_SECTION_NAME = '$__COFF_HOST_BRIDGE';

/** The name of the bridge to `entryName`. */
export function hostBridgeName(entryName: string): string {
  return `__jitlink_host_bridge$${entryName}`;
}

/** Prefix of the bridges that call COFF functions by address. */
export const HOST_CALL_BRIDGE_PREFIX = '__jitlink_host_call_bridge$';
let bridgeGraphs = 0;

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

/**
 * A graph defining, for each COFF function address in `targets`, a bridge the
 * host calls without arguments to call it (initializer tables): the entry
 * bridge, to an absolute symbol at the address. Names are unique per call.
 */
export function createHostCallBridges(arch: CoffArchSupport, targets: readonly TargetAddress[]): { graph: LinkGraph; symbols: string[] } {
  if (arch.addHostEntryBridge === undefined) {
    throw new JITLinkError('UnsupportedFeature', `${arch.packageName} cannot call COFF/${arch.arch} code from the host`);
  }
  const id = bridgeGraphs++;
  const { graph, section } = bridgeGraph(arch, `<COFF host call bridges #${id}>`);
  const symbols = targets.map((address, i) => {
    const target = graph.addAbsoluteSymbol(`${HOST_CALL_BRIDGE_PREFIX}${id}.${i}$target`, address, 0, Linkage.Strong, Scope.Local, false);
    const name = `${HOST_CALL_BRIDGE_PREFIX}${id}.${i}`;
    arch.addHostEntryBridge!(graph, section, target, name);
    return name;
  });
  return { graph, symbols };
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
