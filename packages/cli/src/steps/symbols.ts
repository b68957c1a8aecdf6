/**
 * Symbol resolution around the inputs: each JITDylib's link order, -alias
 * re-exports, -abs definitions, and the generators for this process's
 * symbols (unless -no-process-syms) and -phony-externals.
 */
import { addressFromBigInt, JITLinkError, type BackendRegistry } from '@jitlink/core';
import { absoluteSymbols, PhonyExternalsGenerator, ProcessSymbolsGenerator, reexports, type JITDylib } from '@jitlink/orc';
import { DarwinNameGenerator } from '@jitlink/orc/macho';
import { parseAlias, type CliOptions } from '../options.js';
import type { LoadedInputs } from './inputs.js';
import type { LinkSession } from './session.js';

/** -alias [<jd>:]<alias>=[<jd>:]<target>: a re-export, defined where the alias names (or the current dylib). */
function defineAlias(ls: LinkSession, dylib: JITDylib, text: string): void {
  const spec = parseAlias(text);
  const named = (name: string | undefined, fallback: JITDylib): JITDylib => {
    if (name === undefined) return fallback;
    const d = ls.session.getJITDylibByName(name);
    if (!d) throw new JITLinkError('InvalidArgument', `In alias definition "${text}" no dylib named ${name}`);
    return d;
  };
  const aliasDylib = named(spec.aliasDylib, dylib);
  aliasDylib.define(reexports(named(spec.targetDylib, aliasDylib), [[spec.alias, spec.target]]));
}

/** `name` as given, then as each registered backend mangles it (MachO: `_name`), without repeats. */
export function spellingsOf(registry: BackendRegistry, name: string): string[] {
  return registry.spellingsOf(name);
}

export function defineSymbols(options: CliOptions, ls: LinkSession, inputs: LoadedInputs): void {
  const { dylibs } = inputs;
  // Every dylib searches the others after itself, in creation order.
  for (const d of dylibs) d.setLinkOrder(dylibs);
  for (const { dylib, text } of inputs.aliases) defineAlias(ls, dylib, text);
  for (const { name, address } of options.absolutes) {
    ls.main.defineAbsolute(absoluteSymbols([[name, addressFromBigInt(address, `address of ${name}`)]]));
  }
  if (!options.noProcessSyms) {
    // The entry point must come from the linked code, never from this process (Node's own main).
    const notFromProcess = new Set([...spellingsOf(ls.registry, options.entry), ...spellingsOf(ls.registry, 'main')]);
    for (const d of dylibs) {
      d.addGenerator(new ProcessSymbolsGenerator(ls.executor, (n) => !notFromProcess.has(n)));
      // MachO objects name C symbols with Darwin's leading underscore: _printf is the host's printf.
      d.addGenerator(new DarwinNameGenerator(ls.executor, (n) => !notFromProcess.has(n)));
    }
  }
  if (options.phonyExternals) for (const d of dylibs) d.addGenerator(new PhonyExternalsGenerator());
}
