/**
 * Each architecture's support for each object format, by name, behind a
 * function: backends.ts builds a backend from one only when a link needs it.
 * Here every package is imported; the command's bundle uses
 * arch-targets.cjs instead (build-bundle.mjs), which requires each package
 * on the first call, so that an architecture's tables are not built at every
 * start. The two files list the same names (test/backends.test.ts).
 */
import { aarch64Coff } from '@jitlink/arch-arm64/coff';
import { aarch64BEElf, aarch64Elf } from '@jitlink/arch-arm64/elf';
import { arm64MachO } from '@jitlink/arch-arm64/macho';
import { x86_64Coff } from '@jitlink/arch-x86-64/coff';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { x86_64MachO } from '@jitlink/arch-x86-64/macho';

export const archTargets = {
  x86_64Elf: () => x86_64Elf,
  x86_64MachO: () => x86_64MachO,
  x86_64Coff: () => x86_64Coff,
  aarch64Elf: () => aarch64Elf,
  aarch64BEElf: () => aarch64BEElf,
  arm64MachO: () => arm64MachO,
  aarch64Coff: () => aarch64Coff,
};
