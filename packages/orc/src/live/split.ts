/**
 * Splitting one version of a replaceable object into the two graphs live
 * re-linking links separately:
 *
 * - the **code half**: executable sections, unwind tables and read-only data
 *   nothing writable points at. Each version has its own, freed once the
 *   program has left it.
 * - the **data half**: writable sections, and read-only data that has a global
 *   name or that writable data points at. The first version's data half stays
 *   for the program's life; later versions bind to it (state survives) and
 *   add only what is new.
 *
 * Both halves are cut from graphs built from the same bytes, so every
 * decision here is a function of the graph (and of what earlier versions
 * kept) alone: the two cuts agree without sharing state.
 *
 * Names across the cut. Functions are reached through redirectable stubs:
 * references to a function go to its stub name (its own name if global,
 * `__live.<object>.<name>` if static) and its definition is renamed to the
 * version's implementation name. Data keeps names that are stable across
 * versions: its global name, `__live.<object>.<name>` for statics, and
 * `__live.<object>.<section>#<n>@<generation>+<offset>` for section-relative
 * references (how assemblers reference statics), where the generation is the
 * version whose layout the block has.
 */
import { JITLinkError, Linkage, MemLifetime, MemProt, Scope, type Block, type LinkGraph, type Symbol } from '@jitlink/core';

export type Half = 'code' | 'data';

/** What an earlier version left in the data half, by stable name and by block. */
export interface KeptData {
  /** Named data symbols (stable names) with their size and alignment. */
  readonly symbols: Map<string, { size: number; alignment: number }>;
  /** Data blocks by key: layout, and the generation whose storage the block uses. */
  readonly blocks: Map<string, KeptBlock>;
}

export interface KeptBlock {
  size: number;
  alignment: number;
  generation: number;
  /** Stable names of the named symbols in the block, with their offsets and sizes. */
  symbols: Map<string, { offset: number; size: number }>;
}

export interface SplitNames {
  /** A key for the object, unique in the session (used in generated names). */
  object: string;
  version: number;
}

/** A function of the version: its stub's name and its implementation's. */
export interface LiveFunction {
  name: string;
  stubName: string;
  implName: string;
  scope: Scope;
  linkage: Symbol['linkage'];
}

/** What splitting found; the same for both halves. */
export interface VersionLayout {
  functions: Map<string, LiveFunction>;
  /** Data of this version, as the next version will see it (earlier versions' kept data included). */
  kept: KeptData;
  /** Stable names this version binds to earlier storage. */
  boundToEarlier: Set<string>;
  /**
   * With fresh data: blocks whose storage is kept but whose content this
   * version re-initializes. `image` names the block in the data half (linked
   * so that its content is relocated, pointing at the kept storage), `storage`
   * the kept block it is copied over.
   */
  images: { image: string; storage: string }[];
}

export interface SplitOptions {
  /** Re-initialize kept data from this version's image instead of keeping its values. */
  freshData?: boolean;
}

/** A replacement that cannot keep the earlier version's data (the caller refuses it). */
export class DataLayoutChanged extends JITLinkError {
  constructor(object: string, detail: string) {
    super('UnsupportedFeature', `cannot keep the data of ${object}: ${detail}`);
  }
}

const UNWIND_SECTION = /^(\.eh_frame|\.gcc_except_table|\.pdata|\.xdata|__eh_frame|__compact_unwind|__gcc_except_tab)/;
const TLS_SECTION = /^(\.tdata|\.tbss|__thread_(vars|data|bss|ptrs))/;

enum Class {
  Code,
  Data,
}

/** Plain description of where a symbol of the graph stands. */
interface Facts {
  blockClass: Map<Block, Class>;
  blockKey: Map<Block, string>;
  functions: Map<Symbol, LiveFunction>;
}

function isUnwindOrDebug(block: Block): boolean {
  return block.section.lifetime === MemLifetime.NoAlloc || UNWIND_SECTION.test(block.section.name);
}

function analyse(graph: LinkGraph, names: SplitNames): Facts {
  const blockClass = new Map<Block, Class>();
  const blockKey = new Map<Block, string>();
  const pointedAtFromWritable = new Set<Block>();
  for (const section of graph.sections()) {
    if (TLS_SECTION.test(section.name)) {
      throw new JITLinkError('UnsupportedFeature', `a replaceable object cannot have thread-local data yet`, {
        file: graph.name,
        section: section.name,
      });
    }
    let n = 0;
    for (const block of section.blocks) {
      blockKey.set(block, `${section.name}#${n++}`);
      if (section.prot & MemProt.Write && section.lifetime !== MemLifetime.NoAlloc) {
        for (let i = 0; i < block.edgeCount; i++) {
          const t = block.edgeTarget(i);
          if (t.isDefined()) pointedAtFromWritable.add(t.block);
        }
      }
    }
  }
  for (const section of graph.sections()) {
    for (const block of section.blocks) {
      let cls: Class;
      if (section.prot & MemProt.Exec || isUnwindOrDebug(block)) cls = Class.Code;
      else if (section.prot & MemProt.Write) cls = Class.Data;
      else cls = pointedAtFromWritable.has(block) ? Class.Data : Class.Code;
      blockClass.set(block, cls);
    }
  }
  // Read-only blocks with a global name are data: every version binds to the first one's.
  for (const section of graph.sections()) {
    for (const sym of section.symbols) {
      if (sym.name !== undefined && sym.scope !== Scope.Local && !(section.prot & MemProt.Exec) && !isUnwindOrDebug(sym.block)) {
        blockClass.set(sym.block, Class.Data);
      }
    }
  }
  const functions = new Map<Symbol, LiveFunction>();
  const used = new Set<string>();
  for (const section of graph.sections()) {
    for (const sym of section.symbols) {
      if (!sym.callable || sym.name === undefined || blockClass.get(sym.block) !== Class.Code) continue;
      let name = sym.name;
      // Two statics of one name (rare in one object): keep them apart.
      for (let k = 2; used.has(name); k++) name = `${sym.name}#${k}`;
      used.add(name);
      const global = sym.scope !== Scope.Local;
      functions.set(sym, {
        name,
        stubName: global ? sym.name : `__live.${names.object}.${name}`,
        implName: `__live.${names.object}.v${names.version}.${name}`,
        scope: global ? sym.scope : Scope.Hidden,
        linkage: sym.linkage,
      });
    }
  }
  return { blockClass, blockKey, functions };
}

/** Whether an edge from `source` to a function's start goes through the function's stub. */
function redirects(source: Block, addend: number): boolean {
  // PC-relative x86-64 references carry the field's distance to the instruction's end (-4 to -8).
  return !isUnwindOrDebug(source) && addend <= 0 && addend >= -8;
}

function symbolAlignment(sym: Symbol): number {
  const block = sym.block;
  const at = block.alignmentOffset + sym.offset;
  let alignment = block.alignment;
  while (alignment > 1 && at % alignment !== 0) alignment /= 2;
  return alignment;
}

/**
 * Cuts `graph` (one version of a replaceable object) down to `half`, renaming
 * and redirecting as described above. `earlier` is what earlier versions
 * kept (undefined for the first version). Throws DataLayoutChanged when the
 * version cannot bind to the kept data.
 */
export function splitVersion(
  graph: LinkGraph,
  half: Half,
  names: SplitNames,
  earlier: KeptData | undefined,
  options: SplitOptions = {},
): VersionLayout {
  const facts = analyse(graph, names);
  const { blockClass, blockKey, functions } = facts;
  const keep = half === 'code' ? Class.Code : Class.Data;
  const obj = names.object;
  /** Kept blocks this half links as images of their new content (fresh data), rather than dropping them. */
  const linksImages = keep === Class.Data && options.freshData === true;

  // 1. Data layout: which blocks reuse earlier storage, and each data symbol's stable name.
  const kept: KeptData = { symbols: new Map(earlier?.symbols), blocks: new Map(earlier?.blocks) };
  const boundToEarlier = new Set<string>();
  const boundBlocks = new Set<Block>();
  const stableName = new Map<Symbol, string>();
  const generationOf = new Map<Block, number>();
  const dataBlocks = [...blockClass].filter(([, c]) => c === Class.Data).map(([b]) => b);
  for (const block of dataBlocks) {
    const named = [...block.section.symbols].filter((s) => s.block === block && s.name !== undefined);
    for (const s of named) stableName.set(s, s.scope === Scope.Local ? `__live.${obj}.${s.name}` : s.name!);
    const key = blockKey.get(block)!;
    const before = earlier?.blocks.get(key);
    const layout: KeptBlock = {
      size: block.size,
      alignment: block.alignment,
      generation: names.version,
      symbols: new Map(named.map((s) => [stableName.get(s)!, { offset: s.offset, size: s.size }])),
    };
    const sameLayout =
      before !== undefined &&
      before.size === layout.size &&
      before.alignment === layout.alignment &&
      before.symbols.size === layout.symbols.size &&
      [...layout.symbols].every(([n, f]) => before.symbols.get(n)?.offset === f.offset && before.symbols.get(n)?.size === f.size);
    if (sameLayout) {
      boundBlocks.add(block);
      generationOf.set(block, before.generation);
    } else {
      generationOf.set(block, names.version);
      kept.blocks.set(key, layout);
    }
    for (const s of named) {
      const stable = stableName.get(s)!;
      const was = earlier?.symbols.get(stable);
      const now = { size: s.size, alignment: symbolAlignment(s) };
      if (was !== undefined) {
        if (was.size !== now.size) {
          throw new DataLayoutChanged(graph.name, `${s.name} changed size (${was.size} -> ${now.size} bytes)`);
        }
        if (was.alignment !== now.alignment) {
          throw new DataLayoutChanged(graph.name, `${s.name} changed alignment (${was.alignment} -> ${now.alignment})`);
        }
        boundToEarlier.add(stable);
      } else {
        kept.symbols.set(stable, now);
      }
    }
  }
  const anchorName = (block: Block, offset: number) =>
    `__live.${obj}.${blockKey.get(block)}@${generationOf.get(block)}+${offset}`;

  // Section-relative references into a block whose layout changed cannot find their data again.
  if (earlier !== undefined) {
    for (const block of blockClass.keys()) {
      for (let i = 0; i < block.edgeCount; i++) {
        const t = block.edgeTarget(i);
        if (!t.isDefined() || t.name !== undefined || blockClass.get(t.block) !== Class.Data || boundBlocks.has(t.block)) continue;
        if (earlier.blocks.has(blockKey.get(t.block)!)) {
          throw new DataLayoutChanged(
            graph.name,
            `the layout of ${t.block.section.name} changed and code refers into it by offset (statics): build with -fdata-sections to keep statics apart`,
          );
        }
      }
    }
  }

  // 2. The name each referenced symbol is known by outside its half.
  const externals = new Map<string, Symbol>();
  const external = (name: string): Symbol =>
    externals.get(name) ?? graph.findExternalSymbol(name) ?? externals.set(name, graph.addExternalSymbol(name, 0)).get(name)!;
  const crossName = (t: Symbol): string => {
    const fn = functions.get(t);
    if (fn !== undefined) return fn.implName;
    if (blockClass.get(t.block) === Class.Data) return stableName.get(t) ?? anchorName(t.block, t.offset);
    return `__live.${obj}.v${names.version}.${blockKey.get(t.block)}+${t.offset}${t.name !== undefined ? '.' + t.name : ''}`;
  };

  // 3. Retarget the kept blocks' edges: functions through stubs; the other half, and kept data, by name.
  const exported = new Map<Symbol, string>();
  for (const [block, cls] of blockClass) {
    if (cls !== keep || (boundBlocks.has(block) && !linksImages)) continue;
    for (let i = 0; i < block.edgeCount; i++) {
      const t = block.edgeTarget(i);
      if (!t.isDefined()) continue;
      const fn = functions.get(t);
      if (fn !== undefined && redirects(block, block.edgeAddend(i))) {
        block.setEdgeTarget(i, external(fn.stubName));
        continue;
      }
      const there = blockClass.get(t.block)!;
      const bound = boundBlocks.has(t.block) || (stableName.has(t) && boundToEarlier.has(stableName.get(t)!));
      if (there !== keep || bound) {
        block.setEdgeTarget(i, external(crossName(t)));
      }
    }
  }
  // What the other half (or a later version) refers to by name: export it from here.
  for (const [block, cls] of blockClass) {
    if (cls === keep) continue;
    for (let i = 0; i < block.edgeCount; i++) {
      const t = block.edgeTarget(i);
      if (!t.isDefined() || blockClass.get(t.block) !== keep) continue;
      if (functions.has(t) && redirects(block, block.edgeAddend(i))) continue;
      exported.set(t, crossName(t));
    }
  }
  if (keep === Class.Data) {
    // Every data symbol and block start, so that later versions can bind to them.
    const planned = new Set(exported.values());
    for (const block of dataBlocks) {
      if (boundBlocks.has(block)) continue;
      for (const s of block.section.symbols) if (s.block === block && stableName.has(s)) exported.set(s, stableName.get(s)!);
      const anchor = anchorName(block, 0);
      if (!planned.has(anchor)) graph.addDefinedSymbol(block, 0, anchor, 0, Linkage.Strong, Scope.Hidden, false, false);
    }
  }

  // 4. Name the exported symbols; rename the functions to their implementations.
  for (const [sym, name] of exported) {
    if (boundToEarlier.has(name)) continue;
    if (sym.name === name) continue;
    sym.name = name;
    if (sym.scope === Scope.Local) sym.scope = Scope.Hidden;
  }
  for (const [sym, fn] of functions) {
    if (blockClass.get(sym.block) !== keep) continue;
    sym.name = fn.implName;
    sym.scope = Scope.Hidden;
    sym.live = true;
  }

  // 5. Drop the other half, and data bound to earlier storage (or keep it as an image, nameless but for its image name).
  const images: VersionLayout['images'] = [];
  for (const block of linksImages ? boundBlocks : []) {
    for (const sym of [...block.section.symbols]) if (sym.block === block) graph.removeDefinedSymbol(sym);
    const image = `__live.${obj}.v${names.version}.image.${blockKey.get(block)}`;
    graph.addDefinedSymbol(block, 0, image, block.size, Linkage.Strong, Scope.Hidden, false, true);
    images.push({ image, storage: anchorName(block, 0) });
  }
  for (const section of [...graph.sections()]) {
    const drop = [...section.blocks].filter((b) => blockClass.get(b) !== keep || (boundBlocks.has(b) && !linksImages));
    if (drop.length === 0) continue;
    const dropping = new Set(drop);
    for (const sym of [...section.symbols]) if (dropping.has(sym.block)) graph.removeDefinedSymbol(sym);
    for (const block of drop) graph.removeBlock(block);
  }
  // Named data that binds to earlier storage: the symbol goes, its references went to the external above.
  if (keep === Class.Data) {
    for (const section of graph.sections()) {
      for (const sym of [...section.symbols]) {
        const stable = stableName.get(sym);
        if (stable !== undefined && boundToEarlier.has(stable)) graph.removeDefinedSymbol(sym);
      }
    }
  }
  return { functions: new Map([...functions.values()].map((f) => [f.name, f])), kept, boundToEarlier, images };
}
