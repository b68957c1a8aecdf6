// A digest of what a set of graphs holds (each block's placement, content and
// edges, each section's symbols), for telling whether two builds of the passes
// leave the same graphs. Blocks are taken in address order and symbols sorted,
// so the order the passes made them in does not count.
import { createHash } from 'node:crypto';

/** Where a symbol is: its section and address (and name) if defined, else its name. */
function whereIs(s) {
  return s.isDefined()
    ? `${s.block.section.name}@${s.address.toString(16)}${s.name ? `:${s.name}` : ''}`
    : `external:${s.name}`;
}

/** Counts of blocks, edges and symbols, and a SHA-256 digest over them. */
export function graphsDigest(graphs) {
  const hash = createHash('sha256');
  let blocks = 0;
  let edges = 0;
  let symbols = 0;
  for (const g of graphs) {
    hash.update(`graph ${g.name}\n`);
    for (const section of g.sectionList()) {
      hash.update(`section ${section.name}\n`);
      for (const b of [...section.blocks].sort((x, y) => x.address - y.address)) {
        blocks++;
        const content = b.isZeroFill()
          ? 'zero-fill'
          : createHash('sha1').update(b.getContent()).digest('hex');
        hash.update(
          `block ${b.address.toString(16)} ${b.size} ${b.alignment} ${b.alignmentOffset} ${content}\n`,
        );
        for (let i = 0; i < b.edgeCount; i++, edges++)
          hash.update(
            `edge ${b.edgeKind(i)} ${b.edgeOffset(i)} ${whereIs(b.edgeTarget(i))} ${b.edgeAddend(i)}\n`,
          );
      }
      const lines = [...section.symbols]
        .map(
          (s) => `symbol ${whereIs(s)} ${s.offset} ${s.size} ${s.linkage} ${s.scope} ${s.callable} ${s.live}`,
        )
        .sort();
      symbols += lines.length;
      hash.update(`${lines.join('\n')}\n`);
    }
  }
  return { blocks, edges, symbols, digest: hash.digest('hex') };
}
