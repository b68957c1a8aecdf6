/** MachO numbers this package reads (from <mach-o/loader.h>, <mach-o/nlist.h>, <mach-o/fat.h>). */

export const MH_MAGIC = 0xfeedface;
export const MH_MAGIC_64 = 0xfeedfacf;
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;

export const MH_OBJECT = 1;
export const MH_SUBSECTIONS_VIA_SYMBOLS = 0x2000;

export const CPU_TYPE_X86 = 7;
export const CPU_TYPE_X86_64 = 0x01000007;
export const CPU_TYPE_ARM = 12;
export const CPU_TYPE_ARM64 = 0x0100000c;
export const CPU_TYPE_ARM64_32 = 0x0200000c;

/** Architecture names as llvm-jitlink and lipo spell them. */
export const MACHO_CPU_NAMES: Readonly<Record<number, string>> = {
  [CPU_TYPE_X86]: 'i386',
  [CPU_TYPE_X86_64]: 'x86_64',
  [CPU_TYPE_ARM]: 'arm',
  [CPU_TYPE_ARM64]: 'arm64',
  [CPU_TYPE_ARM64_32]: 'arm64_32',
};

// Load commands.
export const LC_SEGMENT = 0x1;
export const LC_SYMTAB = 0x2;
export const LC_DYSYMTAB = 0xb;
export const LC_SEGMENT_64 = 0x19;
export const LC_VERSION_MIN_MACOSX = 0x24;
export const LC_VERSION_MIN_IPHONEOS = 0x25;
export const LC_LINKER_OPTION = 0x2d;
export const LC_VERSION_MIN_TVOS = 0x2f;
export const LC_VERSION_MIN_WATCHOS = 0x30;
export const LC_BUILD_VERSION = 0x32;

// Section types (flags & SECTION_TYPE) and attributes.
export const SECTION_TYPE = 0xff;
export const S_REGULAR = 0x0;
export const S_ZEROFILL = 0x1;
export const S_CSTRING_LITERALS = 0x2;
export const S_MOD_INIT_FUNC_POINTERS = 0x9;
export const S_MOD_TERM_FUNC_POINTERS = 0xa;
export const S_GB_ZEROFILL = 0xc;
export const S_THREAD_LOCAL_REGULAR = 0x11;
export const S_THREAD_LOCAL_ZEROFILL = 0x12;
export const S_THREAD_LOCAL_VARIABLES = 0x13;
export const S_ATTR_PURE_INSTRUCTIONS = 0x80000000;
export const S_ATTR_NO_DEAD_STRIP = 0x10000000;
export const S_ATTR_DEBUG = 0x02000000;
export const S_ATTR_SOME_INSTRUCTIONS = 0x400;

// nlist n_type bits.
export const N_STAB = 0xe0;
export const N_PEXT = 0x10;
export const N_TYPE = 0x0e;
export const N_EXT = 0x01;
export const N_UNDF = 0x0;
export const N_ABS = 0x2;
export const N_SECT = 0xe;
export const N_INDR = 0xa;
// nlist n_desc bits.
export const N_NO_DEAD_STRIP = 0x20;
export const N_WEAK_REF = 0x40;
export const N_WEAK_DEF = 0x80;
export const N_ALT_ENTRY = 0x200;

/** r_address bit marking a scattered relocation entry. */
export const R_SCATTERED = 0x80000000;

/** Platforms named by LC_BUILD_VERSION. */
export const PLATFORM_NAMES: Readonly<Record<number, string>> = {
  1: 'macos',
  2: 'ios',
  3: 'tvos',
  4: 'watchos',
  5: 'bridgeos',
  6: 'maccatalyst',
  7: 'ios-simulator',
  8: 'tvos-simulator',
  9: 'watchos-simulator',
  10: 'driverkit',
  11: 'xros',
  12: 'xros-simulator',
};
