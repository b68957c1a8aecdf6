/**
 * A MachO object's definitions read from its symbol table, without building a
 * graph: what createMachOLinkGraph's graph would define, by the same rules.
 */
import { definitionFlags, JITLinkError, Scope, type ObjectDefinitions } from '@jitlink/core';
import type { MachOArchSupport } from './arch-support.js';
import { checkMachOObject, isLoadedMachOSection, isMachOCommon, machoSymbolError, machoSymbolScope } from './builder.js';
import { N_ABS, N_INDR, N_SECT, N_STAB, N_TYPE, N_UNDF, N_WEAK_DEF, S_ATTR_PURE_INSTRUCTIONS, S_ATTR_SOME_INSTRUCTIONS } from './constants.js';
import { parseMachO } from './read/file.js';

/**
 * The named, non-local definitions of a thin MachO object with their flags, as
 * `graphDefinitions(createMachOLinkGraph(bytes))` gives them. The container
 * and the symbol table are checked as the builder checks them; relocations
 * are checked when the object is linked.
 */
export function readMachODefinitions(bytes: Uint8Array, arch: MachOArchSupport, name: string): ObjectDefinitions {
  const m = parseMachO(bytes, name);
  checkMachOObject(m, arch);
  const definitions: ObjectDefinitions = new Map();
  for (const sym of m.symbols) {
    if ((sym.type & N_STAB) !== 0) continue;
    const type = sym.type & N_TYPE;
    const scope = machoSymbolScope(sym);
    if (type === N_UNDF) {
      if (sym.name === '') machoSymbolError(m, sym, 'is undefined and has no name');
      if (isMachOCommon(sym)) {
        definitions.set(sym.name, {
          hidden: scope === Scope.Hidden,
          weak: true,
          callable: false,
          common: { size: sym.value, alignment: 2 ** ((sym.desc >>> 8) & 0xf) },
        });
      }
      continue;
    }
    if (type === N_INDR) {
      throw new JITLinkError('UnsupportedFeature', `symbol ${sym.name} is an indirect symbol (N_INDR)`, { file: name, offset: sym.entryOffset });
    }
    if (type !== N_ABS && type !== N_SECT) machoSymbolError(m, sym, `has unsupported type 0x${sym.type.toString(16)}`);
    const weak = (sym.desc & N_WEAK_DEF) !== 0;
    let callable = false;
    if (type === N_SECT) {
      const sec = m.sections[sym.sectionOrdinal - 1]!;
      if (!isLoadedMachOSection(sec)) continue;
      if (!(sym.value >= sec.address && sym.value <= sec.address + sec.size)) {
        machoSymbolError(m, sym, `value 0x${sym.value.toString(16)} is outside its section ${sec.fullName}`);
      }
      callable = (sec.flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS)) !== 0;
    }
    if (scope === Scope.Local || sym.name === '') continue;
    definitions.set(sym.name, definitionFlags(scope === Scope.Hidden, weak, callable));
  }
  return definitions;
}
