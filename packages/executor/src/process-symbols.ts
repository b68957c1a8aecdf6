/**
 * Symbols of the running process: dlsym over the global scope, plus the
 * shared libraries JIT'd code commonly needs, loaded on demand.
 */
import { JITLinkError, type LookupRequest, type LookupResult, type TargetAddress } from '@jitlink/core';
import { RTLD_DEFAULT, RTLD_GLOBAL, RTLD_LAZY, getLibC } from './native.js';

/** Libraries for C++ code: the standard library and the unwinder. */
export const CXX_LIBRARIES = ['libstdc++.so.6', 'libgcc_s.so.1'] as const;
/** The math library. */
export const MATH_LIBRARIES = ['libm.so.6'] as const;

const CXX_SYMBOL = /^(_Z|__cxa_|__gxx_personality_v0$|_Unwind_|__dynamic_cast$)/;
const MATH_SYMBOL =
  /^(a?(sin|cos|tan)h?|atan2|exp(2|10|m1)?|log(2|10|1p|b)?|pow|sqrt|cbrt|hypot|fabs|floor|ceil|round|lround|llround|trunc|fmod|remainder|remquo|fmin|fmax|fdim|fma|frexp|ldexp|modf|scalbl?n|nearbyint|l?l?rint|copysign|erfc?|[lt]gamma|j[01n]|y[01n]|ilogb|nextafter|nexttoward|nan)[fl]?$/;

export class ProcessSymbols {
  /** Libraries loaded through this object, by name. */
  private readonly handles = new Map<string, number>();

  /** The address of `name` in the process, or undefined when it is not defined. */
  lookup(name: string): TargetAddress | undefined {
    const libc = getLibC();
    let address = libc.dlsym(RTLD_DEFAULT, name);
    if (address === 0) {
      for (const handle of this.handles.values()) {
        address = libc.dlsym(handle, name);
        if (address !== 0) break;
      }
    }
    return address === 0 ? undefined : address;
  }

  /** Resolves a link's lookup request; names not found are left out (the linker reports them). */
  resolve(request: LookupRequest): LookupResult {
    const result: LookupResult = new Map();
    for (const name of request.keys()) {
      const address = this.lookup(name);
      if (address !== undefined) result.set(name, address);
    }
    return result;
  }

  /** dlopen(libraryName, RTLD_LAZY | RTLD_GLOBAL): its symbols become visible to lookup; its own calls bind on first use, as a program's do. */
  load(libraryName: string): void {
    if (this.handles.has(libraryName)) return;
    const libc = getLibC();
    const handle = libc.dlopen(libraryName, RTLD_LAZY | RTLD_GLOBAL);
    if (handle === 0) {
      throw new JITLinkError(
        'SymbolsNotFound',
        `cannot load ${libraryName}: ${libc.dlerror() ?? 'unknown dlopen error'}`,
      );
    }
    this.handles.set(libraryName, handle);
  }

  /** Names of the libraries loaded so far. */
  get loadedLibraries(): readonly string[] {
    return [...this.handles.keys()];
  }

  /**
   * Loads the libraries `symbolNames` are likely to come from: libstdc++ and
   * libgcc_s for C++ runtime names (`_Z*`, `__cxa_*`, `__gxx_personality_v0`,
   * `_Unwind_*`), libm for C math functions. Returns the libraries it loaded.
   */
  loadLibrariesFor(symbolNames: Iterable<string>): string[] {
    const wanted = new Set<string>();
    for (const name of symbolNames) {
      if (CXX_SYMBOL.test(name)) for (const lib of CXX_LIBRARIES) wanted.add(lib);
      else if (MATH_SYMBOL.test(name)) for (const lib of MATH_LIBRARIES) wanted.add(lib);
    }
    const loaded: string[] = [];
    for (const lib of wanted) {
      if (this.handles.has(lib)) continue;
      this.load(lib);
      loaded.push(lib);
    }
    return loaded;
  }
}
