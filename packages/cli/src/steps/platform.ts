/**
 * Platform: static initializers and finalizers, exit handlers and unwind
 * registration for the linked code. It also defines atexit, __cxa_atexit and
 * __dso_handle, which -noexec links need too.
 */
import { ElfPlatform } from '@jitlink/orc/elf';
import type { LinkSession } from './session.js';

export interface Platform {
  runInitializers(): Promise<void>;
  runFinalizers(): Promise<void>;
}

export async function setUpPlatform(ls: LinkSession): Promise<Platform> {
  return ElfPlatform.create(ls.layer, ls.main, ls.executor);
}
