/**
 * What every architecture's COFF relocation mapping needs of the container:
 * the printable names of its IMAGE_REL_<arch>_* types, the errors for a type
 * it refuses and for bytes outside the patched section, the implicit addend
 * (COFF relocations carry none: it is the value already in the patched
 * bytes, little-endian), and the pre-fixup lowering of COFF's image-relative,
 * section-relative and section-number references once addresses are known.
 * The meaning of each relocation stays in the architecture package: it
 * chooses the edge kinds, these only read, report and rewrite by its table.
 */
import { JITLinkError, relocationTypeNamer, type Block, type EdgeKind, type LinkGraph, type Symbol } from '@jitlink/core';
import type { CoffRelocation, CoffRelocationSite } from './arch-support.js';
import { IMAGE_BASE_SYMBOL_NAME } from './image-base.js';

/** An architecture's relocation types, for its `CoffArchSupport` and its errors. */
export interface CoffRelocationTypes {
  /** "IMAGE_REL_AMD64_REL32" for 4; "unknown relocation type N" outside the table. */
  name(type: number): string;
  /** Throws UnsupportedRelocation: "<type> is not supported: <reason>", naming the file, section and entry. */
  unsupported(rel: CoffRelocation, site: CoffRelocationSite, reason: string): never;
  /**
   * Throws UnsupportedRelocation for a reference through an import address
   * table entry (`site.throughImportTable`) the architecture cannot make:
   * "<type> to __imp_<target>: <supported>".
   */
  unsupportedThroughImportTable(
    rel: CoffRelocation,
    target: Symbol,
    site: CoffRelocationSite,
    supported: string,
  ): never;
  /**
   * The content of the patched block, once the `width` bytes at
   * `site.offsetInBlock` are known to lie in it (a MalformedObject error
   * otherwise).
   */
  field(rel: CoffRelocation, site: CoffRelocationSite, width: number): DataView;
}

/** Where a relocation entry is, for errors. */
const entryOf = (site: CoffRelocationSite) => ({
  file: site.file,
  section: site.section,
  offset: site.entryOffset,
});

/**
 * The names and errors of the relocation types in `numbers` (the PE/COFF
 * specification's names without `prefix`, e.g. `{ ABSOLUTE: 0, ADDR64: 1, … }`
 * with prefix "IMAGE_REL_AMD64_"). The functions do not rely on `this`: pass
 * `types.name` as `CoffArchSupport.relocationTypeName`.
 */
export function coffRelocationTypes(
  prefix: string,
  numbers: Readonly<Record<string, number>>,
): CoffRelocationTypes {
  const name = relocationTypeNamer(prefix, numbers);
  return {
    name,
    unsupported(rel, site, reason) {
      throw new JITLinkError(
        'UnsupportedRelocation',
        `${name(rel.type)} is not supported: ${reason}`,
        entryOf(site),
      );
    },
    unsupportedThroughImportTable(rel, target, site, supported) {
      throw new JITLinkError(
        'UnsupportedRelocation',
        `${name(rel.type)} to __imp_${target.name ?? ''}: ${supported}`,
        entryOf(site),
      );
    },
    field(rel, site, width) {
      const { block, offsetInBlock: offset } = site;
      if (offset < 0 || offset + width > block.size) {
        throw new JITLinkError(
          'MalformedObject',
          `${name(rel.type)} at offset 0x${rel.offset.toString(16)} patches ${width} bytes outside ${site.section} (size 0x${block.size.toString(16)})`,
          entryOf(site),
        );
      }
      const content = block.getContent();
      return new DataView(content.buffer, content.byteOffset, content.byteLength);
    },
  };
}

/**
 * The implicit addend in the `width` bytes at `offset` of `view`
 * (little-endian): 8 bytes signed; 4 bytes signed (an offset), or unsigned
 * with `unsigned` (an address: ADDR32).
 */
export function readCoffImplicitAddend(
  view: DataView,
  offset: number,
  width: 4 | 8,
  unsigned = false,
): number {
  if (width === 8) return view.getUint32(offset, true) + view.getInt32(offset + 4, true) * 0x1_0000_0000;
  return unsigned ? view.getUint32(offset, true) : view.getInt32(offset, true);
}

/** An architecture's edge kinds for COFF's references that need addresses (see `createCoffEdgeLowering`). */
export interface CoffLoweredKinds {
  /** ADDR32NB's kind (T − ImageBase + A), and the kind that writes T + A once the image base is folded into A. */
  readonly imageRelative: readonly [EdgeKind, EdgeKind];
  /** Each SECREL kind (T − start of T's section + A), and the kind it becomes with that start folded into A. */
  readonly sectionRelative: ReadonlyMap<EdgeKind, EdgeKind>;
  /** SECTION's kind: T's 1-based section number is written into its 2 bytes, and the edge removed. */
  readonly sectionIndex16: EdgeKind;
}

function imageBase(graph: LinkGraph): number {
  for (const sym of graph.absoluteSymbols()) if (sym.name === IMAGE_BASE_SYMBOL_NAME) return sym.address;
  throw new JITLinkError(
    'LinkFailed',
    `image-relative relocations need ${IMAGE_BASE_SYMBOL_NAME}, which the COFF backend defines`,
    {
      file: graph.name,
    },
  );
}

/**
 * A pre-fixup pass for the architecture's default passes: image-relative and
 * section-relative edges become the kinds that write them, the base folded
 * into the addend (`__ImageBase`, which the backend defines after
 * allocation; the start of the target's block, its section in the object);
 * section numbers are written and their edges removed.
 */
export function createCoffEdgeLowering(kinds: CoffLoweredKinds): (graph: LinkGraph) => void {
  const [imageRelative, imageRelativeBecomes] = kinds.imageRelative;
  return (graph) => {
    let base: number | undefined;
    const blocks: Block[] = graph.blockList();
    const sectionNumbers = new Map(graph.sectionList().map((s, i) => [s, i + 1]));
    for (const block of blocks) {
      for (let i = 0; i < block.edgeCount; i++) {
        const kind = block.edgeKind(i);
        const sectionRelative = kinds.sectionRelative.get(kind);
        if (kind === imageRelative) {
          base ??= imageBase(graph);
          block.setEdgeKind(i, imageRelativeBecomes);
          block.setEdgeAddend(i, block.edgeAddend(i) - base);
        } else if (sectionRelative !== undefined) {
          const target = block.edgeTarget(i);
          if (!target.isDefined()) {
            throw new JITLinkError(
              'LinkFailed',
              `section-relative reference to ${target.describe()}, which is not defined in this object`,
              {
                file: graph.name,
                section: block.section.name,
              },
            );
          }
          block.setEdgeKind(i, sectionRelative);
          block.setEdgeAddend(i, block.edgeAddend(i) - target.block.address);
        } else if (kind === kinds.sectionIndex16) {
          const target = block.edgeTarget(i);
          const number = target.isDefined() ? (sectionNumbers.get(target.block.section) ?? 0) : 0;
          const content = block.getMutableContent(graph);
          content[block.edgeOffset(i)] = number & 0xff;
          content[block.edgeOffset(i) + 1] = number >> 8;
          block.removeEdgeAt(i);
          i--;
        }
      }
    }
  };
}
