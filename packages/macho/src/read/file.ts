/**
 * The one reader of thin MachO objects: header, load commands (segments and
 * their sections, symbol tables, build version, linker options), symbols and
 * relocation entries. Every offset, size and index is checked here.
 */
import { JITLinkError } from '@jitlink/core';
import {
  LC_BUILD_VERSION,
  LC_DYSYMTAB,
  LC_LINKER_OPTION,
  LC_SEGMENT,
  LC_SEGMENT_64,
  LC_SYMTAB,
  LC_VERSION_MIN_IPHONEOS,
  LC_VERSION_MIN_MACOSX,
  LC_VERSION_MIN_TVOS,
  LC_VERSION_MIN_WATCHOS,
  MH_MAGIC,
  MH_MAGIC_64,
  N_SECT,
  N_STAB,
  N_TYPE,
  PLATFORM_NAMES,
  R_SCATTERED,
  SECTION_TYPE,
  S_GB_ZEROFILL,
  S_THREAD_LOCAL_ZEROFILL,
  S_ZEROFILL,
} from '../constants.js';
import { Fields, malformed } from './fields.js';
import { machoCpuName } from './universal.js';

export interface MachOHeader {
  is64: boolean;
  le: boolean;
  cpuType: number;
  cpuSubtype: number;
  fileType: number;
  commandCount: number;
  commandsSize: number;
  flags: number;
}

export interface MachOSection {
  /** 1-based ordinal, as n_sect and non-extern r_symbolnum count sections. */
  ordinal: number;
  segmentName: string;
  sectionName: string;
  /** "__TEXT,__text": the graph section's name. */
  fullName: string;
  address: number;
  size: number;
  fileOffset: number;
  alignment: number;
  relocationOffset: number;
  relocationCount: number;
  flags: number;
  type: number;
  /** Offset of the section header, for errors. */
  headerOffset: number;
}

export interface MachOSymbol {
  index: number;
  name: string;
  type: number;
  sectionOrdinal: number;
  desc: number;
  value: number;
  /** Offset of the nlist entry, for errors. */
  entryOffset: number;
}

export interface MachORawRelocation {
  /** r_address: offset in the section. */
  address: number;
  symbolNumber: number;
  pcrel: boolean;
  /** log2 of the patched width. */
  length: number;
  extern: boolean;
  type: number;
  entryOffset: number;
}

export interface MachOBuildVersion {
  /** "macos", "ios", ... */
  platform: string;
  /** "11.0.0" */
  minOS: string;
  sdk: string;
  /** The load command that gave it. */
  command: 'LC_BUILD_VERSION' | 'LC_VERSION_MIN';
}

export interface MachOFile {
  fileName: string;
  bytes: Uint8Array;
  header: MachOHeader;
  /** Architecture name of the CPU ("x86_64", "arm64"). */
  arch: string;
  sections: MachOSection[];
  symbols: MachOSymbol[];
  /** LC_DYSYMTAB's partition, when present. */
  dysymtab?: { localStart: number; localCount: number; externalStart: number; externalCount: number; undefinedStart: number; undefinedCount: number };
  buildVersion?: MachOBuildVersion;
  /** Options of LC_LINKER_OPTION commands, one array per command (e.g. ["-lz"], ["-framework", "Foundation"]). */
  linkerOptions: string[][];
  fields: Fields;
}

/** Reads the mach_header(_64) at the start of `bytes`. */
export function readMachOHeader(bytes: Uint8Array, file: string): MachOHeader {
  if (bytes.length < 28) malformed(file, `truncated MachO header (${bytes.length} bytes)`, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint32(0, true) === MH_MAGIC_64 || view.getUint32(0, true) === MH_MAGIC) le = true;
  else if (view.getUint32(0, false) === MH_MAGIC_64 || view.getUint32(0, false) === MH_MAGIC) le = false;
  else malformed(file, `bad MachO magic 0x${view.getUint32(0, false).toString(16)}`, 0);
  const is64 = view.getUint32(0, le) === MH_MAGIC_64;
  if (is64 && bytes.length < 32) malformed(file, `truncated MachO header (${bytes.length} bytes)`, 0);
  return {
    is64,
    le,
    cpuType: view.getUint32(4, le),
    cpuSubtype: view.getUint32(8, le),
    fileType: view.getUint32(12, le),
    commandCount: view.getUint32(16, le),
    commandsSize: view.getUint32(20, le),
    flags: view.getUint32(24, le),
  };
}

function version(v: number): string {
  return `${v >>> 16}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Parses a thin MachO object (a slice already cut out of a universal file). */
export function parseMachO(bytes: Uint8Array, file: string): MachOFile {
  const header = readMachOHeader(bytes, file);
  if (!header.is64) {
    throw new JITLinkError('UnsupportedArchitecture', `32-bit MachO objects (${machoCpuName(header.cpuType)}) are not supported`, {
      file,
      offset: 0,
    });
  }
  const f = new Fields(file, bytes, header.le);
  const out: MachOFile = { fileName: file, bytes, header, arch: machoCpuName(header.cpuType), sections: [], symbols: [], linkerOptions: [], fields: f };
  const headerSize = 32;
  f.need(headerSize, header.commandsSize, 'load commands');
  const end = headerSize + header.commandsSize;
  let at = headerSize;
  let symtab: { symoff: number; nsyms: number; stroff: number; strsize: number; at: number } | undefined;
  for (let i = 0; i < header.commandCount; i++) {
    if (at + 8 > end) malformed(file, `load command ${i} starts past the end of the load commands (0x${end.toString(16)})`, at);
    const cmd = f.u32(at);
    const size = f.u32(at + 4);
    if (size < 8 || size % 8 !== 0 || at + size > end) {
      malformed(file, `load command ${i} (0x${cmd.toString(16)}) has size 0x${size.toString(16)}, past the end of the load commands (0x${end.toString(16)})`, at);
    }
    switch (cmd) {
      case LC_SEGMENT_64:
        readSegment64(f, out, at, size);
        break;
      case LC_SEGMENT:
        malformed(file, 'LC_SEGMENT (32-bit) in a 64-bit MachO object', at);
        break;
      case LC_SYMTAB:
        if (size < 24) malformed(file, 'LC_SYMTAB is too small', at);
        symtab = { symoff: f.u32(at + 8), nsyms: f.u32(at + 12), stroff: f.u32(at + 16), strsize: f.u32(at + 20), at };
        break;
      case LC_DYSYMTAB:
        if (size < 80) malformed(file, 'LC_DYSYMTAB is too small', at);
        out.dysymtab = {
          localStart: f.u32(at + 8),
          localCount: f.u32(at + 12),
          externalStart: f.u32(at + 16),
          externalCount: f.u32(at + 20),
          undefinedStart: f.u32(at + 24),
          undefinedCount: f.u32(at + 28),
        };
        break;
      case LC_BUILD_VERSION:
        if (size < 24) malformed(file, 'LC_BUILD_VERSION is too small', at);
        out.buildVersion = {
          platform: PLATFORM_NAMES[f.u32(at + 8)] ?? `platform-${f.u32(at + 8)}`,
          minOS: version(f.u32(at + 12)),
          sdk: version(f.u32(at + 16)),
          command: 'LC_BUILD_VERSION',
        };
        break;
      case LC_VERSION_MIN_MACOSX:
      case LC_VERSION_MIN_IPHONEOS:
      case LC_VERSION_MIN_TVOS:
      case LC_VERSION_MIN_WATCHOS: {
        if (size < 16) malformed(file, 'LC_VERSION_MIN_* is too small', at);
        const platform = { [LC_VERSION_MIN_MACOSX]: 'macos', [LC_VERSION_MIN_IPHONEOS]: 'ios', [LC_VERSION_MIN_TVOS]: 'tvos', [LC_VERSION_MIN_WATCHOS]: 'watchos' }[cmd]!;
        out.buildVersion = { platform, minOS: version(f.u32(at + 8)), sdk: version(f.u32(at + 12)), command: 'LC_VERSION_MIN' };
        break;
      }
      case LC_LINKER_OPTION: {
        if (size < 12) malformed(file, 'LC_LINKER_OPTION is too small', at);
        const count = f.u32(at + 8);
        const options: string[] = [];
        let p = at + 12;
        for (let k = 0; k < count; k++) {
          const s = f.cString(p, at + size);
          if (s === undefined) malformed(file, `LC_LINKER_OPTION string ${k} is not terminated within the command`, p);
          options.push(s);
          p += s.length + 1;
        }
        out.linkerOptions.push(options);
        break;
      }
      default:
        break; // LC_DATA_IN_CODE, LC_LINKER_OPTIMIZATION_HINT, ...: nothing a JIT link needs
    }
    at += size;
  }
  if (symtab !== undefined) readSymbols(f, out, symtab);
  return out;
}

function readSegment64(f: Fields, out: MachOFile, at: number, size: number): void {
  const file = f.file;
  if (size < 72) malformed(file, 'LC_SEGMENT_64 is too small', at);
  const segName = f.fixedString(at + 8, 16);
  const vmaddr = f.u64(at + 24, 'segment address');
  const vmsize = f.u64(at + 32, 'segment size');
  const fileoff = f.u64(at + 40, 'segment file offset');
  const filesize = f.u64(at + 48, 'segment file size');
  const nsects = f.u32(at + 64);
  if (72 + nsects * 80 > size) {
    malformed(file, `LC_SEGMENT_64 ${segName || '<unnamed>'} declares ${nsects} sections, more than its size 0x${size.toString(16)} holds`, at);
  }
  f.need(fileoff, filesize, `segment ${segName || '<unnamed>'} contents`);
  for (let s = 0; s < nsects; s++) {
    const h = at + 72 + s * 80;
    const sectionName = f.fixedString(h, 16);
    const segmentName = f.fixedString(h + 16, 16);
    const fullName = `${segmentName},${sectionName}`;
    const address = f.u64(h + 32, 'section address');
    const secSize = f.u64(h + 40, 'section size');
    const flags = f.u32(h + 64);
    const type = flags & SECTION_TYPE;
    const align = f.u32(h + 52);
    if (align > 32) malformed(file, `section alignment 2^${align} is too large`, h, fullName);
    const section: MachOSection = {
      ordinal: out.sections.length + 1,
      segmentName,
      sectionName,
      fullName,
      address,
      size: secSize,
      fileOffset: f.u32(h + 48),
      alignment: 2 ** align,
      relocationOffset: f.u32(h + 56),
      relocationCount: f.u32(h + 60),
      flags,
      type,
      headerOffset: h,
    };
    if (address < vmaddr || address + secSize > vmaddr + vmsize) {
      malformed(
        file,
        `section ${fullName} [0x${address.toString(16)}, 0x${(address + secSize).toString(16)}) lies outside its segment ` +
          `[0x${vmaddr.toString(16)}, 0x${(vmaddr + vmsize).toString(16)})`,
        h,
        fullName,
      );
    }
    if (!isZeroFillType(type)) f.need(section.fileOffset, secSize, `section ${fullName} contents`, fullName);
    f.need(section.relocationOffset, section.relocationCount * 8, `relocations of ${fullName}`, fullName);
    out.sections.push(section);
  }
}

export function isZeroFillType(type: number): boolean {
  return type === S_ZEROFILL || type === S_GB_ZEROFILL || type === S_THREAD_LOCAL_ZEROFILL;
}

function readSymbols(f: Fields, out: MachOFile, symtab: { symoff: number; nsyms: number; stroff: number; strsize: number; at: number }): void {
  const file = f.file;
  f.need(symtab.symoff, symtab.nsyms * 16, 'symbol table');
  f.need(symtab.stroff, symtab.strsize, 'string table');
  const strEnd = symtab.stroff + symtab.strsize;
  for (let i = 0; i < symtab.nsyms; i++) {
    const e = symtab.symoff + i * 16;
    const strx = f.u32(e);
    const type = f.u8(e + 4);
    if (strx >= symtab.strsize && strx !== 0) malformed(file, `symbol #${i} name offset 0x${strx.toString(16)} is outside the string table`, e);
    const name = strx === 0 ? '' : (f.cString(symtab.stroff + strx, strEnd) ?? malformed(file, `symbol #${i} name is not terminated`, e));
    const sym: MachOSymbol = { index: i, name, type, sectionOrdinal: f.u8(e + 5), desc: f.u16(e + 6), value: f.u64(e + 8, 'symbol value'), entryOffset: e };
    if ((type & N_STAB) === 0 && (type & N_TYPE) === N_SECT && (sym.sectionOrdinal === 0 || sym.sectionOrdinal > out.sections.length)) {
      malformed(file, `symbol #${i} (${name || '<unnamed>'}) names section ${sym.sectionOrdinal}, which does not exist`, e);
    }
    out.symbols.push(sym);
  }
}

/** The relocation entries of a section, decoded; scattered entries are rejected. */
export function readRelocations(m: MachOFile, section: MachOSection): MachORawRelocation[] {
  const f = m.fields;
  const out: MachORawRelocation[] = [];
  for (let i = 0; i < section.relocationCount; i++) {
    const e = section.relocationOffset + i * 8;
    const word0 = f.u32(e);
    if ((word0 & R_SCATTERED) !== 0) {
      throw new JITLinkError('UnsupportedRelocation', `scattered relocation entry #${i} of ${section.fullName} is not supported`, {
        file: m.fileName,
        section: section.fullName,
        offset: e,
      });
    }
    const word1 = f.u32(e + 4);
    // Bit fields as laid out on little-endian hosts (every MachO target we read is little-endian).
    out.push({
      address: word0,
      symbolNumber: word1 & 0xffffff,
      pcrel: ((word1 >>> 24) & 1) === 1,
      length: (word1 >>> 25) & 3,
      extern: ((word1 >>> 27) & 1) === 1,
      type: word1 >>> 28,
      entryOffset: e,
    });
  }
  return out;
}
