/**
 * Initializer and finalizer sections, and the order GNU toolchains run them in.
 *
 * Ordering used (what GNU ld and lld produce for an executable):
 * - `.preinit_array` first (no priorities).
 * - Initializers by ascending priority. `.init_array.N` has priority N;
 *   `.ctors.N` is placed by the static linker into `.init_array.(65535 - N)`,
 *   so it has priority 65535 - N. `.init_array` and `.ctors` without a suffix
 *   have the default priority 65535 and run after every prioritized one.
 *   At equal priority, `.init_array*` sections come before `.ctors*` sections
 *   (the order of ld's default linker script).
 * - Finalizers the same way with `.fini_array[.N]` and `.dtors[.N]`; the
 *   runtime runs `.fini_array` from its end, i.e. by descending priority.
 * - Legacy `.ctors`/`.dtors` sections hold their entries in reverse order:
 *   within one such section, the last `.ctors` entry runs first and the first
 *   `.dtors` entry runs last (static linkers reverse them into .init_array /
 *   .fini_array). `legacy: true` tells a runner to reverse the entries.
 */

export interface InitializerSectionInfo {
  kind: 'init' | 'fini' | 'preinit';
  /** 0..65535, lower runs earlier for 'init' (and later for 'fini'). */
  priority: number;
  /** True for `.ctors`/`.dtors`, whose entries are stored in reverse order. */
  legacy: boolean;
}

/** The GNU default priority, given to unsuffixed sections. */
export const DEFAULT_INIT_PRIORITY = 65535;

const PREFIXES: readonly { prefix: string; kind: InitializerSectionInfo['kind']; legacy: boolean }[] = [
  { prefix: '.init_array', kind: 'init', legacy: false },
  { prefix: '.fini_array', kind: 'fini', legacy: false },
  { prefix: '.preinit_array', kind: 'preinit', legacy: false },
  { prefix: '.ctors', kind: 'init', legacy: true },
  { prefix: '.dtors', kind: 'fini', legacy: true },
];

/** The one prefix of PREFIXES with each second character (after the dot). */
const PREFIX_BY_SECOND_LETTER = new Map(PREFIXES.map((p) => [p.prefix.charCodeAt(1), p]));

/** Classifies an ELF section name as an initializer/finalizer section, or undefined. */
export function initializerSectionInfo(sectionName: string): InitializerSectionInfo | undefined {
  // Every section of every object comes here: the second character leaves one
  // prefix to test (.data* names used to be tested against every prefix).
  if (sectionName.charCodeAt(0) !== 0x2e) return undefined;
  const candidate = PREFIX_BY_SECOND_LETTER.get(sectionName.charCodeAt(1));
  if (candidate === undefined || !sectionName.startsWith(candidate.prefix)) return undefined;
  const { prefix, kind, legacy } = candidate;
  if (sectionName.length === prefix.length) return { kind, priority: DEFAULT_INIT_PRIORITY, legacy };
  if (sectionName[prefix.length] !== '.' || kind === 'preinit') return undefined;
  const digits = sectionName.slice(prefix.length + 1);
  if (!/^[0-9]{1,5}$/.test(digits)) return undefined;
  const n = Number(digits);
  if (n > DEFAULT_INIT_PRIORITY) return undefined;
  return { kind, priority: legacy ? DEFAULT_INIT_PRIORITY - n : n, legacy };
}

/**
 * Compares two initializer sections of the same kind by the order they run in
 * ('init' and 'preinit': ascending; for 'fini' the runtime reverses this order).
 */
export function compareInitializerSections(a: InitializerSectionInfo, b: InitializerSectionInfo): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return Number(a.legacy) - Number(b.legacy);
}
