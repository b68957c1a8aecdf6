/**
 * What the jitlink-check verifier needs from its surroundings: a view of the
 * linked memory and symbol tables (provided by whoever ran the link) and an
 * instruction decoder (provided by an architecture package).
 */
import type { Endianness } from '../graph.js';

/** A register operand, which checks cannot use as a value. */
export interface RegisterOperand {
  register: string;
}

/** An operand of a decoded instruction: an immediate value or a register. */
export type DecodedOperand = bigint | RegisterOperand;

/** An instruction as a backend's decoder reads it for `decode_operand` and `next_pc`. */
export interface DecodedInstruction {
  /** Encoded length in bytes. */
  size: number;
  /**
   * Operands in LLVM MC numbering: immediates as their sign-extended value
   * (the verifier reads them as unsigned 64-bit), registers by name; an
   * absent register (no index, no segment) is `{ register: '' }`.
   */
  operands: DecodedOperand[];
  /** Mnemonic, for messages. */
  mnemonic: string;
}

/** Decodes one instruction; implemented per architecture. */
export interface InstructionDecoder {
  /**
   * Decodes the instruction at the start of `bytes` (which may extend past
   * it), located at target `address`. Throws a JITLinkError naming the
   * address and bytes for encodings it does not know.
   */
  decode(bytes: Uint8Array, address: bigint): DecodedInstruction;
}

/**
 * The linked state a check file is evaluated against. Addresses are target
 * addresses as unsigned 64-bit values. Methods return undefined for unknown
 * names; they may instead throw a JITLinkError with a more precise message.
 */
export interface CheckerContext {
  readonly endianness: Endianness;
  /** Decoder for decode_operand and next_pc; absent when the target has none. */
  readonly decoder?: InstructionDecoder;
  /** Added to address + size by next_pc (0 on x86-64 and arm64). */
  readonly nextPCBias?: bigint;
  /** Address of a named symbol. */
  symbolAddress(name: string): bigint | undefined;
  /** The linked (post-fixup) bytes from `address` to the end of the block holding it. */
  contentAt(address: bigint): Uint8Array | undefined;
  /** Address of the GOT entry that `file` uses for `target`. */
  gotEntryAddress(file: string, target: string): bigint | undefined;
  /** Address of the stub that `file` uses for `target`; `kind` filters stub kinds where a target has several. */
  stubAddress(file: string, target: string, kind?: string): bigint | undefined;
  /** Start address of `section` as linked for `file`. */
  sectionAddress(file: string, section: string): bigint | undefined;
}
