/**
 * A COFF object's definitions, read from its section and symbol tables
 * without building its graph (archive members are registered from them and
 * built only when linked). The rules are the builder's: COMDAT leaders are
 * weak unless NODUPLICATES, weak externals with a default defined here are
 * weak definitions, `/alternatename` aliases, commons, mingw's `__main` hook.
 */
import {
  definitionFlags,
  JITLinkError,
  type DefinitionFlags,
  type ObjectDefinitions,
  type PartialObject,
} from '@jitlink/core';
import type { CoffArchSupport } from './arch-support.js';
import { IMPORT_PREFIX, isLoadedCoffSection, MINGW_MAIN_HOOK } from './builder.js';
import {
  IMAGE_COMDAT_SELECT_ASSOCIATIVE,
  IMAGE_COMDAT_SELECT_NODUPLICATES,
  IMAGE_SCN_CNT_CODE,
  IMAGE_SCN_LNK_COMDAT,
  IMAGE_SYM_ABSOLUTE,
  IMAGE_SYM_CLASS_EXTERNAL,
  IMAGE_SYM_CLASS_FILE,
  IMAGE_SYM_CLASS_LABEL,
  IMAGE_SYM_CLASS_STATIC,
  IMAGE_SYM_CLASS_WEAK_EXTERNAL,
  IMAGE_SYM_DEBUG,
  IMAGE_SYM_DTYPE_FUNCTION,
  IMAGE_SYM_UNDEFINED,
} from './constants.js';
import { parseCoff, type CoffSymbol } from './read/file.js';
import { readCoffHeader } from './read/header.js';

/** What a symbol-table entry stands for, as far as the definitions need it. */
interface Entry {
  name: string;
  defined: boolean;
  callable: boolean;
}

/** The definitions `graphDefinitions(createCoffLinkGraph(bytes, arch))` gives, read from the tables only. */
export function readCoffDefinitions(bytes: Uint8Array, arch: CoffArchSupport, fileName: string): ObjectDefinitions {
  const coff = parseCoff(bytes, fileName, { relocations: false });
  if (coff.header.machine !== arch.machine) {
    throw new JITLinkError(
      'UnsupportedArchitecture',
      `COFF machine 0x${coff.header.machine.toString(16)} does not match ${arch.packageName} (${arch.arch}, machine 0x${arch.machine.toString(16)})`,
      { file: fileName, offset: coff.header.bigobj ? 6 : 0 },
    );
  }
  const definitions: ObjectDefinitions = new Map();
  const entries: (Entry | undefined)[] = new Array(coff.symbols.length);
  /** Undefined names (references) by name, with whether they are called. */
  const externals = new Map<string, boolean>();
  const definedNames = new Set<string>();
  /** COMDAT sections: whether their leader has been seen. */
  const comdats = new Map<number, { selection: number; led: boolean }>();
  const weakExternals: CoffSymbol[] = [];
  const define = (name: string, flags: DefinitionFlags): void => {
    definitions.set(name, flags);
  };

  for (const cs of coff.symbols) {
    if (cs === undefined) continue;
    const sec = cs.sectionNumber > 0 ? coff.sections[cs.sectionNumber - 1]! : undefined;
    if (cs.sectionDefinition !== undefined && sec !== undefined && (sec.characteristics & IMAGE_SCN_LNK_COMDAT) !== 0) {
      if (!comdats.has(sec.number)) comdats.set(sec.number, { selection: cs.sectionDefinition.selection, led: false });
    }
    if (cs.storageClass === IMAGE_SYM_CLASS_FILE || cs.sectionNumber === IMAGE_SYM_DEBUG) continue;
    if (cs.storageClass === IMAGE_SYM_CLASS_WEAK_EXTERNAL) {
      weakExternals.push(cs);
      continue;
    }
    if (cs.sectionNumber === IMAGE_SYM_UNDEFINED) {
      if (cs.value !== 0) {
        // A common symbol: alignment from -aligncomm, else the size's natural one up to 32.
        const log2 = coff.directives.commonAlignments.get(cs.name);
        let alignment = 1;
        if (log2 !== undefined) alignment = 2 ** log2;
        else while (alignment < 32 && alignment * 2 <= cs.value) alignment *= 2;
        define(cs.name, { hidden: false, weak: true, callable: false, common: { size: cs.value, alignment } });
        entries[cs.index] = { name: cs.name, defined: true, callable: false };
        definedNames.add(cs.name);
        continue;
      }
      const callable = cs.type >> 4 === IMAGE_SYM_DTYPE_FUNCTION;
      externals.set(cs.name, (externals.get(cs.name) ?? false) || callable);
      if (cs.name.startsWith(IMPORT_PREFIX) && cs.name.length > IMPORT_PREFIX.length) externals.set(cs.name.slice(IMPORT_PREFIX.length), true);
      entries[cs.index] = { name: cs.name, defined: false, callable };
      continue;
    }
    const external = cs.storageClass === IMAGE_SYM_CLASS_EXTERNAL;
    if (cs.sectionNumber === IMAGE_SYM_ABSOLUTE) {
      if (external) define(cs.name, definitionFlags(false, false, false));
      entries[cs.index] = { name: cs.name, defined: false, callable: false };
      continue;
    }
    if (!external && cs.storageClass !== IMAGE_SYM_CLASS_STATIC && cs.storageClass !== IMAGE_SYM_CLASS_LABEL) continue;
    // A section number below -2 names no section: skipped, as the graph builder skips it.
    if (sec === undefined || !isLoadedCoffSection(sec)) continue;
    const callable = cs.type >> 4 === IMAGE_SYM_DTYPE_FUNCTION || (sec.characteristics & IMAGE_SCN_CNT_CODE) !== 0;
    if (cs.sectionDefinition !== undefined || (cs.storageClass === IMAGE_SYM_CLASS_STATIC && cs.value === 0 && cs.name === sec.name)) {
      // The section's own symbol: an anonymous definition of the whole section.
      entries[cs.index] = { name: cs.name, defined: true, callable: false };
      continue;
    }
    let weak = false;
    const comdat = comdats.get(cs.sectionNumber);
    if (comdat !== undefined && !comdat.led && comdat.selection !== IMAGE_COMDAT_SELECT_ASSOCIATIVE) {
      if (external) weak = comdat.selection !== IMAGE_COMDAT_SELECT_NODUPLICATES;
      comdat.led = true;
    }
    entries[cs.index] = { name: cs.name, defined: true, callable };
    definedNames.add(cs.name);
    if (external) define(cs.name, definitionFlags(false, weak, callable));
  }

  for (const cs of weakExternals) {
    const tag = cs.weakExternal === undefined ? undefined : entries[cs.weakExternal.tagIndex];
    if (tag?.defined) {
      // Defined at its default; an earlier reference of the same name keeps its callable flag.
      const referenced = externals.get(cs.name);
      externals.delete(cs.name);
      define(cs.name, definitionFlags(false, true, referenced ?? tag.callable));
      definedNames.add(cs.name);
    } else if (!externals.has(cs.name)) {
      externals.set(cs.name, false);
    }
  }

  for (const [from, to] of coff.directives.alternateNames) {
    const called = externals.get(from);
    if (called === undefined || !definedNames.has(to)) continue;
    externals.delete(from);
    define(from, definitionFlags(false, true, called));
  }

  if (externals.has(MINGW_MAIN_HOOK)) define(MINGW_MAIN_HOOK, definitionFlags(true, true, true));
  return definitions;
}

/**
 * Reads into `object` the ranges readCoffDefinitions looks at: the header,
 * the section table, the symbol and string tables, and `.drectve`'s content.
 */
export function readCoffDefinitionRanges(object: PartialObject, fileName: string): void {
  const header = readCoffHeader(object.bytes, fileName);
  object.read(header.sectionTableOffset, header.numberOfSections * 40);
  const symbolTableSize = header.numberOfSymbols * header.symbolSize;
  object.read(header.pointerToSymbolTable, symbolTableSize + 4);
  const stringTableAt = header.pointerToSymbolTable + symbolTableSize;
  if (header.pointerToSymbolTable !== 0 && stringTableAt + 4 <= object.size) {
    const view = new DataView(object.bytes.buffer, object.bytes.byteOffset, object.bytes.byteLength);
    object.read(stringTableAt, view.getUint32(stringTableAt, true));
  }
  // Section names may live in the string table: read it before looking for .drectve.
  const coff = parseCoff(object.bytes, fileName, { relocations: false });
  const drectve = coff.sections.find((s) => s.name === '.drectve');
  if (drectve !== undefined) object.read(drectve.pointerToRawData, drectve.sizeOfRawData);
}
