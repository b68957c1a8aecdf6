/** Test-only: writes small ELF relocatable objects (ELF32/ELF64, either byte order). */

export interface WriterSection {
  name: string;
  type: number;
  flags: number;
  content?: Uint8Array;
  /** For SHT_NOBITS. */
  size?: number;
  align?: number;
  /** For SHT_GROUP: member section names, and the signature symbol name. */
  groupMembers?: string[];
  groupSignature?: string;
}

export interface WriterSymbol {
  name: string;
  value?: number;
  size?: number;
  type?: number;
  bind?: number;
  visibility?: number;
  /** A section name, or a numeric special index (0 = undefined, 0xfff1 = abs, 0xfff2 = common). */
  section: string | number;
}

export interface WriterRelocation {
  section: string;
  offset: number;
  type: number;
  /** 1-based index into `symbols` (0 = no symbol). */
  symbol: number;
  addend?: number;
  rel?: boolean;
}

export interface WriterInput {
  bits: 32 | 64;
  endianness: 'little' | 'big';
  machine: number;
  sections: WriterSection[];
  symbols: WriterSymbol[];
  relocations?: WriterRelocation[];
}

export function writeElf(input: WriterInput): Uint8Array {
  const is64 = input.bits === 64;
  const le = input.endianness === 'little';
  const relocs = input.relocations ?? [];
  // Section list: null, user sections, relocation sections, .symtab, .strtab, .shstrtab.
  type Out = { name: string; type: number; flags: number; data: Uint8Array; size: number; align: number; link: number; info: number; entsize: number };
  const out: Out[] = [{ name: '', type: 0, flags: 0, data: new Uint8Array(0), size: 0, align: 0, link: 0, info: 0, entsize: 0 }];
  const indexOf = (name: string): number => {
    const i = out.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`no section ${name}`);
    return i;
  };
  for (const s of input.sections) {
    out.push({ name: s.name, type: s.type, flags: s.flags, data: s.content ?? new Uint8Array(0), size: s.size ?? s.content?.length ?? 0, align: s.align ?? 1, link: 0, info: 0, entsize: 0 });
  }
  const relGroups = new Map<string, WriterRelocation[]>();
  for (const r of relocs) relGroups.set(`${r.rel ? '.rel' : '.rela'}${r.section}`, [...(relGroups.get(`${r.rel ? '.rel' : '.rela'}${r.section}`) ?? []), r]);
  const relFirst = out.length;
  for (const name of relGroups.keys()) out.push({ name, type: name.startsWith('.rela') ? 4 : 9, flags: 0x40, data: new Uint8Array(0), size: 0, align: is64 ? 8 : 4, link: 0, info: 0, entsize: 0 });
  const symtabIndex = out.length;
  out.push({ name: '.symtab', type: 2, flags: 0, data: new Uint8Array(0), size: 0, align: is64 ? 8 : 4, link: symtabIndex + 1, info: 1, entsize: is64 ? 24 : 16 });
  out.push({ name: '.strtab', type: 3, flags: 0, data: new Uint8Array(0), size: 0, align: 1, link: 0, info: 0, entsize: 0 });
  out.push({ name: '.shstrtab', type: 3, flags: 0, data: new Uint8Array(0), size: 0, align: 1, link: 0, info: 0, entsize: 0 });

  const strtab = (names: string[]): { data: Uint8Array; offsets: number[] } => {
    const bytes: number[] = [0];
    const offsets = names.map((n) => {
      if (n === '') return 0;
      const at = bytes.length;
      for (const c of new TextEncoder().encode(n)) bytes.push(c);
      bytes.push(0);
      return at;
    });
    return { data: Uint8Array.from(bytes), offsets };
  };
  const w = (size: number) => {
    const data = new Uint8Array(size);
    const view = new DataView(data.buffer);
    return {
      data,
      u8: (at: number, v: number) => view.setUint8(at, v),
      u16: (at: number, v: number) => view.setUint16(at, v, le),
      u32: (at: number, v: number) => view.setUint32(at, v >>> 0, le),
      word: (at: number, v: number) => (is64 ? view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), le) : view.setUint32(at, v >>> 0, le)),
    };
  };

  // Symbols: locals first (the symbol table's sh_info is the first non-local).
  const syms = input.symbols;
  const symNames = strtab(syms.map((s) => s.name));
  const symEnt = is64 ? 24 : 16;
  const st = w(symEnt * (syms.length + 1));
  syms.forEach((s, k) => {
    const at = (k + 1) * symEnt;
    const shndx = typeof s.section === 'number' ? s.section : indexOf(s.section);
    const info = ((s.bind ?? 1) << 4) | (s.type ?? 0);
    st.u32(at, symNames.offsets[k]!);
    if (is64) {
      st.u8(at + 4, info);
      st.u8(at + 5, s.visibility ?? 0);
      st.u16(at + 6, shndx);
      st.word(at + 8, s.value ?? 0);
      st.word(at + 16, s.size ?? 0);
    } else {
      st.word(at + 4, s.value ?? 0);
      st.word(at + 8, s.size ?? 0);
      st.u8(at + 12, info);
      st.u8(at + 13, s.visibility ?? 0);
      st.u16(at + 14, shndx);
    }
  });
  out[symtabIndex]!.data = st.data;
  out[symtabIndex]!.info = syms.findIndex((s) => (s.bind ?? 1) !== 0) + 1 || syms.length + 1;
  out[symtabIndex + 1]!.data = symNames.data;

  // Groups.
  input.sections.forEach((s, k) => {
    if (s.groupMembers === undefined) return;
    const g = w(4 + 4 * s.groupMembers.length);
    g.u32(0, 1);
    s.groupMembers.forEach((m, j) => g.u32(4 + 4 * j, indexOf(m)));
    const o = out[k + 1]!;
    o.data = g.data;
    o.link = symtabIndex;
    o.info = syms.findIndex((x) => x.name === s.groupSignature) + 1;
    o.entsize = 4;
  });

  // Relocations.
  [...relGroups.entries()].forEach(([name, list], k) => {
    const o = out[relFirst + k]!;
    const rela = o.type === 4;
    const ent = is64 ? (rela ? 24 : 16) : rela ? 12 : 8;
    const r = w(ent * list.length);
    list.forEach((x, j) => {
      const at = j * ent;
      r.word(at, x.offset);
      if (is64) {
        r.u32(le ? at + 8 : at + 12, x.type);
        r.u32(le ? at + 12 : at + 8, x.symbol);
        if (rela) r.word(at + 16, x.addend ?? 0);
      } else {
        r.u32(at + 4, (x.symbol << 8) | (x.type & 0xff));
        if (rela) r.u32(at + 8, x.addend ?? 0);
      }
    });
    o.data = r.data;
    o.link = symtabIndex;
    o.info = indexOf(name.slice(rela ? 5 : 4));
    o.entsize = ent;
  });

  const shstr = strtab(out.map((s) => s.name));
  out[out.length - 1]!.data = shstr.data;

  // Layout: header, section contents, section header table.
  const ehdr = is64 ? 64 : 52;
  const shent = is64 ? 64 : 40;
  let cursor = ehdr;
  const offsets = out.map((s) => {
    if (s.type === 8 || s.type === 0) return 0;
    cursor = Math.ceil(cursor / 8) * 8;
    const at = cursor;
    cursor += s.data.length;
    return at;
  });
  cursor = Math.ceil(cursor / 8) * 8;
  const shoff = cursor;
  const file = w(shoff + shent * out.length);
  file.data.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  file.u16(16, 1);
  file.u16(18, input.machine);
  file.u32(20, 1);
  if (is64) {
    file.word(40, shoff);
    file.u16(52, ehdr);
    file.u16(58, shent);
    file.u16(60, out.length);
    file.u16(62, out.length - 1);
  } else {
    file.word(32, shoff);
    file.u16(40, ehdr);
    file.u16(46, shent);
    file.u16(48, out.length);
    file.u16(50, out.length - 1);
  }
  out.forEach((s, i) => {
    if (s.type !== 8) file.data.set(s.data, offsets[i]!);
    const at = shoff + i * shent;
    const size = s.type === 8 ? s.size : s.data.length;
    file.u32(at, shstr.offsets[i]!);
    file.u32(at + 4, s.type);
    if (is64) {
      file.word(at + 8, s.flags);
      file.word(at + 24, offsets[i]!);
      file.word(at + 32, size);
      file.u32(at + 40, s.link);
      file.u32(at + 44, s.info);
      file.word(at + 48, s.align);
      file.word(at + 56, s.entsize);
    } else {
      file.u32(at + 8, s.flags);
      file.u32(at + 16, offsets[i]!);
      file.u32(at + 20, size);
      file.u32(at + 24, s.link);
      file.u32(at + 28, s.info);
      file.u32(at + 32, s.align);
      file.u32(at + 36, s.entsize);
    }
  });
  return file.data;
}
