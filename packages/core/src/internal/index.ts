/**
 * `@jitlink/core/internal`: helpers the project's packages share (memory
 * managers, format readers, the command) that are not part of the public API:
 * no stability promise between minor versions, not in the API reference.
 *
 * @packageDocumentation
 * @internal
 */
export {
  DW_EH_PE_absptr,
  DW_EH_PE_indirect,
  DW_EH_PE_omit,
  DW_EH_PE_pcrel,
  DW_EH_PE_sdata2,
  DW_EH_PE_sdata4,
  DW_EH_PE_sdata8,
  DW_EH_PE_sleb128,
  DW_EH_PE_udata2,
  DW_EH_PE_udata4,
  DW_EH_PE_udata8,
  DW_EH_PE_uleb128,
} from '../eh-frame.js';
export { joinErrors } from '../errors.js';
export { validateSegmentsRequest } from '../memory-manager.js';
export { asciiTableText, decodeName, escapeName } from '../names.js';
// jitlink-check's line scanner, for the check-expression fuzz target.
export { scanCheckLines, type CheckLine } from '../check/checker.js';
