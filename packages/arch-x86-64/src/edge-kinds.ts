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
import {
  edgeKindInfo,
  edgeKindNamer,
  EdgeKinds,
  edgeKindTable,
  eitherRange,
  RANGE_64,
  signedRange,
  unsignedRange,
  type EdgeKind,
  type EdgeKindInfo,
  type EdgeKindNamer,
  type FixupRange,
} from '@jitlink/core';

const F = EdgeKinds.FirstRelocation;

export const X86_64EdgeKinds = {
  // Width, range and value of each kind: X86_64_EDGE_KIND_INFO below (the
  // README's table is generated from it). Comments here say only what the
  // table does not.
  Pointer64: F,
  Pointer32: F + 1,
  /** Sign-extended by the instruction. */
  Pointer32Signed: F + 2,
  /** Either signed or unsigned, as GNU ld's bitfield check. */
  Pointer16: F + 3,
  Pointer8: F + 4,
  Delta64: F + 5,
  Delta32: F + 6,
  Delta16: F + 7,
  Delta8: F + 8,
  NegDelta64: F + 9,
  NegDelta32: F + 10,
  Delta64FromGOT: F + 11,
  /** The target symbol's size. */
  Size64: F + 12,
  Size32: F + 13,
  /** A RIP-relative data displacement. */
  PCRel32: F + 14,
  /** The displacement of a call or jmp. */
  BranchPCRel32: F + 15,
  /** T is a pointer jump stub that must not be bypassed. */
  BranchPCRel32ToPtrJumpStub: F + 16,
  /**
   * Before the GOT/PLT pass T is the real callee; the pass points external
   * and absolute callees at a jump stub, and relaxation bypasses the stub
   * when the callee is within int32 range.
   */
  BranchPCRel32ToPtrJumpStubBypassable: F + 17,
  RequestGOTAndTransformToDelta32: F + 18,
  RequestGOTAndTransformToDelta64: F + 19,
  RequestGOTAndTransformToDelta64FromGOT: F + 20,
  /** T is a GOT entry loaded by an instruction without a REX prefix (mov, call *, jmp *, ...). Relaxable. */
  PCRel32GOTLoadRelaxable: F + 21,
  /** As PCRel32GOTLoadRelaxable, for an instruction with a REX prefix (only mov is relaxed). */
  PCRel32GOTLoadREXRelaxable: F + 22,
  RequestGOTAndTransformToPCRel32GOTLoadRelaxable: F + 23,
  RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable: F + 24,
  /** Thread-local variable pointer load (MachO TLV). Unused: TLVP requests become GOT loads. */
  PCRel32TLVPLoadREXRelaxable: F + 25,
  /**
   * MachO X86_64_RELOC_TLV (`movq _v@TLVP(%rip), %rdi`): T is the variable's
   * descriptor; its pointer lives in the GOT, and the load is relaxed to a
   * `leaq` of the descriptor when it is in reach, as a static linker does.
   */
  RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable: F + 26,
  /** Requests a TLS descriptor in the GOT. Not supported yet. */
  RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable: F + 27,
  /**
   * COFF: T - ImageBase + A, must fit uint32 (an image-relative address). The
   * COFF lowering pass turns it into Pointer32 once `__ImageBase` is known.
   */
  Pointer32NB: F + 28,
  /** COFF: T - S + A, must fit uint32, where S is the start of T's section (block). Lowered to Pointer32. */
  SectionRelative32: F + 29,
  /** COFF: the 1-based number of T's section, 16 bits (only debug records use it). Written by the lowering pass. */
  SectionIndex16: F + 30,
  // ELF thread-local storage. "TLS block" is the thread-local block of the
  // module holding T (see @jitlink/elf's ThreadLocalResolver); these kinds are
  // lowered before fixups (see elf/tls.ts), once the modules are loaded.
  /** The module id of T's TLS block, 64 bits (R_X86_64_DTPMOD64; first word of a TLSGD/TLSLD pair). */
  TLSModuleId64: F + 31,
  /** T's offset in its TLS block + A, 64 bits (R_X86_64_DTPOFF64). */
  DTPOff64: F + 32,
  /** T's offset in its TLS block + A, must fit int32 (R_X86_64_DTPOFF32). */
  DTPOff32: F + 33,
  /** T's offset from the thread pointer + A, 64 bits (R_X86_64_TPOFF64). */
  TPOff64: F + 34,
  /** T's offset from the thread pointer + A, must fit int32 (R_X86_64_TPOFF32). */
  TPOff32: F + 35,
  /** Requests a TLSGD pair {module id, offset} for T, then becomes Delta32 to it (R_X86_64_TLSGD). */
  RequestTLSGDAndTransformToDelta32: F + 36,
  /** Requests the module's TLSLD pair {module id, 0}, then becomes Delta32 to it (R_X86_64_TLSLD). */
  RequestTLSLDAndTransformToDelta32: F + 37,
  /** Requests a GOT entry holding T's thread-pointer offset, then becomes Delta32 to it (R_X86_64_GOTTPOFF). */
  RequestGOTTPOffAndTransformToDelta32: F + 38,
  /** Requests a TLS descriptor {resolver, offset} for T, then becomes Delta32 to it (R_X86_64_GOTPC32_TLSDESC). */
  RequestTLSDescAndTransformToDelta32: F + 39,
} as const satisfies Record<string, EdgeKind>;

export type X86_64EdgeKindName = keyof typeof X86_64EdgeKinds;

/** How applyFixup computes a kind's value (EdgeKindInfo.formula). */
export const X86_64Formula = {
  /** T + A */
  Pointer: 0,
  /** T - P + A */
  Delta: 1,
  /** P - T + A */
  NegDelta: 2,
  /** T - GOT + A */
  DeltaFromGOT: 3,
  /** Z + A */
  Size: 4,
  /** T - (P + 4) + A */
  PCRel: 5,
  /** None: the GOT/PLT pass rewrites the edge into another kind before fixups. */
  Lowered: 6,
  /** None: thread-local storage is not supported yet. */
  Unsupported: 7,
} as const;

/** Advice for absolute 32-bit relocations that do not fit. */
export const ABSOLUTE_32_ADVICE = 'rebuild with -fPIC or -fPIE, or place the code below 2 GiB';
const PC_RELATIVE_32_ADVICE =
  'the target is more than 2 GiB from the fixup; allocate the linked memory within 2 GiB of its targets, or rebuild with -mcmodel=large';

const INT32 = signedRange(32);
const UINT32 = unsignedRange(32);
/** TLS placeholders: no value fits. */
const NONE: FixupRange = { min: 0, max: -1, multipleOf: 1, name: '—' };

const K = X86_64EdgeKinds;
const Fm = X86_64Formula;
const GOT = 'GOT';

function row(
  name: X86_64EdgeKindName,
  width: number,
  formula: number,
  value: string,
  range: FixupRange,
  extra: Partial<Pick<EdgeKindInfo, 'request' | 'advice'>> = {},
): EdgeKindInfo {
  return { kind: K[name], name, width, formula, value, range, ...extra };
}

/**
 * The x86-64 kinds' facts, one row per kind, indexed by `kind - EdgeKinds.FirstRelocation`:
 * what applyFixup computes and checks, the width the ELF mapping checks, the
 * GOT requests the GOT/PLT pass lowers, and the README's table
 * (`npm run docs -w @jitlink/arch-x86-64`).
 */
export const X86_64_EDGE_KIND_INFO: readonly EdgeKindInfo[] = edgeKindTable(X86_64EdgeKinds, [
  row('Pointer64', 8, Fm.Pointer, 'T + A', RANGE_64),
  row('Pointer32', 4, Fm.Pointer, 'T + A', UINT32, { advice: ABSOLUTE_32_ADVICE }),
  row('Pointer32Signed', 4, Fm.Pointer, 'T + A', INT32, { advice: ABSOLUTE_32_ADVICE }),
  row('Pointer16', 2, Fm.Pointer, 'T + A', eitherRange(16)),
  row('Pointer8', 1, Fm.Pointer, 'T + A', eitherRange(8)),
  row('Delta64', 8, Fm.Delta, 'T − P + A', RANGE_64),
  row('Delta32', 4, Fm.Delta, 'T − P + A', INT32, { advice: PC_RELATIVE_32_ADVICE }),
  row('Delta16', 2, Fm.Delta, 'T − P + A', signedRange(16)),
  row('Delta8', 1, Fm.Delta, 'T − P + A', signedRange(8)),
  row('NegDelta64', 8, Fm.NegDelta, 'P − T + A', RANGE_64),
  row('NegDelta32', 4, Fm.NegDelta, 'P − T + A', INT32, { advice: PC_RELATIVE_32_ADVICE }),
  row('Delta64FromGOT', 8, Fm.DeltaFromGOT, 'T − GOT + A', RANGE_64),
  row('Size64', 8, Fm.Size, 'Z + A', RANGE_64),
  row('Size32', 4, Fm.Size, 'Z + A', UINT32),
  row('PCRel32', 4, Fm.PCRel, 'T − (P + 4) + A', INT32, { advice: PC_RELATIVE_32_ADVICE }),
  row('BranchPCRel32', 4, Fm.PCRel, 'T − (P + 4) + A', INT32, { advice: PC_RELATIVE_32_ADVICE }),
  row('BranchPCRel32ToPtrJumpStub', 4, Fm.PCRel, 'T − (P + 4) + A, T a stub that is never bypassed', INT32, {
    advice: PC_RELATIVE_32_ADVICE,
  }),
  row(
    'BranchPCRel32ToPtrJumpStubBypassable',
    4,
    Fm.PCRel,
    'T − (P + 4) + A; external/absolute T gets a stub, bypassed when in range',
    INT32,
    { advice: PC_RELATIVE_32_ADVICE },
  ),
  row('RequestGOTAndTransformToDelta32', 4, Fm.Lowered, "becomes Delta32 to T's GOT entry", INT32, {
    request: { table: GOT, becomes: K.Delta32 },
  }),
  row('RequestGOTAndTransformToDelta64', 8, Fm.Lowered, "becomes Delta64 to T's GOT entry", RANGE_64, {
    request: { table: GOT, becomes: K.Delta64 },
  }),
  row(
    'RequestGOTAndTransformToDelta64FromGOT',
    8,
    Fm.Lowered,
    "becomes Delta64FromGOT to T's GOT entry",
    RANGE_64,
    { request: { table: GOT, becomes: K.Delta64FromGOT } },
  ),
  row('PCRel32GOTLoadRelaxable', 4, Fm.PCRel, 'T − (P + 4) + A, T a GOT entry (no REX prefix)', INT32, {
    advice: PC_RELATIVE_32_ADVICE,
  }),
  row('PCRel32GOTLoadREXRelaxable', 4, Fm.PCRel, 'T − (P + 4) + A, T a GOT entry (REX prefix)', INT32, {
    advice: PC_RELATIVE_32_ADVICE,
  }),
  row(
    'RequestGOTAndTransformToPCRel32GOTLoadRelaxable',
    4,
    Fm.Lowered,
    "becomes PCRel32GOTLoadRelaxable to T's GOT entry",
    INT32,
    { request: { table: GOT, becomes: K.PCRel32GOTLoadRelaxable } },
  ),
  row(
    'RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable',
    4,
    Fm.Lowered,
    "becomes PCRel32GOTLoadREXRelaxable to T's GOT entry",
    INT32,
    { request: { table: GOT, becomes: K.PCRel32GOTLoadREXRelaxable } },
  ),
  row('PCRel32TLVPLoadREXRelaxable', 4, Fm.Unsupported, 'placeholder: `UnsupportedFeature`', NONE),
  row(
    'RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable',
    4,
    Fm.Lowered,
    "becomes PCRel32GOTLoadREXRelaxable to T's GOT entry, T a TLV descriptor",
    INT32,
    { request: { table: GOT, becomes: K.PCRel32GOTLoadREXRelaxable } },
  ),
  row(
    'RequestTLSDescInGOTAndTransformToPCRel32GOTLoadREXRelaxable',
    4,
    Fm.Unsupported,
    'placeholder: `UnsupportedFeature`',
    NONE,
  ),
  // COFF's image- and section-relative kinds: the COFF pre-fixup pass (coff/index.ts) lowers them.
  row('Pointer32NB', 4, Fm.Lowered, 'T − ImageBase + A; becomes Pointer32 before fixups (COFF)', UINT32),
  row('SectionRelative32', 4, Fm.Lowered, "T − (start of T's block) + A; becomes Pointer32 before fixups (COFF)", UINT32),
  row('SectionIndex16', 2, Fm.Lowered, "1-based number of T's section, written by the COFF pass (COFF)", unsignedRange(16)),
  // ELF TLS: lowered before fixups (elf/tls.ts) through the platform's ThreadLocalResolver.
  row('TLSModuleId64', 8, Fm.Lowered, "module id of T's TLS block; becomes Pointer64", RANGE_64),
  row('DTPOff64', 8, Fm.Lowered, "T's offset in its TLS block + A; becomes Pointer64", RANGE_64),
  row('DTPOff32', 4, Fm.Lowered, "T's offset in its TLS block + A; becomes Pointer32Signed", INT32),
  row('TPOff64', 8, Fm.Lowered, "T's offset from the thread pointer + A; becomes Pointer64", RANGE_64),
  row('TPOff32', 4, Fm.Lowered, "T's offset from the thread pointer + A; becomes Pointer32Signed", INT32),
  row('RequestTLSGDAndTransformToDelta32', 4, Fm.Lowered, "becomes Delta32 to T's TLSGD pair", INT32),
  row('RequestTLSLDAndTransformToDelta32', 4, Fm.Lowered, "becomes Delta32 to the module's TLSLD pair", INT32),
  row('RequestGOTTPOffAndTransformToDelta32', 4, Fm.Lowered, "becomes Delta32 to T's thread-pointer-offset GOT entry", INT32),
  row('RequestTLSDescAndTransformToDelta32', 4, Fm.Lowered, "becomes Delta32 to T's TLS descriptor", INT32),
]);

/** The row for an x86-64 kind; undefined for core's generic kinds and unknown numbers. */
export function x86_64EdgeKindInfo(kind: EdgeKind): EdgeKindInfo | undefined {
  return edgeKindInfo(X86_64_EDGE_KIND_INFO, kind);
}

/** Names x86-64 kinds (and core's generic kinds): e.g. "Delta32". */
export const getX86_64EdgeKindName: EdgeKindNamer = edgeKindNamer(X86_64_EDGE_KIND_INFO.map((r) => r.name));

/** True for the thread-local-storage placeholder kinds. */
export function isX86_64TLSEdgeKind(kind: EdgeKind): boolean {
  return x86_64EdgeKindInfo(kind)?.formula === X86_64Formula.Unsupported;
}

/** Pointer size in bytes. */
export const X86_64_POINTER_SIZE = 8;
