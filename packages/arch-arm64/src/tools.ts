/**
 * What AArch64 supplies to tools through its backends (see `BackendTools` in
 * @jitlink/core): graph format, instruction decoder and GOT/stub lookup.
 * AArch64 objects carry relocations for every self-reference, so there is no
 * -add-self-relocations pass.
 */
import { JITLinkError, type BackendTools } from '@jitlink/core';
import { aarch64InstructionDecoder } from './decode.js';
import { AARCH64_POINTER_SIZE, getAArch64EdgeKindName } from './edge-kinds.js';
import { aarch64TableSymbols } from './got-plt.js';
import { createAArch64RedirectableStub } from './redirectable-stub.js';

export const aarch64Tools: BackendTools = {
  graphFormat(triple) {
    const big = triple.startsWith('aarch64_be');
    if (!big && !triple.startsWith('aarch64') && !triple.startsWith('arm64')) {
      throw new JITLinkError('UnsupportedArchitecture', `${triple} is not an AArch64 triple`);
    }
    return { pointerSize: AARCH64_POINTER_SIZE, endianness: big ? 'big' : 'little', getEdgeKindName: getAArch64EdgeKindName };
  },
  instructionDecoder: aarch64InstructionDecoder,
  findTableEntry: (graph, kind, targetName) => aarch64TableSymbols(graph)[kind].get(targetName),
  createRedirectableStub: createAArch64RedirectableStub,
};
