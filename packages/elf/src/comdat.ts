/**
 * Discarding a COMDAT group: when a group with the same signature was already
 * linked from another object, this object's copy is removed from its graph.
 */
import { JITLinkError, Linkage, Scope, type Block, type LinkGraph, type Section, type Symbol } from '@jitlink/core';
import { getElfGraphInfo, type ElfComdatGroup } from './builder.js';

/** Sections whose references into a discarded group are dropped with the record rather than reported. */
const TOMBSTONE_SECTIONS = new Set(['.eh_frame']);

/**
 * Removes the sections of `group` from `graph`:
 * - named non-local symbols defined in them become external symbols, so the
 *   rest of the graph binds to the copy kept from another object;
 * - edges from `.eh_frame` to local or anonymous symbols of the group are
 *   retargeted to one non-live absolute symbol at address 0, so the FDEs of
 *   the discarded functions get no keep-alive edge and are dead-stripped
 *   (run this before the eh-frame passes, or at least before pruning);
 * - any other reference to a local symbol of the group is an error (as with
 *   static linkers: "relocation refers to a discarded section").
 * Call it right after building the graph, before any pass runs.
 */
export function discardElfComdatGroup(graph: LinkGraph, group: ElfComdatGroup): void {
  const info = getElfGraphInfo(graph);
  if (info === undefined || !info.groups.includes(group)) {
    throw new JITLinkError('InvalidGraphOperation', `group ${group.signature} does not belong to graph ${graph.name}`);
  }
  if (group.discarded) return;
  const members = new Set<Section>(group.sections);
  const replacement = new Map<Symbol, Symbol>();
  let tombstone: Symbol | undefined;
  const locals: Symbol[] = [];

  for (const section of members) {
    for (const sym of section.symbols) {
      if (sym.name !== undefined && sym.scope !== Scope.Local) {
        const existing = graph.findExternalSymbol(sym.name);
        if (existing !== undefined) replacement.set(sym, existing);
      } else locals.push(sym);
    }
  }
  const localSet = new Set(locals);

  // Retarget references from outside the group.
  for (const section of graph.sections()) {
    if (members.has(section)) continue;
    for (const block of section.blocks) {
      const edgeCount = block.edgeCount;
      for (let i = 0; i < edgeCount; i++) {
        const edgeTarget = block.edgeTarget(i);
        const r = replacement.get(edgeTarget);
        if (r !== undefined) {
          block.setEdgeTarget(i, r);
          continue;
        }
        if (!localSet.has(edgeTarget)) continue;
        if (TOMBSTONE_SECTIONS.has(info.originalNames.get(section) ?? section.name)) {
          tombstone ??= graph.addAbsoluteSymbol(undefined, 0, 0, 0, Scope.Local, false);
          block.setEdgeTarget(i, tombstone);
          continue;
        }
        throw new JITLinkError(
          'LinkFailed',
          `${describeBlock(block)} refers to ${edgeTarget.describe()} in section ${edgeTarget.block.section.name} ` +
            `of discarded COMDAT group ${group.signature}`,
          { file: graph.name, section: section.name },
        );
      }
    }
  }

  for (const section of members) {
    const named: Symbol[] = [];
    for (const sym of section.symbols) if (sym.name !== undefined && sym.scope !== Scope.Local) named.push(sym);
    for (const sym of named) {
      if (replacement.has(sym)) graph.removeDefinedSymbol(sym);
      else {
        graph.makeExternal(sym);
        // The kept copy must exist: this is no longer a weak reference.
        sym.linkage = Linkage.Strong;
      }
    }
    // makeExternal leaves the blocks; removeSection drops them and the remaining local symbols.
    graph.removeSection(section);
    info.originalNames.delete(section);
    info.tlsSections.delete(section);
    const index = info.sectionsByIndex.indexOf(section);
    if (index >= 0) info.sectionsByIndex[index] = undefined;
  }
  group.discarded = true;
}

function describeBlock(block: Block): string {
  return `block at offset 0x${block.address.toString(16)} of ${block.section.name}`;
}
