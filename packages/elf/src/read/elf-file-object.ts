/** The object behind every ElfFile: plain fields, and `symbols` built on first use. */
import type { ElfFile } from './file.js';
import type { ElfSectionGroup } from './groups.js';
import type { ElfHeader } from './header.js';
import type { ElfRelocationSection } from './relocations.js';
import type { ElfSectionHeader } from './sections.js';
import { symbolList, type ElfSymbol, type ElfSymbolColumns } from './symbols.js';

// A class rather than a literal with a getter: such a literal is built by a
// slow path, and its fields are read more slowly.
export class ElfFileObject implements ElfFile {
  sections: ElfSectionHeader[] = [];
  symbolTable: ElfSectionHeader | undefined = undefined;
  symbolColumns: ElfSymbolColumns | undefined = undefined;
  relocationSections: ElfRelocationSection[] = [];
  groups: ElfSectionGroup[] = [];
  decodedStringTables = new Map<number, string | null>();

  constructor(
    readonly fileName: string,
    readonly bytes: Uint8Array,
    readonly view: DataView,
    readonly header: ElfHeader,
  ) {}

  get symbols(): ElfSymbol[] {
    return symbolList(this);
  }
}
