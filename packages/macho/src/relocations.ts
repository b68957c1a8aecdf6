/**
 * What every architecture's MachO relocation mapping needs of the container:
 * the printable names of its relocation types, the UnsupportedRelocation
 * error for a type or field combination it does not handle, and the
 * implicit addend (MachO relocations carry none: it is the value already in
 * the patched bytes, little-endian). The meaning of each relocation stays in
 * the architecture package; these only read and report.
 */
import { JITLinkError } from '@jitlink/core';
import type { MachORelocation, MachORelocationContext } from './arch-support.js';

/** An architecture's relocation types, for its `MachOArchSupport` and its errors. */
export interface MachORelocationTypes {
  /** "X86_64_RELOC_BRANCH" for 2; "unknown relocation type N" outside the table. */
  name(type: number): string;
  /** The type and the fields that select its meaning: "X86_64_RELOC_BRANCH (pcrel=1, length=2, extern=1)". */
  describe(rel: MachORelocation): string;
  /** Throws UnsupportedRelocation for `rel`, naming the file, the patched section and the entry's offset. */
  unsupported(rel: MachORelocation, ctx: MachORelocationContext): never;
}

/**
 * The names and errors of the relocation types in `numbers` (the keys of
 * `<mach-o/<arch>/reloc.h>` without `prefix`, e.g. `{ UNSIGNED: 0, … }` with
 * prefix "ARM64_RELOC_"). The functions do not rely on `this`: pass
 * `types.name` as `MachOArchSupport.relocationTypeName`.
 */
export function machoRelocationTypes(prefix: string, numbers: Readonly<Record<string, number>>): MachORelocationTypes {
  const names: string[] = [];
  for (const [key, value] of Object.entries(numbers)) names[value] = `${prefix}${key}`;
  const name = (type: number): string => names[type] ?? `unknown relocation type ${type}`;
  const describe = (rel: MachORelocation): string =>
    `${name(rel.type)} (pcrel=${rel.pcrel ? 1 : 0}, length=${rel.length}, extern=${rel.extern ? 1 : 0})`;
  const unsupported = (rel: MachORelocation, ctx: MachORelocationContext): never => {
    throw new JITLinkError('UnsupportedRelocation', `unsupported relocation ${describe(rel)} at offset 0x${rel.address.toString(16)} of ${ctx.sectionName}`, {
      file: ctx.file,
      section: ctx.sectionName,
      offset: rel.entryOffset,
    });
  };
  return { name, describe, unsupported };
}

export interface ImplicitAddendOptions {
  /** Read a 4-byte field as a signed offset (default: an unsigned address). 8-byte fields are always signed. */
  readonly signed?: boolean;
  /**
   * Accept an 8-byte value beyond 2^53 of zero when a double holds it exactly
   * (arm64 Darwin's C++ type_info names carry 2^63), for an architecture whose
   * 64-bit fixups add exactly; by default such a value is an error.
   */
  readonly exactDoubles?: boolean;
}

/**
 * The implicit addend of `rel`: the little-endian value of the 2^length bytes
 * (4 or 8; the builder has checked they lie in `ctx.block`) at
 * `ctx.offsetInBlock`. An 8-byte value a number cannot hold exactly is a
 * MalformedObject error (`ctx.error`).
 */
export function readMachOImplicitAddend(ctx: MachORelocationContext, rel: MachORelocation, options: ImplicitAddendOptions = {}): number {
  const content = ctx.block.getContent();
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const offset = ctx.offsetInBlock;
  if (rel.length !== 2 && rel.length !== 3) {
    // The architecture checks a relocation's length before it reads its addend.
    throw new JITLinkError('InvalidArgument', `no implicit addend is read from a ${2 ** rel.length}-byte field (only 4 or 8)`, {
      file: ctx.file,
      section: ctx.sectionName,
      offset: rel.entryOffset,
    });
  }
  if (rel.length === 2) return options.signed ? view.getInt32(offset, true) : view.getUint32(offset, true);
  const stored = view.getBigInt64(offset, true);
  const value = Number(stored);
  const exact = options.exactDoubles
    ? BigInt(value) === stored
    : stored <= BigInt(Number.MAX_SAFE_INTEGER) && stored >= BigInt(Number.MIN_SAFE_INTEGER);
  if (!exact) ctx.error(rel, `implicit addend ${stored} is not representable`);
  return value;
}
