// Choice of LLVM static libraries for the llvm-* all-members workloads. Pure:
// works on (name, size) pairs gathered by workloads.mjs.

/** Input sizes are given in decimal megabytes. */
export const MB = 1e6;
/** Approximate input sizes (MB) of the llvm-* workloads. */
export const LLVM_SET_SIZES_MB = [1, 5, 20, 50, 90];
/** A set may exceed its size by this fraction. */
const TOLERANCE = 0.05;
/** Libraries whose references neither linker can satisfy from libLLVM.so. */
const EXCLUDED = /^libLLVM(TableGenCommon|BOLT.*)\.a$/;

/**
 * @typedef {{ name: string, bytes: number }} ArchiveInfo
 * Libraries with thread-local relocations are used like the others (their
 * members have only R_X86_64_TLSGD, which both linkers handle).
 */

/** Targets that have an Info library (libLLVM<Target>Info.a). */
function targetsOf(names) {
  return names.map((n) => /^libLLVM(\w+)Info\.a$/.exec(n)?.[1]).filter((t) => t !== undefined);
}

/** Whether `name` is a target's Info or Utils library. */
function isSupport(name, targets) {
  return targets.some((t) => name === `libLLVM${t}Info.a` || name === `libLLVM${t}Utils.a`);
}

/**
 * Units a set is made of: each target-independent library of at least 1 MB
 * on its own, and per target its libraries of at least 1 MB together with its
 * Info and Utils libraries (a target's Desc, AsmParser and Disassembler refer
 * to those, which libLLVM.so does not export).
 * @param {ArchiveInfo[]} archives
 * @returns {{ archives: string[], bytes: number }[]} sorted by size, largest first, then by name
 */
export function llvmUnits(archives) {
  const byName = new Map(archives.map((a) => [a.name, a]));
  const usable = archives.filter((a) => !EXCLUDED.test(a.name));
  const targets = targetsOf(usable.map((a) => a.name)).sort(
    (a, b) => b.length - a.length || (a < b ? -1 : 1),
  );
  const groups = new Map();
  const units = [];
  for (const a of usable) {
    if (a.bytes < MB || isSupport(a.name, targets)) continue;
    const target = targets.find(
      (t) => a.name.startsWith(`libLLVM${t}`) && /^[A-Z]/.test(a.name.slice(7 + t.length)),
    );
    if (target === undefined) units.push({ archives: [a.name], bytes: a.bytes });
    else groups.set(target, [...(groups.get(target) ?? []), a.name]);
  }
  for (const [target, names] of groups) {
    const support = [`libLLVM${target}Info.a`, `libLLVM${target}Utils.a`].filter((n) => byName.has(n));
    const all = [...names, ...support].sort();
    units.push({ archives: all, bytes: all.reduce((s, n) => s + byName.get(n).bytes, 0) });
  }
  return units.sort((a, b) => b.bytes - a.bytes || (a.archives[0] < b.archives[0] ? -1 : 1));
}

/**
 * One set of libraries per size: going through the units largest first, a
 * unit is added when the set stays within the size (+5%) and gets closer to
 * it; when no unit fits, the smallest unit.
 * Deterministic for a given list; archive names in each set are sorted.
 * @param {ArchiveInfo[]} archives
 * @param {number[]} [sizesMB]
 * @returns {{ id: string, sizeMB: number, archives: string[], bytes: number }[]}
 */
export function selectLlvmSets(archives, sizesMB = LLVM_SET_SIZES_MB) {
  const units = llvmUnits(archives);
  if (units.length === 0) return [];
  return sizesMB.map((sizeMB) => {
    const limit = sizeMB * MB * (1 + TOLERANCE);
    let chosen = [];
    let bytes = 0;
    for (const u of units) {
      const target = sizeMB * MB;
      if (bytes + u.bytes > limit || Math.abs(bytes + u.bytes - target) >= Math.abs(bytes - target)) continue;
      chosen.push(u);
      bytes += u.bytes;
    }
    if (chosen.length === 0) {
      chosen = [units[units.length - 1]];
      bytes = chosen[0].bytes;
    }
    return { id: `llvm-${sizeMB}mb`, sizeMB, archives: chosen.flatMap((u) => u.archives).sort(), bytes };
  });
}
