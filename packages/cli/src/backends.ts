/**
 * The backends this command links with: the only module of the command that
 * names an object format or architecture. Everything else asks the registry,
 * by a graph's triple, for what the backend supplies.
 */
import { BackendRegistry } from '@jitlink/core';
import { coffFormatSniffer, createCoffBackend } from '@jitlink/coff';
import { createElfBackend, elfFormatSniffer } from '@jitlink/elf';
import { createMachOBackend, machoFormatSniffer, mangleMachOName } from '@jitlink/macho';
import { archTargets } from './arch-targets.js';

/**
 * Backends this command knows, each built when a link first needs it: a
 * link of x86-64 ELF objects builds no AArch64, MachO or COFF tables.
 */
export function createDefaultRegistry(): BackendRegistry {
  const registry = new BackendRegistry();
  const elf = { format: 'elf', sniffer: elfFormatSniffer } as const;
  const macho = { format: 'macho', sniffer: machoFormatSniffer, mangleName: mangleMachOName } as const;
  const coff = { format: 'coff', sniffer: coffFormatSniffer } as const;
  registry.registerDeferred({
    ...elf,
    arch: 'x86_64',
    load: () => createElfBackend(archTargets.x86_64Elf()),
  });
  registry.registerDeferred({
    ...macho,
    arch: 'x86_64',
    load: () => createMachOBackend(archTargets.x86_64MachO()),
  });
  registry.registerDeferred({
    ...elf,
    arch: 'aarch64',
    load: () => createElfBackend(archTargets.aarch64Elf()),
  });
  registry.registerDeferred({
    ...elf,
    arch: 'aarch64_be',
    load: () => createElfBackend(archTargets.aarch64BEElf()),
  });
  registry.registerDeferred({
    ...macho,
    arch: 'arm64',
    load: () => createMachOBackend(archTargets.arm64MachO()),
  });
  registry.registerDeferred({
    ...coff,
    arch: 'x86_64',
    load: () => createCoffBackend(archTargets.x86_64Coff()),
  });
  registry.registerDeferred({
    ...coff,
    arch: 'aarch64',
    load: () => createCoffBackend(archTargets.aarch64Coff()),
  });
  return registry;
}
