/**
 * An ELF object's definitions read from its symbol table, without building a
 * graph: what createElfLinkGraph's graph would define, by the same rules.
 */
import { definitionFlags, Linkage, Scope, type ObjectDefinitions } from '@jitlink/core';
import type { ElfArchSupport } from './arch-support.js';
import {
  checkElfObjectHeader,
  checkElfSymbolKind,
  comdatMembership,
  elfCommonAlignment,
  elfDefinitionLinkage,
  elfSymbolError,
  elfSymbolScope,
  isLoadedElfSection,
} from './builder.js';
import { SHN_ABS, SHN_COMMON, SHN_UNDEF, STB_WEAK, STT_FILE, STT_FUNC, STT_SECTION } from './constants.js';
import { parseElf } from './reader.js';

/**
 * The named, non-local definitions of an ELF relocatable object, with their
 * flags, as `graphDefinitions(createElfLinkGraph(bytes))` gives them. Symbols
 * are checked as the builder checks them; relocations are not read.
 */
export function readElfDefinitions(bytes: Uint8Array, arch: ElfArchSupport, name: string): ObjectDefinitions {
  const elf = parseElf(bytes, name);
  checkElfObjectHeader(elf, arch);
  const inComdat = comdatMembership(elf);
  const definitions: ObjectDefinitions = new Map();
  const symbols = elf.symbols;
  for (let i = 1; i < symbols.length; i++) {
    const sym = symbols[i]!;
    if (sym.type === STT_FILE) continue;
    checkElfSymbolKind(elf, sym);
    const shndx = sym.sectionIndex;
    if (shndx === SHN_UNDEF) continue;
    const scope = elfSymbolScope(sym);
    if (shndx === SHN_COMMON) {
      const alignment = elfCommonAlignment(elf, sym);
      if (scope !== Scope.Local) {
        definitions.set(sym.name, {
          hidden: scope === Scope.Hidden,
          weak: true,
          callable: false,
          common: { size: sym.size, alignment },
        });
      }
      continue;
    }
    if (sym.type === STT_SECTION) continue;
    if (shndx === SHN_ABS) {
      if (scope !== Scope.Local && sym.name !== '')
        definitions.set(sym.name, definitionFlags(scope === Scope.Hidden, sym.binding === STB_WEAK, false));
      continue;
    }
    const sec = elf.sections[shndx]!;
    if (!isLoadedElfSection(sec)) continue;
    const offset = sym.value - sec.address;
    if (!(offset >= 0 && offset <= sec.size)) {
      elfSymbolError(elf, sym, `value 0x${sym.value.toString(16)} is outside its section ${sec.name} (size 0x${sec.size.toString(16)})`);
    }
    if (scope === Scope.Local || sym.name === '') continue;
    const weak = elfDefinitionLinkage(sym, inComdat[shndx] === 1) === Linkage.Weak;
    definitions.set(sym.name, definitionFlags(scope === Scope.Hidden, weak, sym.type === STT_FUNC));
  }
  return definitions;
}
