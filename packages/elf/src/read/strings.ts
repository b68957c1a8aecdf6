/** String tables: names decoded from SHT_STRTAB sections, whole tables decoded once. */
import { decodeName } from '@jitlink/core/internal';
import { SHT_STRTAB } from '../constants.js';
import { malformed, numbered } from './fields.js';
import type { ElfFile } from './file.js';
import type { ElfSectionHeader } from './sections.js';

// For ASCII tables only (where it equals UTF-8): one native call for the whole table.
const latin1 = new TextDecoder('latin1');
// (That decoder maps 0x80-0x9f above U+00FF, so test for any character past ASCII.)
const NON_ASCII = /[\u0080-\uffff]/;

// Names are decoded by core's decodeName, which keeps bytes that are not UTF-8 for messages to show.
export { decodeName };

/** Reads the NUL-terminated string at `offset` of string table `strtab`. */
export function readString(
  elf: ElfFile,
  strtab: ElfSectionHeader,
  offset: number,
  what: string,
  fieldOffset: number,
  /** Appended to `what` as " #index" in messages (built only on failure). */
  index?: number,
): string {
  const label = strtab.name || `#${strtab.index}`;
  if (strtab.type !== SHT_STRTAB) {
    malformed(
      elf.fileName,
      `string table for ${numbered(what, index)} has type ${strtab.type}, not SHT_STRTAB`,
      label,
      strtab.headerOffset,
    );
  }
  if (offset >= strtab.size) {
    malformed(
      elf.fileName,
      `name offset 0x${offset.toString(16)} of ${numbered(what, index)} is outside its string table ${label} (size 0x${strtab.size.toString(16)})`,
      label,
      fieldOffset,
    );
  }
  const bytes = elf.bytes;
  // Bounds were checked for SHT_STRTAB sections; the minimum keeps every read inside the file regardless.
  const limit = Math.min(strtab.offset + strtab.size, bytes.length);
  let text = elf.decodedStringTables.get(strtab.index);
  if (text === undefined) {
    const decoded = latin1.decode(bytes.subarray(Math.min(strtab.offset, limit), limit));
    text = NON_ASCII.test(decoded) ? null : decoded;
    elf.decodedStringTables.set(strtab.index, text);
  }
  if (text !== null) {
    const end = text.indexOf('\0', offset);
    if (end < 0) notTerminated(elf, strtab, what, index, fieldOffset);
    return text.slice(offset, end);
  }
  const start = strtab.offset + offset;
  let end = start;
  while (end < limit && bytes[end] !== 0) end++;
  if (end === limit) notTerminated(elf, strtab, what, index, fieldOffset);
  return decodeName(bytes, start, end);
}

function notTerminated(
  elf: ElfFile,
  strtab: ElfSectionHeader,
  what: string,
  index: number | undefined,
  fieldOffset: number,
): never {
  const label = strtab.name || `#${strtab.index}`;
  malformed(
    elf.fileName,
    `name of ${numbered(what, index)} runs past the end of string table ${label} (not NUL-terminated)`,
    label,
    fieldOffset,
  );
}
