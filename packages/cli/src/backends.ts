/**
 * The backends this command links with: the only module of the command that
 * names an object format or architecture. Everything else asks the registry,
 * by a graph's triple, for what the backend supplies.
 */
import { BackendRegistry } from '@jitlink/core';
import { createCoffBackend } from '@jitlink/coff';
import { createElfBackend } from '@jitlink/elf';
import { x86_64Coff } from '@jitlink/arch-x86-64/coff';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { createMachOBackend } from '@jitlink/macho';
import { x86_64MachO } from '@jitlink/arch-x86-64/macho';
import { aarch64BEElf, aarch64Elf } from '@jitlink/arch-arm64/elf';
import { arm64MachO } from '@jitlink/arch-arm64/macho';
import { aarch64Coff } from '@jitlink/arch-arm64/coff';

/** Backends this command knows. */
export function createDefaultRegistry(): BackendRegistry {
  const registry = new BackendRegistry();
  registry.register(createElfBackend(x86_64Elf));
  registry.register(createMachOBackend(x86_64MachO));
  registry.register(createElfBackend(aarch64Elf));
  registry.register(createElfBackend(aarch64BEElf));
  registry.register(createMachOBackend(arm64MachO));
  registry.register(createCoffBackend(x86_64Coff));
  registry.register(createCoffBackend(aarch64Coff));
  return registry;
}
