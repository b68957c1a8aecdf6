/**
 * The GDB JIT interface for a process that has none: a minimal ELF shared
 * object defining the two symbols debuggers look for in every loaded
 * object, `__jit_debug_register_code` (a function that only returns; the
 * debugger puts a breakpoint on it) and `__jit_debug_descriptor` (version 1,
 * no action, no entries). Loaded with dlopen, it is in the process's link
 * map, so a debugger reads its symbols from the file like any library's and
 * watches the descriptor from then on.
 *
 * Platform-neutral: bytes only; the executor writes and loads them. ELF64,
 * little-endian (the Linux hosts an in-process executor runs on).
 */

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const PAGE = 0x1000;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_GNU_STACK = 0x6474e551;
const PF_X = 1;
const PF_W = 2;
const PF_R = 4;

const SHT_PROGBITS = 1;
const SHT_STRTAB = 3;
const SHT_HASH = 5;
const SHT_DYNAMIC = 6;
const SHT_DYNSYM = 11;
const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;

const DT_NULL = 0;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_SYMENT = 11;

const STB_GLOBAL = 1;
const STT_OBJECT = 1;
const STT_FUNC = 2;

export const JIT_REGISTER_CODE_SYMBOL = '__jit_debug_register_code';
export const JIT_DESCRIPTOR_SYMBOL = '__jit_debug_descriptor';

/** Size of `struct jit_descriptor` (uint32 version, uint32 action_flag, relevant_entry, first_entry) on a 64-bit target. */
export const JIT_DESCRIPTOR_SIZE = 24;
/** Size of `struct jit_code_entry` (next_entry, prev_entry, symfile_addr, uint64 symfile_size) on a 64-bit target. */
export const JIT_CODE_ENTRY_SIZE = 32;
/** jit_descriptor.action_flag values. */
export const JIT_NOACTION = 0;
export const JIT_REGISTER_FN = 1;
export const JIT_UNREGISTER_FN = 2;

export interface JITDebugModuleOptions {
  /** ELF e_machine of the process. */
  machine: number;
  /**
   * The body of `__jit_debug_register_code`: the machine's return
   * instruction (x86-64 `ret` is c3; AArch64 `ret` is c0 03 5f d6), given by
   * the caller so that this package names no instruction set.
   */
  registerCodeBody: Uint8Array;
}

function alignTo(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The bytes of the shared object (see the module comment). */
export function writeJITDebugModule(options: JITDebugModuleOptions): Uint8Array {
  const names = `\0${JIT_REGISTER_CODE_SYMBOL}\0${JIT_DESCRIPTOR_SYMBOL}\0`;
  const registerName = 1;
  const descriptorName = 1 + JIT_REGISTER_CODE_SYMBOL.length + 1;
  const sectionNames = '\0.hash\0.dynsym\0.dynstr\0.text\0.dynamic\0.data\0.shstrtab\0';
  const nameOf = (n: string) => sectionNames.indexOf(`\0${n}\0`) + 1;

  // First page (read, execute): headers, .hash, .dynsym, .dynstr, .text.
  const phnum = 4;
  const hashOff = EHDR_SIZE + PHDR_SIZE * phnum;
  const hashSize = 4 * 6; // nbucket = 1, nchain = 3, one bucket, three chain links
  const dynsymOff = alignTo(hashOff + hashSize, 8);
  const dynsymSize = SYM_SIZE * 3;
  const dynstrOff = dynsymOff + dynsymSize;
  const textOff = alignTo(dynstrOff + names.length, 16);
  const textSize = options.registerCodeBody.length;
  const firstPageEnd = textOff + textSize;
  // Second page (read, write): .dynamic (the loader fills in its pointers) and the descriptor.
  const dynamicOff = alignTo(firstPageEnd, PAGE);
  const dynamicEntries: [number, number][] = [
    [DT_HASH, hashOff],
    [DT_STRTAB, dynstrOff],
    [DT_SYMTAB, dynsymOff],
    [DT_STRSZ, names.length],
    [DT_SYMENT, SYM_SIZE],
    [DT_NULL, 0],
  ];
  const dynamicSize = dynamicEntries.length * 16;
  const dataOff = dynamicOff + dynamicSize;
  const secondPageEnd = dataOff + JIT_DESCRIPTOR_SIZE;
  const shstrtabOff = secondPageEnd;
  const shoff = alignTo(shstrtabOff + sectionNames.length, 8);
  const shnum = 8;
  const bytes = new Uint8Array(shoff + shnum * SHDR_SIZE);
  const v = new DataView(bytes.buffer);
  const u16 = (o: number, x: number) => v.setUint16(o, x, true);
  const u32 = (o: number, x: number) => v.setUint32(o, x, true);
  const u64 = (o: number, x: number) => v.setBigUint64(o, BigInt(x), true);
  const ascii = (o: number, s: string) => {
    for (let i = 0; i < s.length; i++) bytes[o + i] = s.charCodeAt(i);
  };

  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELFCLASS64, little-endian, version 1, System V
  u16(16, 3); // ET_DYN
  u16(18, options.machine);
  u32(20, 1);
  u64(32, EHDR_SIZE); // e_phoff
  u64(40, shoff);
  u16(52, EHDR_SIZE);
  u16(54, PHDR_SIZE);
  u16(56, phnum);
  u16(58, SHDR_SIZE);
  u16(60, shnum);
  u16(62, 7); // e_shstrndx

  const phdr = (i: number, type: number, flags: number, off: number, size: number, align: number) => {
    const p = EHDR_SIZE + i * PHDR_SIZE;
    u32(p, type);
    u32(p + 4, flags);
    u64(p + 8, off);
    u64(p + 16, off); // vaddr = file offset
    u64(p + 24, off);
    u64(p + 32, size);
    u64(p + 40, size);
    u64(p + 48, align);
  };
  phdr(0, PT_LOAD, PF_R | PF_X, 0, firstPageEnd, PAGE);
  phdr(1, PT_LOAD, PF_R | PF_W, dynamicOff, secondPageEnd - dynamicOff, PAGE);
  phdr(2, PT_DYNAMIC, PF_R | PF_W, dynamicOff, dynamicSize, 8);
  phdr(3, PT_GNU_STACK, PF_R | PF_W, 0, 0, 16); // no executable stack

  // One hash bucket chaining every symbol, so the loader's lookups (dlsym) find both.
  [1, 3, 2, 0, 0, 1].forEach((word, i) => u32(hashOff + 4 * i, word));
  const sym = (i: number, name: number, type: number, shndx: number, value: number, size: number) => {
    const s = dynsymOff + i * SYM_SIZE;
    u32(s, name);
    bytes[s + 4] = (STB_GLOBAL << 4) | type;
    u16(s + 6, shndx);
    u64(s + 8, value);
    u64(s + 16, size);
  };
  sym(1, registerName, STT_FUNC, 4, textOff, textSize);
  sym(2, descriptorName, STT_OBJECT, 6, dataOff, JIT_DESCRIPTOR_SIZE);
  ascii(dynstrOff, names);
  bytes.set(options.registerCodeBody, textOff);
  dynamicEntries.forEach(([tag, value], i) => {
    u64(dynamicOff + i * 16, tag);
    u64(dynamicOff + i * 16 + 8, value);
  });
  u32(dataOff, 1); // version 1; action, relevant and first entries 0
  ascii(shstrtabOff, sectionNames);

  const shdr = (i: number, name: string, type: number, flags: number, off: number, size: number, link: number, info: number, align: number, entsize: number) => {
    const s = shoff + i * SHDR_SIZE;
    u32(s, nameOf(name));
    u32(s + 4, type);
    u64(s + 8, flags);
    u64(s + 16, flags & SHF_ALLOC ? off : 0);
    u64(s + 24, off);
    u64(s + 32, size);
    u32(s + 40, link);
    u32(s + 44, info);
    u64(s + 48, align);
    u64(s + 56, entsize);
  };
  shdr(1, '.hash', SHT_HASH, SHF_ALLOC, hashOff, hashSize, 2, 0, 8, 4);
  shdr(2, '.dynsym', SHT_DYNSYM, SHF_ALLOC, dynsymOff, dynsymSize, 3, 1, 8, SYM_SIZE);
  shdr(3, '.dynstr', SHT_STRTAB, SHF_ALLOC, dynstrOff, names.length, 0, 0, 1, 0);
  shdr(4, '.text', SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, textOff, textSize, 0, 0, 16, 0);
  shdr(5, '.dynamic', SHT_DYNAMIC, SHF_ALLOC | SHF_WRITE, dynamicOff, dynamicSize, 3, 0, 8, 16);
  shdr(6, '.data', SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, dataOff, JIT_DESCRIPTOR_SIZE, 0, 0, 8, 0);
  shdr(7, '.shstrtab', SHT_STRTAB, 0, shstrtabOff, sectionNames.length, 0, 0, 1, 0);
  return bytes;
}
