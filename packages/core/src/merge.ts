/**
 * Merging one LinkGraph into another, as a static linker combines objects:
 * same-named sections are concatenated, references between the two graphs are
 * bound, and duplicate definitions are resolved by linkage.
 */
import { alignUp, isRepresentableAddress } from './address.js';
import { JITLinkError } from './errors.js';
import { Linkage, Scope, type LinkGraph, type Section, type Symbol } from './graph.js';

/** How `mergeLinkGraphs` treats sections of the same name. */
export interface MergeLinkGraphsOptions {
  /**
   * Whether a section of `from` may be merged into the same-named section of
   * `into` (default: always). When refused, the section is moved under a new,
   * unique name instead.
   */
  canMergeSections?: (intoSection: Section, fromSection: Section) => boolean;
  /** Called for each section of `from` with the section of `into` that now holds its blocks. */
  onSectionMoved?: (fromSection: Section, intoSection: Section) => void;
}

/**
 * Moves every section, block, symbol and edge of `from` into `into`; `from`
 * is left empty.
 *
 * - Blocks of `from` keep their relative addresses but are shifted above every
 *   block of `into`, so address-ordered layout places `into`'s blocks first.
 * - Sections of `from` join the same-named section of `into` (of the same
 *   lifetime, and both holding common symbols or neither), or are created
 *   in `into` after its own sections, in `from`'s order.
 * - Non-local (default or hidden scope) names are bound across the graphs: an
 *   external resolved by a definition in the other graph is replaced by it,
 *   externals of the same name are unified, a weak definition yields to a
 *   strong one (between two weak ones, `into`'s is kept), and two strong
 *   definitions are a DuplicateDefinition error. Edges to a replaced symbol
 *   are retargeted; the loser's block stays, for dead-stripping to remove.
 * - Alloc actions of `from` are appended to `into`'s.
 *
 * Runs in time linear in the number of sections, blocks, symbols and edges.
 * On error, neither graph has been modified.
 */
export function mergeLinkGraphs(into: LinkGraph, from: LinkGraph, options: MergeLinkGraphsOptions = {}): void {
  if (into === from) throw new JITLinkError('InvalidGraphOperation', `cannot merge graph ${into.name} into itself`);
  if (into.triple !== from.triple || into.pointerSize !== from.pointerSize || into.endianness !== from.endianness) {
    throw new JITLinkError(
      'InvalidGraphOperation',
      `cannot merge graph ${from.name} (${from.triple}, ${from.pointerSize * 8}-bit ${from.endianness}-endian) into ` +
        `${into.name} (${into.triple}, ${into.pointerSize * 8}-bit ${into.endianness}-endian)`,
    );
  }

  // ---- plan: decide every binding before changing anything ----
  const intoDefinitions = new Map<string, Symbol>();
  for (const sym of into.definedSymbols()) indexDefinition(intoDefinitions, sym);
  for (const sym of into.absoluteSymbols()) indexDefinition(intoDefinitions, sym);

  /** Symbols whose edges go to another symbol; chains are at most two long. */
  const replacement = new Map<Symbol, Symbol>();
  const fromDefinitions: Symbol[] = [];
  for (const sym of from.definedSymbols()) if (isNamedNonLocal(sym)) fromDefinitions.push(sym);
  for (const sym of from.absoluteSymbols()) if (isNamedNonLocal(sym)) fromDefinitions.push(sym);

  for (const sym of fromDefinitions) {
    const name = sym.name!;
    const existing = intoDefinitions.get(name);
    if (existing !== undefined) {
      if (existing.linkage === Linkage.Strong && sym.linkage === Linkage.Strong) {
        throw new JITLinkError(
          'DuplicateDefinition',
          `duplicate definition of ${name}: defined in both ${into.name} and ${from.name}`,
        );
      }
      const fromWins = existing.linkage === Linkage.Weak && sym.linkage === Linkage.Strong;
      const [winner, loser] = fromWins ? [sym, existing] : [existing, sym];
      replacement.set(loser, winner);
      continue;
    }
    const external = into.findExternalSymbol(name);
    if (external !== undefined) replacement.set(external, sym);
  }

  const fromExternals = [...from.externalSymbols()];
  for (const ext of fromExternals) {
    const name = ext.name!;
    const definition = intoDefinitions.get(name);
    if (definition !== undefined) {
      replacement.set(ext, definition);
      continue;
    }
    const external = into.findExternalSymbol(name);
    if (external !== undefined) replacement.set(ext, external);
  }

  const sectionPlan: { from: Section; target: Section | undefined }[] = [];
  for (const section of [...from.sections()].sort((a, b) => a.ordinal - b.ordinal)) {
    const existing = into.findSectionByName(section.name);
    const mergeable =
      existing !== undefined &&
      existing.lifetime === section.lifetime &&
      // Common symbols are known by their section: never mix them with other definitions.
      existing.holdsCommonSymbols === section.holdsCommonSymbols &&
      (options.canMergeSections?.(existing, section) ?? true);
    sectionPlan.push({ from: section, target: mergeable ? existing : undefined });
  }

  const shift = addressShift(into, from);

  // ---- apply ----
  // From here on `from`'s edges and symbols are numbered in `into`.
  into.adoptEdgesAndSymbols(from);
  for (const [loser, winner] of replacement) {
    winner.live ||= loser.live;
    if (loser.isExternal()) {
      if (winner.isExternal() && loser.linkage === Linkage.Strong) winner.linkage = Linkage.Strong;
    } else if (!winner.isExternal() && loser.scope === Scope.Hidden) {
      // The more restrictive visibility of the two definitions wins, as in static linking.
      winner.scope = Scope.Hidden;
    }
  }

  for (const plan of sectionPlan) {
    const source = plan.from;
    let target = plan.target;
    if (target === undefined) target = into.createSection(uniqueSectionName(into, source.name, from.name), source.prot, source.lifetime);
    else target.prot |= source.prot;
    target.holdsCommonSymbols ||= source.holdsCommonSymbols;
    for (const block of source.blocks) {
      block.section = target;
      block.address += shift;
      target.blocks.add(block);
    }
    for (const sym of source.symbols) target.symbols.add(sym);
    source.blocks.clear();
    source.symbols.clear();
    from.removeSection(source);
    options.onSectionMoved?.(source, target);
  }

  for (const sym of [...from.absoluteSymbols()]) {
    if (!replacement.has(sym)) {
      const moved = into.addAbsoluteSymbol(sym.name, sym.address, sym.size, sym.linkage, sym.scope, sym.live);
      moved.callable = sym.callable;
      replacement.set(sym, moved);
    }
    from.removeAbsoluteSymbol(sym);
  }

  for (const ext of fromExternals) {
    if (!replacement.has(ext)) {
      const moved = into.addExternalSymbol(ext.name!, ext.size, ext.linkage);
      moved.live = ext.live;
      replacement.set(ext, moved);
    }
    from.removeExternalSymbol(ext);
  }

  // Remove the losers that belong to `into` (from's sections now included).
  for (const loser of replacement.keys()) {
    if (!loser.inGraph) continue;
    if (loser.isExternal()) {
      if (into.findExternalSymbol(loser.name!) === loser) into.removeExternalSymbol(loser);
    } else if (loser.isAbsolute()) into.removeAbsoluteSymbol(loser);
    else into.removeDefinedSymbol(loser);
  }

  if (replacement.size > 0) {
    for (const block of into.blocks()) {
      const edgeCount = block.edgeCount;
      for (let i = 0; i < edgeCount; i++) {
        let target = replacement.get(block.edgeTarget(i));
        if (target === undefined) continue;
        for (let next = replacement.get(target); next !== undefined; next = replacement.get(target)) target = next;
        block.setEdgeTarget(i, target);
      }
    }
  }

  for (const action of from.allocActions) into.allocActions.push(action);
  from.allocActions.length = 0;
  if (from.requiresLow32BitAddresses) into.requiresLow32BitAddresses = true;
}

function isNamedNonLocal(sym: Symbol): boolean {
  return sym.name !== undefined && sym.scope !== Scope.Local;
}

function indexDefinition(index: Map<string, Symbol>, sym: Symbol): void {
  if (isNamedNonLocal(sym) && !index.has(sym.name!)) index.set(sym.name!, sym);
}

/** A shift that moves every block of `from` above every block of `into`, preserving alignment. */
function addressShift(into: LinkGraph, from: LinkGraph): number {
  let intoEnd = -Infinity;
  for (const block of into.blocks()) intoEnd = Math.max(intoEnd, block.address + block.size);
  let fromStart = Infinity;
  let fromEnd = -Infinity;
  let alignment = 1;
  for (const block of from.blocks()) {
    fromStart = Math.min(fromStart, block.address);
    fromEnd = Math.max(fromEnd, block.address + block.size);
    alignment = Math.max(alignment, block.alignment);
  }
  if (intoEnd === -Infinity || fromStart === Infinity) return 0;
  const shift = alignUp(intoEnd - fromStart, alignment);
  if (!isRepresentableAddress(fromEnd + shift)) {
    throw new JITLinkError('AddressNotRepresentable', `merging ${from.name} into ${into.name} overflows the graph address range`);
  }
  return shift;
}

function uniqueSectionName(graph: LinkGraph, name: string, origin: string): string {
  if (graph.findSectionByName(name) === undefined) return name;
  let unique = `${name} [${origin}]`;
  for (let n = 2; graph.findSectionByName(unique) !== undefined; n++) unique = `${name} [${origin}.${n}]`;
  return unique;
}
