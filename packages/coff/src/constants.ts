/** PE/COFF constants used by the reader and builder (names as in the PE/COFF specification). */

export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
export const IMAGE_FILE_MACHINE_ARM64 = 0xaa64;

// Section characteristics.
export const IMAGE_SCN_CNT_CODE = 0x20;
export const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40;
export const IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x80;
export const IMAGE_SCN_LNK_INFO = 0x200;
export const IMAGE_SCN_LNK_REMOVE = 0x800;
export const IMAGE_SCN_LNK_COMDAT = 0x1000;
export const IMAGE_SCN_ALIGN_MASK = 0x00f00000;
export const IMAGE_SCN_LNK_NRELOC_OVFL = 0x01000000;
export const IMAGE_SCN_MEM_DISCARDABLE = 0x02000000;
export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
export const IMAGE_SCN_MEM_READ = 0x40000000;
export const IMAGE_SCN_MEM_WRITE = 0x80000000;

// Special section numbers of symbols.
export const IMAGE_SYM_UNDEFINED = 0;
export const IMAGE_SYM_ABSOLUTE = -1;
export const IMAGE_SYM_DEBUG = -2;

// Storage classes.
export const IMAGE_SYM_CLASS_EXTERNAL = 2;
export const IMAGE_SYM_CLASS_STATIC = 3;
export const IMAGE_SYM_CLASS_LABEL = 6;
export const IMAGE_SYM_CLASS_FUNCTION = 101;
export const IMAGE_SYM_CLASS_FILE = 103;
export const IMAGE_SYM_CLASS_SECTION = 104;
export const IMAGE_SYM_CLASS_WEAK_EXTERNAL = 105;

/** Complex type of a function symbol (Type >> 4). */
export const IMAGE_SYM_DTYPE_FUNCTION = 2;

// COMDAT selection kinds (section definition auxiliary record).
export const IMAGE_COMDAT_SELECT_NODUPLICATES = 1;
export const IMAGE_COMDAT_SELECT_ANY = 2;
export const IMAGE_COMDAT_SELECT_SAME_SIZE = 3;
export const IMAGE_COMDAT_SELECT_EXACT_MATCH = 4;
export const IMAGE_COMDAT_SELECT_ASSOCIATIVE = 5;
export const IMAGE_COMDAT_SELECT_LARGEST = 6;
export const IMAGE_COMDAT_SELECT_NEWEST = 7;

export const COMDAT_SELECTION_NAMES: Record<number, string> = {
  1: 'NODUPLICATES',
  2: 'ANY',
  3: 'SAME_SIZE',
  4: 'EXACT_MATCH',
  5: 'ASSOCIATIVE',
  6: 'LARGEST',
  7: 'NEWEST',
};

// Weak external search characteristics.
export const IMAGE_WEAK_EXTERN_SEARCH_NOLIBRARY = 1;
export const IMAGE_WEAK_EXTERN_SEARCH_LIBRARY = 2;
export const IMAGE_WEAK_EXTERN_SEARCH_ALIAS = 3;
export const IMAGE_WEAK_EXTERN_ANTI_DEPENDENCY = 4;

/** {D1BAA1C7-BAEE-4BA9-AF20-FAF66AA4DCB8} as stored in a bigobj header. */
export const BIGOBJ_CLASS_ID = [
  0xc7, 0xa1, 0xba, 0xd1, 0xee, 0xba, 0xa9, 0x4b, 0xaf, 0x20, 0xfa, 0xf6, 0x6a, 0xa4, 0xdc, 0xb8,
];

/** Architecture names of the machines this package identifies. */
export const COFF_MACHINES: Record<number, string> = {
  0x14c: 'i386',
  0x8664: 'x86_64',
  0x1c4: 'arm',
  0xaa64: 'aarch64',
  0xa641: 'arm64ec',
};
