/**
 * Writes small COFF objects for tests that need what no compiler emits
 * (REL32_3, rejected relocation types) or malformed input. Real objects come
 * from test-corpus/obj.
 */
export interface TestSection {
  name: string;
  characteristics: number;
  content: Uint8Array;
  relocations?: { offset: number; symbolIndex: number; type: number }[];
}

export interface TestSymbol {
  name: string;
  value: number;
  sectionNumber: number;
  type?: number;
  storageClass: number;
  /** Raw auxiliary records, 18 bytes each. */
  aux?: Uint8Array[];
}

export const TEXT = 0x60500020; // CNT_CODE | ALIGN_16BYTES | MEM_EXECUTE | MEM_READ
export const DATA = 0xc0300040; // INITIALIZED_DATA | ALIGN_4BYTES | MEM_READ | MEM_WRITE

/** A regular (not bigobj) COFF object for `machine`. */
export function writeCoff(machine: number, sections: TestSection[], symbols: TestSymbol[]): Uint8Array {
  const strings: number[] = [];
  const longName = (name: string): number => {
    const offset = 4 + strings.length;
    for (const b of new TextEncoder().encode(name)) strings.push(b);
    strings.push(0);
    return offset;
  };
  let cursor = 20 + sections.length * 40;
  const layout = sections.map((s) => {
    const contentAt = cursor;
    cursor += s.content.length;
    const relocAt = cursor;
    cursor += (s.relocations?.length ?? 0) * 10;
    return { contentAt, relocAt };
  });
  const symbolTable = cursor;
  const symbolCount = symbols.reduce((n, s) => n + 1 + (s.aux?.length ?? 0), 0);
  cursor += symbolCount * 18;
  const nameFields = symbols.map((s) => (s.name.length > 8 ? longName(s.name) : -1));
  const sectionNames = sections.map((s) => (s.name.length > 8 ? longName(s.name) : -1));
  const out = new Uint8Array(cursor + 4 + strings.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, machine, true);
  view.setUint16(2, sections.length, true);
  view.setUint32(8, symbolTable, true);
  view.setUint32(12, symbolCount, true);
  sections.forEach((s, i) => {
    const at = 20 + i * 40;
    if (sectionNames[i]! >= 0) out.set(new TextEncoder().encode(`/${sectionNames[i]}`), at);
    else out.set(new TextEncoder().encode(s.name), at);
    view.setUint32(at + 16, s.content.length, true);
    view.setUint32(at + 20, s.content.length === 0 ? 0 : layout[i]!.contentAt, true);
    view.setUint32(at + 24, s.relocations?.length ? layout[i]!.relocAt : 0, true);
    view.setUint16(at + 32, s.relocations?.length ?? 0, true);
    view.setUint32(at + 36, s.characteristics, true);
    out.set(s.content, layout[i]!.contentAt);
    (s.relocations ?? []).forEach((r, j) => {
      const ra = layout[i]!.relocAt + j * 10;
      view.setUint32(ra, r.offset, true);
      view.setUint32(ra + 4, r.symbolIndex, true);
      view.setUint16(ra + 8, r.type, true);
    });
  });
  let at = symbolTable;
  symbols.forEach((s, i) => {
    if (nameFields[i]! >= 0) view.setUint32(at + 4, nameFields[i]!, true);
    else out.set(new TextEncoder().encode(s.name), at);
    view.setUint32(at + 8, s.value, true);
    view.setInt16(at + 12, s.sectionNumber, true);
    view.setUint16(at + 14, s.type ?? 0, true);
    out[at + 16] = s.storageClass;
    out[at + 17] = s.aux?.length ?? 0;
    at += 18;
    for (const aux of s.aux ?? []) {
      out.set(aux, at);
      at += 18;
    }
  });
  view.setUint32(cursor, 4 + strings.length, true);
  out.set(strings, cursor + 4);
  return out;
}
