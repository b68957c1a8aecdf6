# ARM64_RELOC_POINTER_TO_GOT: a 32-bit pc-relative pointer to a symbol's GOT entry (as __eh_frame's personality pointers).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_POINTER_TO_GOT.s ARM64_RELOC_POINTER_TO_GOT.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

        .section __DATA,__data
# jitlink-check: *{4}_got_delta = (got_addr(ARM64_RELOC_POINTER_TO_GOT.o, _extern_far) - _got_delta)[31:0]
# jitlink-check: *{8}got_addr(ARM64_RELOC_POINTER_TO_GOT.o, _extern_far) = _extern_far
        .globl  _got_delta
        .p2align 2
_got_delta:
        .long   _extern_far@GOT - .

.subsections_via_symbols
