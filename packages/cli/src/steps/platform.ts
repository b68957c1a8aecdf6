/**
 * Platform: static initializers and finalizers, exit handlers and unwind
 * registration for the linked code. It also defines atexit, __cxa_atexit and
 * __dso_handle, which -noexec links need too. MachO objects run as
 * llvm-jitlink runs them on Linux: their initializer tables run too; so do
 * COFF objects' (.CRT$XI*, .CRT$XC*, .ctors; at exit .CRT$XP*, .CRT$XT*, .dtors).
 */
import { ElfPlatform } from '@jitlink/orc/elf';
import { MachOPlatform } from '@jitlink/orc/macho';
import { CoffPlatform } from '@jitlink/orc/coff';
import type { ResourceTracker } from '@jitlink/orc';
import type { LinkSession } from './session.js';

export interface Platform {
  runInitializers(): Promise<void>;
  runFinalizers(): Promise<void>;
  /** Forgets the pending initializers of what `tracker` holds (a replaced object's new version). */
  discardInitializers(tracker: ResourceTracker): void;
}

export async function setUpPlatform(ls: LinkSession): Promise<Platform> {
  const elf = await ElfPlatform.create(ls.layer, ls.main, ls.executor);
  const macho = MachOPlatform.create(ls.layer, ls.executor);
  const coff = CoffPlatform.create(ls.layer, ls.main, ls.executor);
  return {
    async runInitializers() {
      await elf.runInitializers();
      await macho.runInitializers();
      await coff.runInitializers();
    },
    async runFinalizers() {
      await coff.runFinalizers();
      await macho.runFinalizers();
      await elf.runFinalizers();
    },
    discardInitializers(tracker) {
      elf.discardInitializers(tracker);
      macho.discardInitializers(tracker);
      coff.discardInitializers(tracker);
    },
  };
}
