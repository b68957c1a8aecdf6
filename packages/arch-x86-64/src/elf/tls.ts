/**
 * ELF/x86-64 thread-local storage: every access model.
 *
 * - post-prune `buildX86_64TLSEntries`: the Request* TLS edges get their
 *   entries in `$__TLSGOT` (RW-) — a TLSGD pair {module id, offset} per
 *   variable, one TLSLD pair {module id, 0} per module, a GOTTPOFF entry
 *   (offset from the thread pointer) per variable, a TLS descriptor
 *   {resolver, offset} per variable — and become Delta32 to them.
 * - pre-fixup `lowerX86_64TLSEdges`: with the TLS modules loaded (the
 *   platform's ThreadLocalResolver), TLSModuleId64 / DTPOff* / TPOff* become
 *   Pointer64 / Pointer32Signed of the value.
 *
 * TLS descriptors rely on the block being in static TLS (the platform asks
 * for that): their resolver, a block in `$__TLSDESC` (R-X), returns the
 * descriptor's second word, as glibc's `_dl_tlsdesc_return`.
 */
import { EdgeKinds, JITLinkError, MemProt, type Block, type LinkGraph, type Section, type Symbol } from '@jitlink/core';
import { getThreadLocalResolver } from '@jitlink/elf';
import { getX86_64EdgeKindName, X86_64_EDGE_KIND_INFO, X86_64EdgeKinds as K } from '../edge-kinds.js';

const TLS_GOT_SECTION = '$__TLSGOT';
const TLS_DESC_SECTION = '$__TLSDESC';
/** `mov 8(%rax), %rax; ret`: the static-TLS descriptor resolver. */
const TLSDESC_RETURN = new Uint8Array([0x48, 0x8b, 0x40, 0x08, 0xc3]);

function isTLSRequest(kind: number): boolean {
  return (
    kind === K.RequestTLSGDAndTransformToDelta32 ||
    kind === K.RequestTLSLDAndTransformToDelta32 ||
    kind === K.RequestGOTTPOffAndTransformToDelta32 ||
    kind === K.RequestTLSDescAndTransformToDelta32
  );
}

function isTLSValue(kind: number): boolean {
  return kind === K.TLSModuleId64 || kind === K.DTPOff64 || kind === K.DTPOff32 || kind === K.TPOff64 || kind === K.TPOff32;
}

/** 1 for the kinds `isTest` accepts, by kind: a graph without them is left alone (LinkGraph.mayHaveEdgeOfKind). */
function kindsWhere(isTest: (kind: number) => boolean): Uint8Array {
  const table = new Uint8Array(EdgeKinds.FirstRelocation + X86_64_EDGE_KIND_INFO.length);
  for (let kind = 0; kind < table.length; kind++) if (isTest(kind)) table[kind] = 1;
  return table;
}
const TLS_REQUEST_KINDS = kindsWhere(isTLSRequest);
const TLS_VALUE_KINDS = kindsWhere(isTLSValue);

class TLSEntries {
  private section: Section | undefined;
  private resolver: Symbol | undefined;
  private ldPair: Symbol | undefined;

  constructor(private readonly graph: LinkGraph) {}

  private entry(words: { kind: number; target: Symbol }[]): Symbol {
    this.section ??= this.graph.findSectionByName(TLS_GOT_SECTION) ?? this.graph.createSection(TLS_GOT_SECTION, MemProt.Read | MemProt.Write);
    const block: Block = this.graph.createMutableContentBlock(this.section, new Uint8Array(words.length * 8), 0, 8, 0);
    words.forEach((w, i) => {
      if (w.kind !== 0) block.appendEdge(w.kind, i * 8, w.target, 0);
    });
    return this.graph.addAnonymousSymbol(block, 0, words.length * 8, false, false);
  }

  entryFor(kind: number, target: Symbol): Symbol {
    switch (kind) {
      case K.RequestTLSGDAndTransformToDelta32:
        return this.byTarget('gd', target, () =>
          this.entry([
            { kind: K.TLSModuleId64, target },
            { kind: K.DTPOff64, target },
          ]),
        );
      case K.RequestTLSLDAndTransformToDelta32:
        // Every TLS variable of a graph is in its one module.
        this.ldPair ??= this.entry([
          { kind: K.TLSModuleId64, target },
          { kind: 0, target },
        ]);
        return this.ldPair;
      case K.RequestGOTTPOffAndTransformToDelta32:
        return this.byTarget('ie', target, () => this.entry([{ kind: K.TPOff64, target }]));
      default:
        return this.byTarget('desc', target, () =>
          this.entry([
            { kind: K.Pointer64, target: this.descResolver() },
            { kind: K.TPOff64, target },
          ]),
        );
    }
  }

  private readonly byModel = new Map<string, Map<Symbol, Symbol>>();
  private byTarget(model: string, target: Symbol, make: () => Symbol): Symbol {
    let m = this.byModel.get(model);
    if (!m) this.byModel.set(model, (m = new Map()));
    let e = m.get(target);
    if (!e) m.set(target, (e = make()));
    return e;
  }

  private descResolver(): Symbol {
    if (this.resolver) return this.resolver;
    const section = this.graph.findSectionByName(TLS_DESC_SECTION) ?? this.graph.createSection(TLS_DESC_SECTION, MemProt.Read | MemProt.Exec);
    const block = this.graph.createContentBlock(section, TLSDESC_RETURN, 0, 16, 0);
    this.resolver = this.graph.addAnonymousSymbol(block, 0, TLSDESC_RETURN.length, true, false);
    return this.resolver;
  }
}

/** Post-prune: builds the TLS GOT entries and descriptors the Request* TLS edges ask for. */
export function buildX86_64TLSEntries(graph: LinkGraph): void {
  // Most graphs have no thread-local access: one read of the kind column, no walk.
  if (!graph.mayHaveEdgeOfKind(TLS_REQUEST_KINDS)) return;
  let entries: TLSEntries | undefined;
  const blocks = graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    for (let i = 0; i < block.edgeCount; i++) {
      const kind = block.edgeKind(i);
      if (!isTLSRequest(kind)) continue;
      entries ??= new TLSEntries(graph);
      block.setEdgeTarget(i, entries.entryFor(kind, block.edgeTarget(i)));
      block.setEdgeKind(i, K.Delta32);
    }
  }
}

/** Pre-fixup: TLS value kinds become plain pointers to the values the loaded TLS modules give. */
export function lowerX86_64TLSEdges(graph: LinkGraph): void {
  if (!graph.mayHaveEdgeOfKind(TLS_VALUE_KINDS)) return;
  const resolver = getThreadLocalResolver(graph);
  const blocks = graph.blockList();
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    for (let i = 0; i < block.edgeCount; i++) {
      const kind = block.edgeKind(i);
      if (!isTLSValue(kind)) continue;
      const target = block.edgeTarget(i);
      const location = resolver?.lookup(target.address);
      if (location === undefined) {
        throw new JITLinkError(
          'UnsupportedFeature',
          `${getX86_64EdgeKindName(kind)} edge to ${target.name ?? '<anonymous>'}: ` +
            (resolver ? 'the target is no thread-local variable of a loaded TLS module' : 'thread-local storage needs a platform with TLS support (none set for this graph)'),
          { file: graph.name, section: block.section.name, offset: block.edgeOffset(i) },
        );
      }
      if ((kind === K.TPOff64 || kind === K.TPOff32) && Number.isNaN(location.threadPointerOffset)) {
        throw new JITLinkError(
          'UnsupportedFeature',
          `${target.name ?? '<anonymous>'} is a thread-local of a library in dynamic TLS (loaded after start-up): initial-exec, ` +
            'local-exec and TLS-descriptor code cannot reach it at a fixed offset from the thread pointer; build with -fPIC (TLSGD)',
          { file: graph.name, section: block.section.name, offset: block.edgeOffset(i) },
        );
      }
      const value =
        kind === K.TLSModuleId64
          ? location.moduleId
          : kind === K.DTPOff64 || kind === K.DTPOff32
            ? location.blockOffset + block.edgeAddend(i)
            : location.threadPointerOffset + block.edgeAddend(i);
      // T + A with A chosen so the sum is the value: the range checks of the plain kinds apply.
      block.setEdgeAddend(i, value - target.address);
      block.setEdgeKind(i, kind === K.DTPOff32 || kind === K.TPOff32 ? K.Pointer32Signed : K.Pointer64);
    }
  }
}
