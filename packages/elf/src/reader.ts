/**
 * The ELF reader's public face. Each concern lives in its own module under
 * `read/`: the header, section headers, string tables, the symbol table, the
 * symbol scan (definitions without a full parse), relocations and groups;
 * `read/file.ts` puts them together into `parseElf`.
 */
export { parseElf, type ElfFile } from './read/file.js';
export type { ElfHeader } from './read/header.js';
export { sectionContent, type ElfSectionHeader } from './read/sections.js';
export { decodeName, readString } from './read/strings.js';
export type { ElfSymbol, ElfSymbolColumns } from './read/symbols.js';
export { readElfSymbolScanRanges, scanElfSymbols, scanParsedElf, type ElfSymbolScan } from './read/symbol-scan.js';
export { readRelocation, relocationSymbolIndex, type ElfRawRelocation, type ElfRelocationSection } from './read/relocations.js';
export type { ElfSectionGroup } from './read/groups.js';
