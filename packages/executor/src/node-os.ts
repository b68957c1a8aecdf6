import type * as OS from 'node:os';

/**
 * Node's `os` module, loaded when first needed: imported at the top of a
 * module, it is compiled at every start of the `jitlink` command, which uses
 * it only for a temporary or home directory.
 */
export function nodeOS(): typeof OS {
  return process.getBuiltinModule('node:os') as typeof OS;
}
