# ARM64_RELOC_PAGE21: ADRP of the page of a symbol.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_PAGE21.s ARM64_RELOC_PAGE21.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(_adrp, 1)[20:0] = ((_data >> 12) - (_adrp >> 12))[20:0]
        .globl  _adrp
        .p2align 2
_adrp:
        adrp    x0, _data@PAGE

        .section __DATA,__data
        .space  0x2345
        .globl  _data
        .p2align 4
_data:
        .space  64

.subsections_via_symbols
