# ARM64_RELOC_ADDEND: the addend of the PAGE21 or PAGEOFF12 that follows it (instructions carry none).
# (BRANCH26 takes one too, and addends are 24-bit signed, but llvm-mc-19 writes `b _main+4`, and a
# negative addend, with bits spilling into the type field (a relocation of type 15, which no linker
# reads): the mapping's tests cover those on hand-made relocation lists.)
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_ADDEND.s ARM64_RELOC_ADDEND.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(_adrp_addend, 1)[20:0] = (((_data + 0x1010) >> 12) - (_adrp_addend >> 12))[20:0]
        .globl  _adrp_addend
        .p2align 2
_adrp_addend:
        adrp    x0, _data@PAGE+0x1010

# jitlink-check: decode_operand(_add_addend, 2) = (_data + 0x1010)[11:0]
        .globl  _add_addend
        .p2align 2
_add_addend:
        add     x0, x0, _data@PAGEOFF+0x1010

# jitlink-check: decode_operand(_ldr_addend, 2) = (_data + 0x18)[11:3]
        .globl  _ldr_addend
        .p2align 2
_ldr_addend:
        ldr     x0, [x0, _data@PAGEOFF+0x18]

        .section __DATA,__data
        .space  0x2340
        .globl  _data
        .p2align 4
_data:
        .space  0x2000

.subsections_via_symbols
