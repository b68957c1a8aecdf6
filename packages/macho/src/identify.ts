/** The MachO format sniffer: thin objects by their header, universal files by the slice chosen. */
import { JITLinkError, type FormatSniffer, type ObjectIdentity } from '@jitlink/core';
import { MH_MAGIC, MH_MAGIC_64, MH_OBJECT } from './constants.js';
import { readMachOHeader } from './read/file.js';
import { isUniversalMachO, machoCpuName, readUniversalSlices, selectUniversalSlice } from './read/universal.js';

function isThinMachO(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  return le === MH_MAGIC || le === MH_MAGIC_64 || be === MH_MAGIC || be === MH_MAGIC_64;
}

function thinIdentity(bytes: Uint8Array, file: string): ObjectIdentity {
  const header = readMachOHeader(bytes, file);
  if (header.fileType !== MH_OBJECT) {
    throw new JITLinkError('UnsupportedFormat', `MachO file type ${header.fileType} is not MH_OBJECT`, { file, offset: 12 });
  }
  const bits = header.is64 ? 64 : 32;
  const endianness = header.le ? 'little' : 'big';
  return { format: 'macho', arch: machoCpuName(header.cpuType), bits, endianness, description: `MachO${bits} ${endianness}-endian object` };
}

export const machoFormatSniffer: FormatSniffer = {
  name: 'macho',
  sniff(bytes, context) {
    const file = context.file ?? '<memory>';
    if (isThinMachO(bytes)) return thinIdentity(bytes, file);
    if (!isUniversalMachO(bytes)) return undefined;
    const chosen = selectUniversalSlice(bytes, file, context.arch);
    const inner = bytes.subarray(chosen.offset, chosen.offset + chosen.size);
    if (!isThinMachO(inner)) {
      throw new JITLinkError('MalformedObject', `universal slice for ${chosen.arch} is not a MachO object`, { file, offset: chosen.offset });
    }
    const identity = thinIdentity(inner, file);
    return {
      ...identity,
      slice: { offset: chosen.offset, size: chosen.size },
      slices: readUniversalSlices(bytes, file).map((s) => ({ arch: s.arch, offset: s.offset, size: s.size })),
    };
  },
};
