import type * as V8 from 'node:v8';

/**
 * V8 flags of the `jitlink` command, set once the inputs are opened and their
 * size is known (after the bundle is compiled: its code cache is made, and
 * accepted, under V8's default flags).
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
 *
 * Links of less than TIER_UP_MIN_INPUT_BYTES keep the defaults. They are too
 * short for TurboFan to matter, and setting any flag costs a small link much
 * of its start: V8 then rejects Node's own code cache for the internal
 * modules loaded after it, which get compiled instead, and Node's v8 module
 * (the only way to set flags from JavaScript) loads Node's streams with it.
 * (`-version`: 147 -> 108 ms of CPU once the command set no flag at start.)
 *
 * Beyond the layer's graph budget the link works for memory rather than speed
 * (no parse kept for members' graphs, every link through the layer's link
 * queue), and so does the heap: V8 lets a short, busy process's heap grow to
 * ~4x its live size between full collections; at most 1.5x keeps the 90 MB
 * link's peak ~100 MiB lower for a few % more time. (At 1.75x the peak
 * depended on when full collections fell: 318-364 MiB over 8 runs, against
 * 304-336 MiB at 1.5x.)
 *
 * From TIER_UP_MIN_INPUT_BYTES on, the young generation stays small. V8 doubles its
 * semi-spaces under a busy allocator up to 16 MiB each, and both get touched:
 * ~30 MiB of a link's peak RSS that hold nothing live. Semi-spaces of 2 MiB
 * (the size they reach before the flags are set) cost more scavenges and
 * more promotion, up to ~3% of CPU, for 7-28 MiB less peak RSS (sqlite_driver
 * 84 -> 77 MiB, libcrypto-all 152 -> 127, llvm-20mb 201 -> 175). The
 * maximum semi-space size cannot be changed once the heap is set up; the
 * growth factor is read at each growth.
 */
export function setCommandV8Flags(inputBytes: number, graphBudget: number): void {
  if (inputBytes < TIER_UP_MIN_INPUT_BYTES) return;
  const v8 = process.getBuiltinModule('node:v8') as typeof V8;
  v8.setFlagsFromString('--interrupt-budget=270336');
  v8.setFlagsFromString(`--semi-space-growth-factor=${YOUNG_GENERATION_GROWTH_FACTOR}`);
  if (inputBytes > graphBudget) v8.setFlagsFromString('--heap-growing-percent=50');
}

/**
 * How much V8 may grow the young generation's semi-spaces when it grows them.
 * 1 keeps them at the size the heap was set up with (1 MiB each).
 */
export const YOUNG_GENERATION_GROWTH_FACTOR = 1;

/** Inputs (objects and archives named on the command line) below this many bytes link under V8's default flags. */
export const TIER_UP_MIN_INPUT_BYTES = 256 * 1024;
