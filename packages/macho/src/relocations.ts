/**
 * What every architecture's MachO relocation mapping needs of the container:
 * the printable names of its relocation types; the UnsupportedRelocation
 * error for a type or field combination it does not handle; the implicit
 * addend (MachO relocations carry none: it is the value already in the
 * patched bytes, little-endian); and the SUBTRACTOR + UNSIGNED pair, whose
 * arithmetic MachO defines alike for every architecture. The meaning of each
 * relocation stays in the architecture package: it chooses the edge kinds;
 * these only read, report and pair.
 */
import { JITLinkError, relocationTypeNamer, type EdgeKind, type Symbol } from '@jitlink/core';
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
export function machoRelocationTypes(
  prefix: string,
  numbers: Readonly<Record<string, number>>,
): MachORelocationTypes {
  const name = relocationTypeNamer(prefix, numbers);
  const describe = (rel: MachORelocation): string =>
    `${name(rel.type)} (pcrel=${rel.pcrel ? 1 : 0}, length=${rel.length}, extern=${rel.extern ? 1 : 0})`;
  const unsupported = (rel: MachORelocation, ctx: MachORelocationContext): never => {
    throw new JITLinkError(
      'UnsupportedRelocation',
      `unsupported relocation ${describe(rel)} at offset 0x${rel.address.toString(16)} of ${ctx.sectionName}`,
      {
        file: ctx.file,
        section: ctx.sectionName,
        offset: rel.entryOffset,
      },
    );
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
export function readMachOImplicitAddend(
  ctx: MachORelocationContext,
  rel: MachORelocation,
  options: ImplicitAddendOptions = {},
): number {
  const content = ctx.block.getContent();
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const offset = ctx.offsetInBlock;
  if (rel.length !== 2 && rel.length !== 3) {
    // The architecture checks a relocation's length before it reads its addend.
    throw new JITLinkError(
      'InvalidArgument',
      `no implicit addend is read from a ${2 ** rel.length}-byte field (only 4 or 8)`,
      {
        file: ctx.file,
        section: ctx.sectionName,
        offset: rel.entryOffset,
      },
    );
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

/** A SUBTRACTOR + UNSIGNED pair of an architecture: its type numbers and the kinds it becomes. */
export interface MachOSubtractorPair {
  readonly types: MachORelocationTypes;
  /** The SUBTRACTOR type and the UNSIGNED type that must follow it. */
  readonly subtractor: number;
  readonly unsigned: number;
  /** T − P + A, 4 and 8 bytes: the field is in B's block, the edge targets A. */
  readonly delta32: EdgeKind;
  readonly delta64: EdgeKind;
  /** P − T + A, 4 and 8 bytes: the field is in A's block, the edge targets B. */
  readonly negDelta32: EdgeKind;
  readonly negDelta64: EdgeKind;
  /** How the stored value is read (always signed: it is an offset). */
  readonly addend?: ImplicitAddendOptions;
}

/**
 * SUBTRACTOR (B) at `relocations[index]` followed by UNSIGNED (A) at the same
 * address: the field becomes A − B + stored. One of A and B must lie in the
 * patched block; the edge targets the other (Delta from B's block, NegDelta
 * from A's). Adds the edge and returns 2, the entries consumed; a malformed
 * pair is a MalformedObject error (`ctx.error`).
 */
export function addMachOSubtractorPair(
  relocations: readonly MachORelocation[],
  index: number,
  ctx: MachORelocationContext,
  pair: MachOSubtractorPair,
): number {
  const { types } = pair;
  const name = types.name(pair.subtractor);
  const sub = relocations[index]!;
  const next = relocations[index + 1];
  if (next === undefined || next.type !== pair.unsigned || next.address !== sub.address) {
    ctx.error(sub, `${name} is not followed by its ${types.name(pair.unsigned)} partner at the same address`);
  }
  if (sub.pcrel || next.pcrel || (sub.length !== 2 && sub.length !== 3) || next.length !== sub.length) {
    ctx.error(
      sub,
      `${name} pair has mismatched or pc-relative fields (${types.describe(sub)}, ${types.describe(next)})`,
    );
  }
  const is64 = sub.length === 3;
  let stored = readMachOImplicitAddend(ctx, sub, { ...pair.addend, signed: true });
  if (!sub.extern) ctx.error(sub, `${name} must be extern`);
  const from = ctx.symbolByIndex(sub.symbolNumber, sub);
  let to: Symbol;
  if (next.extern) to = ctx.symbolByIndex(next.symbolNumber, next);
  else {
    // Without a symbol for A, the stored value holds A's address plus the addend: find A by it.
    to = ctx.symbolByAddress(next.symbolNumber, stored, next);
    stored -= to.address;
  }
  const P = ctx.fixupAddress;
  const block = ctx.block;
  if (from.isDefined() && from.block === block) {
    block.appendEdge(is64 ? pair.delta64 : pair.delta32, ctx.offsetInBlock, to, stored + (P - from.address));
  } else if (to.isDefined() && to.block === block) {
    block.appendEdge(
      is64 ? pair.negDelta64 : pair.negDelta32,
      ctx.offsetInBlock,
      from,
      stored - (P - to.address),
    );
  } else {
    ctx.error(
      sub,
      `${name} must fix up a field in the block of one of its symbols (${from.describe()}, ${to.describe()})`,
    );
  }
  return 2;
}
