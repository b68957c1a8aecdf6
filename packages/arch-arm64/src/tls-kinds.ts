/**
 * What each supported ELF thread-local relocation (R_AARCH64_TLS*) means,
 * as data: the edge-kind table documents it, the ELF mapping checks the
 * instruction by it, and `elf/tls.ts` lowers the edges by it.
 *
 * - `entry` relocations address a per-variable entry the linker builds:
 *   `desc` a TLS descriptor {resolver, offset from the thread pointer},
 *   `ie` a GOT entry holding the offset from the thread pointer,
 *   `gd` a GOT pair {module id, offset in the block}, `ld` the module's
 *   pair {module id, 0}. The edge becomes `becomes` aimed at the entry.
 * - `value` relocations encode the variable's offset from the thread
 *   pointer (`tp`, TPREL) or in its module's block (`dtp`, DTPREL) directly;
 *   once the TLS block is loaded the edge becomes `becomes` of that value.
 *
 * Not listed (still "not supported"): the ILP32 and large-model descriptor
 * forms (TLSDESC_OFF_G*, TLSDESC_LDR, TLSDESC_ADD), the MOVW forms of GD/LD/IE
 * and the 128-bit LDST forms, which neither gcc 12 nor clang-19 emit for LP64.
 */

/** The plain AArch64 kinds a thread-local edge can become. */
export type TLSPlainKind =
  | 'Page21'
  | 'PageOffset12'
  | 'LDRLiteral19'
  | 'ADRLiteral21'
  | 'MoveWide16'
  | 'MoveWide16Signed'
  | 'High12'
  | 'Imm12Low';

export type TLSEntryModel = 'desc' | 'ie' | 'gd' | 'ld';

export type TLSRule =
  | { readonly entry: TLSEntryModel; readonly becomes: TLSPlainKind; readonly access?: number | 'add' }
  | { readonly value: 'tp' | 'dtp'; readonly becomes: TLSPlainKind; readonly group?: number; readonly access?: number | 'add' };

const tp = (becomes: TLSPlainKind, extra: { group?: number; access?: number | 'add' } = {}): TLSRule => ({ value: 'tp', becomes, ...extra });
const dtp = (becomes: TLSPlainKind, extra: { group?: number; access?: number | 'add' } = {}): TLSRule => ({ value: 'dtp', becomes, ...extra });

/** Keyed by the relocation name without `R_AARCH64_`. */
export const AARCH64_TLS_RULES: Readonly<Record<string, TLSRule>> = {
  // General dynamic (gcc -mtls-dialect=trad): adrp/add of the GOT pair, then a call to __tls_get_addr.
  TLSGD_ADR_PAGE21: { entry: 'gd', becomes: 'Page21' },
  TLSGD_ADD_LO12_NC: { entry: 'gd', becomes: 'PageOffset12', access: 'add' },
  TLSGD_ADR_PREL21: { entry: 'gd', becomes: 'ADRLiteral21' },
  TLSLD_ADR_PAGE21: { entry: 'ld', becomes: 'Page21' },
  TLSLD_ADD_LO12_NC: { entry: 'ld', becomes: 'PageOffset12', access: 'add' },
  TLSLD_ADR_PREL21: { entry: 'ld', becomes: 'ADRLiteral21' },
  // Offsets in the module's block, added to the local-dynamic base.
  TLSLD_MOVW_DTPREL_G2: dtp('MoveWide16Signed', { group: 2 }),
  TLSLD_MOVW_DTPREL_G1: dtp('MoveWide16Signed', { group: 1 }),
  TLSLD_MOVW_DTPREL_G1_NC: dtp('MoveWide16', { group: 1 }),
  TLSLD_MOVW_DTPREL_G0: dtp('MoveWide16Signed', { group: 0 }),
  TLSLD_MOVW_DTPREL_G0_NC: dtp('MoveWide16', { group: 0 }),
  TLSLD_ADD_DTPREL_HI12: dtp('High12', { access: 'add' }),
  TLSLD_ADD_DTPREL_LO12: dtp('Imm12Low', { access: 'add' }),
  TLSLD_ADD_DTPREL_LO12_NC: dtp('PageOffset12', { access: 'add' }),
  TLSLD_LDST8_DTPREL_LO12: dtp('Imm12Low', { access: 0 }),
  TLSLD_LDST8_DTPREL_LO12_NC: dtp('PageOffset12', { access: 0 }),
  TLSLD_LDST16_DTPREL_LO12: dtp('Imm12Low', { access: 1 }),
  TLSLD_LDST16_DTPREL_LO12_NC: dtp('PageOffset12', { access: 1 }),
  TLSLD_LDST32_DTPREL_LO12: dtp('Imm12Low', { access: 2 }),
  TLSLD_LDST32_DTPREL_LO12_NC: dtp('PageOffset12', { access: 2 }),
  TLSLD_LDST64_DTPREL_LO12: dtp('Imm12Low', { access: 3 }),
  TLSLD_LDST64_DTPREL_LO12_NC: dtp('PageOffset12', { access: 3 }),
  // Initial exec: adrp/ldr of a GOT entry holding the offset from the thread pointer.
  TLSIE_ADR_GOTTPREL_PAGE21: { entry: 'ie', becomes: 'Page21' },
  TLSIE_LD64_GOTTPREL_LO12_NC: { entry: 'ie', becomes: 'PageOffset12', access: 3 },
  TLSIE_LD_GOTTPREL_PREL19: { entry: 'ie', becomes: 'LDRLiteral19' },
  // Local exec: the offset from the thread pointer in the instructions.
  TLSLE_MOVW_TPREL_G2: tp('MoveWide16Signed', { group: 2 }),
  TLSLE_MOVW_TPREL_G1: tp('MoveWide16Signed', { group: 1 }),
  TLSLE_MOVW_TPREL_G1_NC: tp('MoveWide16', { group: 1 }),
  TLSLE_MOVW_TPREL_G0: tp('MoveWide16Signed', { group: 0 }),
  TLSLE_MOVW_TPREL_G0_NC: tp('MoveWide16', { group: 0 }),
  TLSLE_ADD_TPREL_HI12: tp('High12', { access: 'add' }),
  TLSLE_ADD_TPREL_LO12: tp('Imm12Low', { access: 'add' }),
  TLSLE_ADD_TPREL_LO12_NC: tp('PageOffset12', { access: 'add' }),
  TLSLE_LDST8_TPREL_LO12: tp('Imm12Low', { access: 0 }),
  TLSLE_LDST8_TPREL_LO12_NC: tp('PageOffset12', { access: 0 }),
  TLSLE_LDST16_TPREL_LO12: tp('Imm12Low', { access: 1 }),
  TLSLE_LDST16_TPREL_LO12_NC: tp('PageOffset12', { access: 1 }),
  TLSLE_LDST32_TPREL_LO12: tp('Imm12Low', { access: 2 }),
  TLSLE_LDST32_TPREL_LO12_NC: tp('PageOffset12', { access: 2 }),
  TLSLE_LDST64_TPREL_LO12: tp('Imm12Low', { access: 3 }),
  TLSLE_LDST64_TPREL_LO12_NC: tp('PageOffset12', { access: 3 }),
  // TLS descriptors: adrp; ldr x1, [x0, lo12]; add x0, x0, lo12; blr x1 (TLSDESC_CALL, a marker).
  TLSDESC_ADR_PAGE21: { entry: 'desc', becomes: 'Page21' },
  TLSDESC_LD64_LO12: { entry: 'desc', becomes: 'PageOffset12', access: 3 },
  TLSDESC_ADD_LO12: { entry: 'desc', becomes: 'PageOffset12', access: 'add' },
  TLSDESC_LD_PREL19: { entry: 'desc', becomes: 'LDRLiteral19' },
  TLSDESC_ADR_PREL21: { entry: 'desc', becomes: 'ADRLiteral21' },
};

/** The rule's meaning in the edge-kind table's notation (TP = thread pointer, DTP = the module block's start). */
export function describeTLSRule(rule: TLSRule): string {
  if ('entry' in rule) {
    const what = { desc: 'TLS descriptor', ie: 'GOT entry of T - TP', gd: 'GOT pair {module, T - DTP}', ld: "module's GOT pair {module, 0}" }[rule.entry];
    return `${what} for T, then ${rule.becomes}`;
  }
  return `${rule.value === 'tp' ? 'T + A - TP' : 'T + A - DTP'} as ${rule.becomes}, once the TLS block is loaded`;
}
