import { createElfBackend } from '@jitlink/elf';
import { x86_64Elf } from '../src/elf/index.js';
import { x86_64InstructionDecoder, x86_64Tools, X86_64EdgeKinds as K } from '../src/index.js';
import { codeBlock, linkOk, x86Graph } from './helpers.js';

const FAR = 0x7f12_3456_7000; // out of branch range of the default memory at 0x10000

describe('x86_64Tools', () => {
  it('finds the GOT entry and the stub built for each target', async () => {
    const graph = x86Graph();
    const { block } = codeBlock(graph, new Array(16).fill(0));
    const data = graph.addExternalSymbol('data', 0);
    const fn = graph.addExternalSymbol('fn', 0);
    block.addEdge(K.RequestGOTAndTransformToDelta32, 0, data, -4);
    block.addEdge(K.BranchPCRel32ToPtrJumpStubBypassable, 8, fn, -4);
    await linkOk(graph, { symbols: new Map([['data', FAR], ['fn', FAR + 0x40]]) });

    const find = x86_64Tools.findTableEntry!;
    const dataEntry = find(graph, 'got', 'data')!;
    // The fixed-up code addresses what the lookup found.
    expect(block.edges[0]!.target).toBe(dataEntry);
    const stub = find(graph, 'stub', 'fn')!;
    expect(block.edges[1]!.target).toBe(stub);
    // The stub jumps through fn's own GOT entry, which is not data's.
    expect(find(graph, 'got', 'fn')).not.toBe(dataEntry);
    expect(find(graph, 'stub', 'data')).toBeUndefined();
    expect(find(graph, 'got', 'absent')).toBeUndefined();
  });

  it('gives the graph format of x86-64 triples and refuses others', () => {
    expect(x86_64Tools.graphFormat!('x86_64-unknown-linux-gnu')).toMatchObject({ pointerSize: 8, endianness: 'little' });
    expect(x86_64Tools.graphFormat!('x86_64-unknown-linux-gnu').getEdgeKindName(K.Delta32)).toBe('Delta32');
    expect(() => x86_64Tools.graphFormat!('aarch64-unknown-linux-gnu')).toThrow('not an x86-64 triple');
  });

  it('are the ELF backend\'s', () => {
    const backend = createElfBackend(x86_64Elf);
    expect(backend.instructionDecoder).toBe(x86_64InstructionDecoder);
    expect(backend.findTableEntry).toBe(x86_64Tools.findTableEntry);
    expect(backend.addSelfRelocations).toBe(x86_64Tools.addSelfRelocations);
    expect(backend.graphFormat).toBe(x86_64Tools.graphFormat);
  });
});
