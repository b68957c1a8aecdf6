/**
 * Calls from COFF code to the host's functions. COFF x86-64 code follows the
 * Microsoft x64 convention, the host's C library System V's: each function a
 * graph calls is reached through a thunk the architecture writes (integer
 * and pointer arguments only). Whether a callee is the host's or COFF code
 * (another object, an archive member loaded on demand) is known only once
 * the graph's externals are looked up: thunks are made before allocation for
 * every function the graph calls, and once addresses are known, a thunk whose
 * callee is COFF code becomes a plain jump, and calls the thunks cannot
 * bridge are refused.
 */
import { JITLinkError, MemProt, type LinkGraph, type PassConfiguration, type Symbol } from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';
import { IMAGE_BASE_SYMBOL_NAME } from './image-base.js';

export const HOST_THUNKS_SECTION_NAME = '$__COFF_HOST_THUNKS';

const MATH = [
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh',
  'exp', 'exp2', 'expm1', 'log', 'log10', 'log2', 'log1p', 'logb', 'pow', 'sqrt', 'cbrt', 'hypot',
  'fabs', 'floor', 'ceil', 'round', 'trunc', 'fmod', 'remainder', 'remquo', 'fmin', 'fmax', 'fdim', 'fma',
  'ldexp', 'frexp', 'modf', 'scalbn', 'scalbln', 'ilogb', 'nearbyint', 'rint', 'lrint', 'llrint', 'lround', 'llround',
  'copysign', 'nextafter', 'nexttoward', 'erf', 'erfc', 'tgamma', 'lgamma',
];

/**
 * Host C library functions with floating-point parameters: a thunk moves
 * integer registers only, and Microsoft x64 assigns argument registers by
 * position across both kinds, so these calls would get wrong arguments.
 */
export const HOST_FUNCTIONS_WITH_FLOATING_POINT_PARAMETERS: ReadonlySet<string> = new Set([
  ...MATH,
  ...MATH.map((f) => `${f}f`),
  ...MATH.map((f) => `${f}l`),
]);

/**
 * Host C library functions that call a function they are given: the host
 * would call COFF code with its own convention (no shadow space, other
 * argument registers).
 */
export const HOST_FUNCTIONS_CALLING_BACK: ReadonlySet<string> = new Set([
  'qsort', 'qsort_r', 'bsearch', 'lfind', 'lsearch', 'tsearch', 'tfind', 'tdelete', 'twalk',
  'atexit', 'at_quick_exit', 'on_exit', '_onexit', '__cxa_atexit', 'signal', 'sigaction',
  'pthread_create', 'pthread_once', 'pthread_key_create', 'pthread_atfork', 'thrd_create', 'call_once', 'tss_create',
  'ftw', 'nftw', 'scandir', 'glob',
]);

/** Why the thunks cannot call host function `name`, or undefined when they can. */
export function hostCallRefusal(name: string): string | undefined {
  if (HOST_FUNCTIONS_WITH_FLOATING_POINT_PARAMETERS.has(name)) {
    return `the host's ${name} takes floating-point arguments, which calls from COFF code to the host cannot pass (integer and pointer arguments only)`;
  }
  if (HOST_FUNCTIONS_CALLING_BACK.has(name)) {
    return `the host's ${name} would call the COFF function it is given with the host's calling convention, which COFF code cannot be called with`;
  }
  return undefined;
}

/**
 * Adds the thunk passes: post-prune (before the architecture's table passes,
 * so that import table entries and stubs hold the thunks), a thunk for each
 * function the graph calls that `isCoffDefined` does not already know as
 * COFF code; pre-fixup, once lookups are done, thunks of callees that turned
 * out to be COFF code become plain jumps, and calls to host functions the
 * thunks cannot bridge are refused.
 */
export function addHostCallThunkPasses(config: PassConfiguration, arch: CoffArchSupport, isCoffDefined: (name: string) => boolean): void {
  const addThunk = arch.addHostCallThunk;
  if (addThunk === undefined) return;
  /** This link's thunks, by the callee they call. */
  const thunks = new Map<Symbol, Symbol>();
  config.postPrunePasses.unshift((graph) => {
    for (const ext of graph.externalSymbols()) {
      if (!ext.callable || ext.name === undefined || ext.name === IMAGE_BASE_SYMBOL_NAME || isCoffDefined(ext.name)) continue;
      const section = graph.findSectionByName(HOST_THUNKS_SECTION_NAME) ?? graph.createSection(HOST_THUNKS_SECTION_NAME, MemProt.Read | MemProt.Exec);
      thunks.set(ext, addThunk(graph, section, ext));
    }
    if (thunks.size === 0) return;
    const thunkBlocks = new Set([...thunks.values()].map((t) => t.block));
    for (const block of graph.blockList()) {
      if (thunkBlocks.has(block)) continue;
      for (let i = 0; i < block.edgeCount; i++) {
        const thunk = thunks.get(block.edgeTarget(i));
        if (thunk !== undefined) block.setEdgeTarget(i, thunk);
      }
    }
  });
  config.preFixupPasses.push((graph: LinkGraph) => {
    thunks.forEach((thunk, callee) => {
      const name = callee.name!;
      if (isCoffDefined(name)) {
        if (arch.bypassHostCallThunk === undefined) {
          throw new JITLinkError('UnsupportedFeature', `${arch.packageName} cannot turn the host call thunk for ${name} into a jump to COFF code`, {
            file: graph.name,
          });
        }
        arch.bypassHostCallThunk(graph, thunk);
        return;
      }
      const refusal = hostCallRefusal(name);
      if (refusal !== undefined) throw new JITLinkError('UnsupportedFeature', `COFF code calls ${name}: ${refusal}`, { file: graph.name });
    });
  });
}
