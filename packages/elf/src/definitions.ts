/**
 * An ELF object's definitions read from its symbol table, without building a
 * graph: what createElfLinkGraph's graph would define, by the same rules.
 */
import { definitionFlags, Linkage, Scope, type DefinitionFlags, type ObjectDefinitions } from '@jitlink/core';
import type { ElfArchSupport } from './arch-support.js';
import {
  checkElfObjectHeader,
  checkElfSymbolKind,
  elfCommonAlignment,
  elfDefinitionLinkage,
  elfSymbolError,
  elfSymbolScope,
  isLoadedElfSection,
} from './builder.js';
import { SHN_ABS, SHN_COMMON, SHN_UNDEF, STB_LOCAL, STB_WEAK, STT_FILE, STT_FUNC, STT_SECTION } from './constants.js';
import { ownNames } from './read/strings.js';
import { parseElf, scanElfSymbols, scanParsedElf, type ElfFile, type ElfSymbol, type ElfSymbolScan } from './reader.js';

/**
 * The named, non-local definitions of an ELF relocatable object, with their
 * flags, as `graphDefinitions(createElfLinkGraph(bytes))` gives them. The
 * symbol table and the sections definitions lie in are checked as the builder
 * checks them; other sections and relocations are checked when linking.
 */
export function readElfDefinitions(bytes: Uint8Array, arch: ElfArchSupport, name: string): ObjectDefinitions {
  // Entry by entry, with only the section headers definitions lie in: no full parse.
  return definitionsOfScan(scanElfSymbols(bytes, name), arch);
}

/** An object parsed whole for its definitions, kept for building its graph (CreateLinkGraphOptions.parsed). */
export interface ParsedElf {
  readonly format: 'elf';
  readonly elf: ElfFile;
}

/**
 * The definitions readElfDefinitions gives, from a full parse that the graph's
 * build can reuse (`parsed`). A file that does not parse whole is read as
 * readElfDefinitions reads it, without `parsed`: what it does not look at is
 * reported when the graph is built, as before.
 */
export function readElfObject(
  bytes: Uint8Array,
  arch: ElfArchSupport,
  name: string,
): { definitions: ObjectDefinitions; parsed?: ParsedElf } {
  let elf: ElfFile;
  try {
    elf = parseElf(bytes, name);
  } catch {
    return { definitions: readElfDefinitions(bytes, arch, name) };
  }
  return { definitions: definitionsOfScan(scanParsedElf(elf), arch), parsed: { format: 'elf', elf } };
}

function definitionsOfScan(scan: ElfSymbolScan, arch: ElfArchSupport): ObjectDefinitions {
  const elf = scan.elf;
  checkElfObjectHeader(elf, arch);
  // Names and flags in the order found; the names are made strings of their own at the end, all at once.
  const names: string[] = [];
  const flagsOfNames: DefinitionFlags[] = [];
  const visit = (sym: ElfSymbol): void => {
    if (sym.type === STT_FILE) return;
    checkElfSymbolKind(elf, sym);
    const shndx = sym.sectionIndex;
    if (shndx === SHN_UNDEF) return;
    const scope = elfSymbolScope(sym);
    if (shndx === SHN_COMMON) {
      const alignment = elfCommonAlignment(elf, sym);
      if (scope !== Scope.Local) {
        names.push(sym.name);
        flagsOfNames.push({ hidden: scope === Scope.Hidden, weak: true, callable: false, common: { size: sym.size, alignment } });
      }
      return;
    }
    if (sym.type === STT_SECTION) return;
    if (shndx === SHN_ABS) {
      if (scope !== Scope.Local && sym.name !== '') {
        names.push(sym.name);
        flagsOfNames.push(definitionFlags(scope === Scope.Hidden, sym.binding === STB_WEAK, false));
      }
      return;
    }
    // Local definitions matter only for their checks: the builder reports them too.
    const sec = scan.section(shndx);
    if (!isLoadedElfSection(sec)) return;
    const offset = sym.value - sec.address;
    if (!(offset >= 0 && offset <= sec.size)) {
      elfSymbolError(elf, sym, `value 0x${sym.value.toString(16)} is outside its section ${sec.name} (size 0x${sec.size.toString(16)})`);
    }
    if (scope === Scope.Local || sym.name === '') return;
    const weak = elfDefinitionLinkage(sym, scan.inComdat[shndx] === 1) === Linkage.Weak;
    names.push(sym.name);
    flagsOfNames.push(definitionFlags(scope === Scope.Hidden, weak, sym.type === STT_FUNC));
  };
  scan.forEachSymbol(isDefinition, (sym) => {
    try {
      visit(sym);
    } catch (error) {
      // Report a malformed entry as the builder does: with its name.
      if (sym.name === '') {
        sym.name = scan.nameOf(sym);
        visit(sym);
      }
      throw error;
    }
  });
  // The session keeps these names as long as the object is registered: not slices of its string table.
  const owned = ownNames(names);
  const definitions: ObjectDefinitions = new Map();
  for (let i = 0; i < owned.length; i++) definitions.set(owned[i]!, flagsOfNames[i]!);
  return definitions;
}

/** Entries whose names are read: non-local definitions. */
function isDefinition(binding: number, sectionIndex: number): boolean {
  return binding !== STB_LOCAL && sectionIndex !== SHN_UNDEF;
}
