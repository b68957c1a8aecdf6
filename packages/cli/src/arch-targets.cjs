// The bundle's arch-targets (build-bundle.mjs redirects backends.ts's import here): the same names as
// src/arch-targets.ts, each requiring its package on the first call, so that the bundle evaluates an
// architecture's modules (and builds its tables) only when a link uses it.
'use strict';

module.exports.archTargets = {
  x86_64Elf: () => require('@jitlink/arch-x86-64/elf').x86_64Elf,
  x86_64MachO: () => require('@jitlink/arch-x86-64/macho').x86_64MachO,
  x86_64Coff: () => require('@jitlink/arch-x86-64/coff').x86_64Coff,
  aarch64Elf: () => require('@jitlink/arch-arm64/elf').aarch64Elf,
  aarch64BEElf: () => require('@jitlink/arch-arm64/elf').aarch64BEElf,
  arm64MachO: () => require('@jitlink/arch-arm64/macho').arm64MachO,
  aarch64Coff: () => require('@jitlink/arch-arm64/coff').aarch64Coff,
};
