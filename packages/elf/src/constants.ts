/** ELF constants used by the reader and the graph builder (System V gABI names). */

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;

export const ET_REL = 1;

// Section header types.
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;

// Section flags.
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_GROUP = 0x200;
export const SHF_TLS = 0x400;
export const SHF_COMPRESSED = 0x800;
export const SHF_GNU_RETAIN = 0x200000;
export const SHF_EXCLUDE = 0x80000000;

// Special section indices.
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

// Group flags.
export const GRP_COMDAT = 0x1;

// Symbol bindings.
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STB_GNU_UNIQUE = 10;

// Symbol types.
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;
export const STT_GNU_IFUNC = 10;

// Symbol visibilities.
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

/** Sizes of the fixed-layout records, by class. */
export const ELF32_EHDR_SIZE = 52;
export const ELF64_EHDR_SIZE = 64;
export const ELF32_SHDR_SIZE = 40;
export const ELF64_SHDR_SIZE = 64;
export const ELF32_SYM_SIZE = 16;
export const ELF64_SYM_SIZE = 24;
export const ELF32_REL_SIZE = 8;
export const ELF32_RELA_SIZE = 12;
export const ELF64_REL_SIZE = 16;
export const ELF64_RELA_SIZE = 24;
