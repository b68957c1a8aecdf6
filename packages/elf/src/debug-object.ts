/**
 * Debug objects for debuggers of JIT'd code (the GDB JIT interface): a copy
 * of each object file a graph was built from, with the `sh_addr` of every
 * section that was loaded set to where its block now lives. The copy stays a
 * relocatable object; a debugger reading it places each section at its
 * `sh_addr`, so symbols (section-relative in ET_REL files) land on their
 * final addresses, and it applies the `.rela.debug_*` relocations itself
 * against those addresses, so the DWARF needs no rewriting here. This is
 * what LLVM's ELF debug-object plugin registers, too.
 *
 * Platform-neutral: bytes only; the executor hands them to the debugger.
 */
import { JITLinkError, type LinkGraph } from '@jitlink/core';
import { getElfGraphInfo, type ElfSourceObject } from './builder.js';
import { openElf } from './read/header.js';

export interface ElfDebugObject {
  /** The object file's name (the graph's name, or an archive member's). */
  name: string;
  /** The object with its loaded sections' addresses set. */
  bytes: Uint8Array;
}

/**
 * The debug objects of a graph after allocation: one per object file it was
 * built from (several when graphs were merged); none for a graph that ELF
 * did not build. Sections whose block was dead-stripped keep their address.
 */
export function writeElfDebugObjects(graph: LinkGraph): ElfDebugObject[] {
  const info = getElfGraphInfo(graph);
  if (info === undefined) return [];
  return info.sourceObjects.map((source) => ({ name: source.name, bytes: withLoadAddresses(source) }));
}

/** A copy of `source.bytes` whose loaded sections' headers hold their final addresses. */
export function withLoadAddresses(source: ElfSourceObject): Uint8Array {
  const bytes = source.bytes.slice();
  const { elf } = openElf(bytes, source.name);
  const { header } = elf;
  const is64 = header.bits === 64;
  const little = header.endianness === 'little';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const addressField = is64 ? 16 : 12;
  const addressWidth = is64 ? 8 : 4;
  const blocks = source.blocksByIndex;
  for (let index = 1; index < blocks.length; index++) {
    const block = blocks[index];
    // A block removed by dead-stripping has no address of its own.
    if (block === undefined || !block.section.blocks.has(block)) continue;
    if (index >= header.sectionCount) {
      throw new JITLinkError('MalformedObject', `section #${index} is beyond the section header table`, { file: source.name, offset: header.sectionHeaderOffset });
    }
    const at = header.sectionHeaderOffset + index * header.sectionHeaderEntrySize + addressField;
    if (at + addressWidth > bytes.length) {
      throw new JITLinkError('MalformedObject', `section #${index}'s header is outside the file`, { file: source.name, offset: at });
    }
    const address = BigInt.asUintN(64, BigInt(block.address));
    if (is64) view.setBigUint64(at, address, little);
    else if (address > 0xffffffffn) {
      throw new JITLinkError('AddressNotRepresentable', `section #${index} is loaded at 0x${address.toString(16)}, beyond a 32-bit object's addresses`, { file: source.name, offset: at });
    } else view.setUint32(at, Number(address), little);
  }
  return bytes;
}
