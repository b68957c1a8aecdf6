/**
 * Which COFF sections hold initializer tables and when they run, as the C
 * runtimes run them: MSVC's CRT calls the `.CRT$XI*` entries (C
 * initializers, `int (*)(void)`), then the `.CRT$XC*` entries (C++ and
 * `__attribute__((constructor))`, `void (*)(void)`), each group in the name
 * order of the sections (the static linker sorts grouped sections by the
 * part after `$`), objects in link order within one name; mingw's `__main`
 * then runs the `.ctors` list from its end to its start. At exit, the
 * `.CRT$XP*` then `.CRT$XT*` entries run the same way (clang puts
 * `__attribute__((destructor))` into `.CRT$XTX`), then mingw's `.dtors` from
 * start to end.
 */

export interface CoffInitializerPhase {
  /** 0 for .CRT$XI*, 1 for .CRT$XC*, 2 for .ctors. */
  phase: number;
  /** The name entries are ordered by within a phase (empty for .ctors). */
  orderName: string;
  /** True when the phase's entries run last to first (.ctors). */
  reversed: boolean;
}

/** How the entries of the graph section `name` run, or undefined if it holds no initializers. */
export function coffInitializerPhase(name: string): CoffInitializerPhase | undefined {
  // The builder names a same-named section with other protections `<name>#<number>`.
  const base = name.replace(/#\d+$/, '');
  if (base.startsWith('.CRT$XI')) return { phase: 0, orderName: base, reversed: false };
  if (base.startsWith('.CRT$XC')) return { phase: 1, orderName: base, reversed: false };
  if (base === '.ctors') return { phase: 2, orderName: '', reversed: true };
  return undefined;
}

/** How the entries of the graph section `name` run at exit, or undefined if it holds no terminators. */
export function coffTerminatorPhase(name: string): CoffInitializerPhase | undefined {
  const base = name.replace(/#\d+$/, '');
  if (base.startsWith('.CRT$XP')) return { phase: 0, orderName: base, reversed: false };
  if (base.startsWith('.CRT$XT')) return { phase: 1, orderName: base, reversed: false };
  if (base === '.dtors') return { phase: 2, orderName: '', reversed: false };
  return undefined;
}
