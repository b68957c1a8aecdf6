import {
  EdgeKinds,
  edgeKindNamer,
  LinkGraph,
  writeAddress64,
  JITLinkError,
  type Block,
  type Edge,
  type LinkTarget,
} from '../src/index.js';

/** Edge kinds of a toy architecture used by these tests. */
export const Pointer64 = EdgeKinds.FirstRelocation;
export const Delta32 = EdgeKinds.FirstRelocation + 1;
export const toyKindName = edgeKindNamer(['Pointer64', 'Delta32']);

export const toyTarget: LinkTarget = {
  applyFixup(_graph, block: Block, edge: Edge, _content, view) {
    const target = edge.target.address;
    const fixup = block.address + edge.offset;
    if (edge.kind === Pointer64) writeAddress64(view, edge.offset, target + edge.addend, true);
    else if (edge.kind === Delta32) {
      const value = target - fixup + edge.addend;
      if (value < -0x8000_0000 || value > 0x7fff_ffff) throw new JITLinkError('FixupOutOfRange', 'Delta32 out of range');
      view.setInt32(edge.offset, value, true);
    } else throw new JITLinkError('UnsupportedRelocation', `kind ${edge.kind}`);
  },
};

export function toyGraph(name = 'toy.o'): LinkGraph {
  return new LinkGraph({
    name,
    triple: 'x86_64-unknown-linux-gnu',
    pointerSize: 8,
    endianness: 'little',
    getEdgeKindName: toyKindName,
  });
}
