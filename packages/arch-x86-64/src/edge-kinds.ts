/**
 * x86-64 edge kinds, numbered from core's `EdgeKinds.FirstRelocation`.
 *
 * Notation: T = target symbol address, P = fixup address (block address +
 * edge offset), A = edge addend, GOT = address of the graph's GOT base
 * (`_GLOBAL_OFFSET_TABLE_`), Z = size of the target symbol.
 *
 * Convention for PC-relative 32-bit fields: the `Delta*` kinds are the plain
 * ELF formula T - P + A (so an ELF R_X86_64_PC32 keeps its usual -4 addend).
 * The instruction-aware kinds (`PCRel32`, `BranchPCRel32*`, `PCRel32GOTLoad*`)
 * measure from the end of the 4-byte field, T - (P + 4) + A, so that for a
 * displacement that ends its instruction the addend is 0; ELF mapping adds 4
 * to the r_addend of R_X86_64_PLT32 / GOTPCRELX / REX_GOTPCRELX. Relaxation
 * relies on that: it only rewrites instructions whose addend is 0.
 */
import { EdgeKinds, edgeKindNamer, type EdgeKind, type EdgeKindNamer } from '@jitlink/core';

const F = EdgeKinds.FirstRelocation;

export const X86_64EdgeKinds = {
  /** T + A, written as 64 bits. */
  Pointer64: F,
  /** T + A, must fit uint32. */
  Pointer32: F + 1,
  /** T + A, must fit int32 (sign-extended by the instruction). */
  Pointer32Signed: F + 2,
  /** T + A, must fit 16 bits (int16 or uint16, as GNU ld's bitfield check). */
  Pointer16: F + 3,
  /** T + A, must fit 8 bits (int8 or uint8). */
  Pointer8: F + 4,
  /** T - P + A, 64 bits. */
  Delta64: F + 5,
  /** T - P + A, must fit int32. */
  Delta32: F + 6,
  /** T - P + A, must fit int16. */
  Delta16: F + 7,
  /** T - P + A, must fit int8. */
  Delta8: F + 8,
  /** P - T + A, 64 bits. */
  NegDelta64: F + 9,
  /** P - T + A, must fit int32. */
  NegDelta32: F + 10,
  /** T - GOT + A, 64 bits. */
  Delta64FromGOT: F + 11,
  /** Z + A (size of the target symbol), 64 bits. */
  Size64: F + 12,
  /** Z + A (size of the target symbol), must fit uint32. */
  Size32: F + 13,
  /** T - (P + 4) + A, must fit int32: a RIP-relative data displacement. */
  PCRel32: F + 14,
  /** T - (P + 4) + A, must fit int32: the displacement of a call or jmp. */
  BranchPCRel32: F + 15,
  /** T - (P + 4) + A, must fit int32, where T is a pointer jump stub that must not be bypassed. */
  BranchPCRel32ToPtrJumpStub: F + 16,
  /**
   * T - (P + 4) + A, must fit int32. Before the GOT/PLT pass T is the real
   * callee; the pass points external and absolute callees at a jump stub, and
   * relaxation bypasses the stub when the callee is within int32 range.
   */
  BranchPCRel32ToPtrJumpStubBypassable: F + 17,
  /** Requests a GOT entry for T, then becomes Delta32 to the entry: GOTentry - P + A. */
  RequestGOTAndTransformToDelta32: F + 18,
  /** Requests a GOT entry for T, then becomes Delta64 to the entry: GOTentry - P + A. */
  RequestGOTAndTransformToDelta64: F + 19,
  /** Requests a GOT entry for T, then becomes Delta64FromGOT to the entry: GOTentry - GOT + A. */
  RequestGOTAndTransformToDelta64FromGOT: F + 20,
  /**
   * T - (P + 4) + A, must fit int32, where T is a GOT entry loaded by an
   * instruction without a REX prefix (mov, call *, jmp *, ...). Relaxable.
   */
  PCRel32GOTLoadRelaxable: F + 21,
  /** As PCRel32GOTLoadRelaxable, for an instruction with a REX prefix (only mov is relaxed). */
  PCRel32GOTLoadREXRelaxable: F + 22,
  /** Requests a GOT entry for T, then becomes PCRel32GOTLoadRelaxable to the entry. */
  RequestGOTAndTransformToPCRel32GOTLoadRelaxable: F + 23,
  /** Requests a GOT entry for T, then becomes PCRel32GOTLoadREXRelaxable to the entry. */
  RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable: F + 24,
  /** Thread-local variable pointer load (MachO TLV). Not supported yet: reported as UnsupportedFeature. */
  PCRel32TLVPLoadREXRelaxable: F + 25,
  /** Requests a thread-local variable pointer. Not supported yet: reported as UnsupportedFeature. */
  RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable: F + 26,
  /** Requests a TLS descriptor in the GOT. Not supported yet: reported as UnsupportedFeature. */
  RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable: F + 27,
  // ELF thread-local storage. "TLS block" is the thread-local block of the
  // module holding T (see @jitlink/elf's ThreadLocalResolver); these kinds are
  // lowered before fixups (see elf/tls.ts), once the modules are loaded.
  /** The module id of T's TLS block, 64 bits (R_X86_64_DTPMOD64; first word of a TLSGD/TLSLD pair). */
  TLSModuleId64: F + 28,
  /** T's offset in its TLS block + A, 64 bits (R_X86_64_DTPOFF64). */
  DTPOff64: F + 29,
  /** T's offset in its TLS block + A, must fit int32 (R_X86_64_DTPOFF32). */
  DTPOff32: F + 30,
  /** T's offset from the thread pointer + A, 64 bits (R_X86_64_TPOFF64). */
  TPOff64: F + 31,
  /** T's offset from the thread pointer + A, must fit int32 (R_X86_64_TPOFF32). */
  TPOff32: F + 32,
  /** Requests a TLSGD pair {module id, offset} for T, then becomes Delta32 to it (R_X86_64_TLSGD). */
  RequestTLSGDAndTransformToDelta32: F + 33,
  /** Requests the module's TLSLD pair {module id, 0}, then becomes Delta32 to it (R_X86_64_TLSLD). */
  RequestTLSLDAndTransformToDelta32: F + 34,
  /** Requests a GOT entry holding T's thread-pointer offset, then becomes Delta32 to it (R_X86_64_GOTTPOFF). */
  RequestGOTTPOffAndTransformToDelta32: F + 35,
  /** Requests a TLS descriptor {resolver, offset} for T, then becomes Delta32 to it (R_X86_64_GOTPC32_TLSDESC). */
  RequestTLSDescAndTransformToDelta32: F + 36,
} as const satisfies Record<string, EdgeKind>;

export type X86_64EdgeKindName = keyof typeof X86_64EdgeKinds;

const KIND_NAMES: string[] = [];
for (const [name, kind] of Object.entries(X86_64EdgeKinds)) KIND_NAMES[kind - F] = name;

/** Names x86-64 kinds (and core's generic kinds): e.g. "Delta32". */
export const getX86_64EdgeKindName: EdgeKindNamer = edgeKindNamer(KIND_NAMES);

/** True for the thread-local-storage placeholder kinds. */
export function isX86_64TLSEdgeKind(kind: EdgeKind): boolean {
  return (
    kind === X86_64EdgeKinds.PCRel32TLVPLoadREXRelaxable ||
    kind === X86_64EdgeKinds.RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable ||
    kind === X86_64EdgeKinds.RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable
  );
}

/** Pointer size in bytes. */
export const X86_64_POINTER_SIZE = 8;
