/**
 * ELF/AArch64 thread-local storage: descriptors, initial exec, local exec,
 * general and local dynamic (the rules are in `tls-kinds.ts`).
 *
 * - post-prune `buildAArch64TLSEntries`: entry relocations get their entry
 *   in `$__TLSGOT` (RW-) — a TLS descriptor {resolver, T - TP}, a GOT entry
 *   {T - TP}, a GOT pair {module id, T - DTP}, the module's pair {module id, 0}
 *   — and become Page21 / PageOffset12 / LDRLiteral19 / ADRLiteral21 of it.
 * - pre-fixup `lowerAArch64TLSEdges`: with the TLS block loaded (the
 *   platform's ThreadLocalResolver), value relocations and the entries'
 *   TLSModuleId64 / DTPOff64 / TPOff64 words become plain kinds of the value.
 *
 * Descriptors rely on the block being in static TLS (the platform asks for
 * that): their resolver, `ldr x0, [x0, #8]; ret` in `$__TLSDESC` (R-X),
 * returns the descriptor's second word, as glibc's `_dl_tlsdesc_return`.
 * AArch64 glibc uses TLS variant I: TP points at a 16-byte TCB and static
 * blocks follow it, so these offsets are positive.
 */
import { EdgeKinds, JITLinkError, MemProt, type Block, type EdgeKind, type LinkGraph, type Section, type Symbol } from '@jitlink/core';
import { getThreadLocalResolver } from '@jitlink/elf';
import { AARCH64_EDGE_KIND_INFO, getAArch64EdgeKindName, AArch64EdgeKinds as K } from '../edge-kinds.js';
import { AARCH64_TLS_RULES, type TLSEntryModel, type TLSRule } from '../tls-kinds.js';

const TLS_GOT_SECTION = '$__TLSGOT';
const TLS_DESC_SECTION = '$__TLSDESC';
/** ldr x0, [x0, #8]; ret — the static-TLS descriptor resolver. */
const TLSDESC_RETURN = new Uint8Array([0x00, 0x04, 0x40, 0xf9, 0xc0, 0x03, 0x5f, 0xd6]);

/** The rule of each TLS_<relocation> kind, by kind (read per edge: an array read, no name to look at). */
const RULES_BY_KIND: (TLSRule | undefined)[] = [];
/** 1 for the kinds the entry pass acts on, by kind. */
const ENTRY_KINDS = new Uint8Array(EdgeKinds.FirstRelocation + AARCH64_EDGE_KIND_INFO.length);
/** 1 for the kinds the value pass acts on (value relocations, and the entries' words), by kind. */
const VALUE_KINDS = new Uint8Array(EdgeKinds.FirstRelocation + AARCH64_EDGE_KIND_INFO.length);
for (const info of AARCH64_EDGE_KIND_INFO) {
  const rule = info.name.startsWith('TLS_') ? AARCH64_TLS_RULES[info.name.slice(4)] : undefined;
  RULES_BY_KIND[info.kind] = rule;
  if (rule !== undefined && 'entry' in rule) ENTRY_KINDS[info.kind] = 1;
  if (rule !== undefined && 'value' in rule) VALUE_KINDS[info.kind] = 1;
}
VALUE_KINDS[K.TLSModuleId64] = VALUE_KINDS[K.DTPOff64] = VALUE_KINDS[K.TPOff64] = 1;

/** The rule of a TLS_<relocation> kind, or undefined for other kinds. */
function ruleOf(kind: EdgeKind): TLSRule | undefined {
  return kind >= 0 && kind < RULES_BY_KIND.length ? RULES_BY_KIND[kind] : undefined;
}

class TLSEntries {
  private section: Section | undefined;
  private resolver: Symbol | undefined;
  private ldPair: Symbol | undefined;
  /** Entries by model, variable and addend (`.LANCHOR0 + 16` names another variable than `.LANCHOR0`). */
  private readonly byModel = new Map<TLSEntryModel, Map<Symbol, Map<number, Symbol>>>();

  constructor(private readonly graph: LinkGraph) {}

  private entry(words: { kind: EdgeKind; target: Symbol; addend?: number }[]): Symbol {
    this.section ??= this.graph.findSectionByName(TLS_GOT_SECTION) ?? this.graph.createSection(TLS_GOT_SECTION, MemProt.Read | MemProt.Write);
    // 16-byte alignment keeps a descriptor or a pair in one 16-byte unit, as a static linker lays them out.
    const block: Block = this.graph.createMutableContentBlock(this.section, new Uint8Array(words.length * 8), 0, words.length * 8, 0);
    words.forEach((w, i) => {
      if (w.kind !== 0) block.appendEdge(w.kind, i * 8, w.target, w.addend ?? 0);
    });
    return this.graph.addAnonymousSymbol(block, 0, words.length * 8, false, false);
  }

  entryFor(model: TLSEntryModel, target: Symbol, addend: number): Symbol {
    if (model === 'ld') {
      // Every thread-local variable of a graph is in its one block.
      return (this.ldPair ??= this.entry([{ kind: K.TLSModuleId64, target }, { kind: 0, target }]));
    }
    let byTarget = this.byModel.get(model);
    if (!byTarget) this.byModel.set(model, (byTarget = new Map()));
    let byAddend = byTarget.get(target);
    if (!byAddend) byTarget.set(target, (byAddend = new Map()));
    let entry = byAddend.get(addend);
    if (entry) return entry;
    switch (model) {
      case 'desc':
        entry = this.entry([
          { kind: K.Pointer64, target: this.descResolver() },
          { kind: K.TPOff64, target, addend },
        ]);
        break;
      case 'ie':
        entry = this.entry([{ kind: K.TPOff64, target, addend }]);
        break;
      case 'gd':
        entry = this.entry([
          { kind: K.TLSModuleId64, target },
          { kind: K.DTPOff64, target, addend },
        ]);
        break;
    }
    byAddend.set(addend, entry);
    return entry;
  }

  private descResolver(): Symbol {
    if (this.resolver) return this.resolver;
    const section = this.graph.findSectionByName(TLS_DESC_SECTION) ?? this.graph.createSection(TLS_DESC_SECTION, MemProt.Read | MemProt.Exec);
    const block = this.graph.createContentBlock(section, TLSDESC_RETURN, 0, 4, 0);
    this.resolver = this.graph.addAnonymousSymbol(block, 0, TLSDESC_RETURN.length, true, false);
    return this.resolver;
  }
}

/** Post-prune: builds the descriptors and GOT entries the entry relocations ask for, and aims the edges at them. */
export function buildAArch64TLSEntries(graph: LinkGraph): void {
  // Most graphs have no thread-local access: one read of the kind column, no walk.
  if (!graph.mayHaveEdgeOfKind(ENTRY_KINDS)) return;
  let entries: TLSEntries | undefined;
  for (const block of graph.blockList()) {
    for (let i = 0; i < block.edgeCount; i++) {
      const rule = ruleOf(block.edgeKind(i));
      if (rule === undefined || !('entry' in rule)) continue;
      entries ??= new TLSEntries(graph);
      // The instruction addresses the entry; the variable's addend went into the entry's words.
      block.setEdgeTarget(i, entries.entryFor(rule.entry, block.edgeTarget(i), block.edgeAddend(i)));
      block.setEdgeAddend(i, 0);
      block.setEdgeKind(i, K[rule.becomes]);
    }
  }
}

/** A library's thread-local in dynamic TLS has no fixed offset from the thread pointer. */
function dynamicTLSError(graph: LinkGraph, block: Block, i: number, name: string | undefined): JITLinkError {
  return new JITLinkError(
    'UnsupportedFeature',
    `${name ?? '<anonymous>'} is a thread-local of a library in dynamic TLS (loaded after start-up): initial-exec, ` +
      'local-exec and TLS-descriptor code cannot reach it at a fixed offset from the thread pointer; build with -fPIC (TLSGD)',
    { file: graph.name, section: block.section.name, offset: block.edgeOffset(i) },
  );
}

/** Pre-fixup: thread-local values become plain kinds of the values the loaded TLS blocks give. */
export function lowerAArch64TLSEdges(graph: LinkGraph): void {
  if (!graph.mayHaveEdgeOfKind(VALUE_KINDS)) return;
  let resolver: ReturnType<typeof getThreadLocalResolver> | null = null;
  for (const block of graph.blockList()) {
    for (let i = 0; i < block.edgeCount; i++) {
      const kind = block.edgeKind(i);
      const rule = ruleOf(kind);
      const isWord = kind === K.TLSModuleId64 || kind === K.DTPOff64 || kind === K.TPOff64;
      if (!isWord && (rule === undefined || !('value' in rule))) continue;
      if (resolver === null) resolver = getThreadLocalResolver(graph);
      const target = block.edgeTarget(i);
      const location = resolver?.lookup(target.address);
      if (location === undefined) {
        throw new JITLinkError(
          'UnsupportedFeature',
          `${getAArch64EdgeKindName(kind)} edge to ${target.name ?? '<anonymous>'}: ` +
            (resolver
              ? 'the target is no thread-local variable of a loaded TLS module'
              : 'thread-local storage needs a platform with TLS support (none set for this graph)'),
          { file: graph.name, section: block.section.name, offset: block.edgeOffset(i) },
        );
      }
      const addend = block.edgeAddend(i);
      const usesTP = kind === K.TPOff64 || (rule !== undefined && 'value' in rule && rule.value === 'tp');
      if (usesTP && Number.isNaN(location.threadPointerOffset)) throw dynamicTLSError(graph, block, i, target.name);
      const value =
        kind === K.TLSModuleId64
          ? location.moduleId
          : kind === K.DTPOff64 || (rule !== undefined && 'value' in rule && rule.value === 'dtp')
            ? location.blockOffset + addend
            : location.threadPointerOffset + addend;
      // T + A with A chosen so the sum is the value: the plain kinds' range and instruction checks apply.
      block.setEdgeAddend(i, value - target.address);
      block.setEdgeKind(i, isWord ? K.Pointer64 : K[rule!.becomes]);
    }
  }
}
