export {
  AARCH64_INSTRUCTION_SIZE,
  aarch64InstructionDecoder,
  decodeAArch64Instruction,
  decodeAArch64Word,
} from './decode.js';
