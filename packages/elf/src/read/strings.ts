/** String tables: names decoded from SHT_STRTAB sections, whole tables decoded once. */
import { asciiTableText, decodeName } from '@jitlink/core/internal';
import { SHT_STRTAB } from '../constants.js';
import { malformed, numbered } from './fields.js';
import type { ElfFile } from './file.js';
import type { ElfSectionHeader } from './sections.js';


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
  if (strtab.type !== SHT_STRTAB) {
    const label = tableLabel(strtab);
    malformed(
      elf.fileName,
      `string table for ${numbered(what, index)} has type ${strtab.type}, not SHT_STRTAB`,
      label,
      strtab.headerOffset,
    );
  }
  if (offset >= strtab.size) {
    const label = tableLabel(strtab);
    malformed(
      elf.fileName,
      `name offset 0x${offset.toString(16)} of ${numbered(what, index)} is outside its string table ${label} (size 0x${strtab.size.toString(16)})`,
      label,
      fieldOffset,
    );
  }
  const text = stringTableText(elf, strtab);
  if (text !== null) {
    const end = text.indexOf('\0', offset);
    if (end < 0) notTerminated(elf, strtab, what, index, fieldOffset);
    return text.slice(offset, end);
  }
  const bytes = elf.bytes;
  const limit = Math.min(strtab.offset + strtab.size, bytes.length);
  const start = strtab.offset + offset;
  let end = start;
  while (end < limit && bytes[end] !== 0) end++;
  if (end === limit) notTerminated(elf, strtab, what, index, fieldOffset);
  return decodeName(bytes, start, end);
}

/**
 * Strings of their own with the text of `names`, in order. A substring of 13
 * characters or more is, in V8, a slice that keeps the whole string it was
 * taken from alive: names the session keeps after their object (its
 * definitions, and references that a generator defines) must not be slices
 * of a decoded string table. One JSON round trip copies them all in two
 * native calls, any text included; a call per name costs more than the
 * copies.
 */
export function ownNames(names: string[]): string[] {
  return names.length === 0 ? names : (JSON.parse(JSON.stringify(names)) as string[]);
}

/** Below this length, V8 copies a substring rather than slice it: it is a string of its own already. */
export const MIN_SLICE_LENGTH = 13;

/**
 * String table `strtab` decoded whole (once per table), or null when it holds
 * bytes past ASCII (its names are then decoded one by one by readString).
 * A name at offset `o` of an ASCII table is `text.slice(o, text.indexOf('\0', o))`.
 */
export function stringTableText(elf: ElfFile, strtab: ElfSectionHeader): string | null {
  let text = elf.decodedStringTables.get(strtab.index);
  if (text === undefined) {
    const bytes = elf.bytes;
    // Bounds were checked for SHT_STRTAB sections; the minimum keeps every read inside the file regardless.
    const limit = Math.min(strtab.offset + strtab.size, bytes.length);
    // One native call decodes and checks the whole table: in an ASCII table, byte offsets are text offsets.
    text = asciiTableText(bytes, Math.min(strtab.offset, limit), limit) ?? null;
    elf.decodedStringTables.set(strtab.index, text);
  }
  return text;
}

function notTerminated(
  elf: ElfFile,
  strtab: ElfSectionHeader,
  what: string,
  index: number | undefined,
  fieldOffset: number,
): never {
  const label = tableLabel(strtab);
  malformed(
    elf.fileName,
    `name of ${numbered(what, index)} runs past the end of string table ${label} (not NUL-terminated)`,
    label,
    fieldOffset,
  );
}

/** How messages name a string table: its name, or its number when it has none. */
function tableLabel(strtab: ElfSectionHeader): string {
  return strtab.name || `#${strtab.index}`;
}
