import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags of the `jitlink` command, set before its code is compiled (a code
 * cache is only accepted under the flags it was made with).
 *
 * One run of the command is a short burst of work over many small functions.
 * With V8's default tier-up budget, TurboFan compiles ~170 of them (on
 * background threads that compete for the CPU) and most run optimized only
 * briefly before the process exits. Four times the default budget (67584 on
 * Node 20) keeps optimization for the functions that stay hot, which large
 * links still reach. (Eight times was best before the code cache and before
 * the readers allocated less; measured again against 2x, 8x and 16x, 4x was
 * best or level on every workload: sqlite_driver 188 -> 181 ms, libcrypto-all
 * 552 -> 517 ms, llvm-50mb 701 -> 676 ms.)
 */
export function setCommandV8Flags(): void {
  setFlagsFromString('--interrupt-budget=270336');
}
