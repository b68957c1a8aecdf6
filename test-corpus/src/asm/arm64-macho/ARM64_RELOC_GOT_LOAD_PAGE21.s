# ARM64_RELOC_GOT_LOAD_PAGE21: ADRP of the page of a symbol's GOT entry (the target is beyond 4 GiB, so the load is not relaxed).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_GOT_LOAD_PAGE21.s ARM64_RELOC_GOT_LOAD_PAGE21.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(_got_page, 1)[20:0] = ((got_addr(ARM64_RELOC_GOT_LOAD_PAGE21.o, _extern_far) >> 12) - (_got_page >> 12))[20:0]
# jitlink-check: *{8}got_addr(ARM64_RELOC_GOT_LOAD_PAGE21.o, _extern_far) = _extern_far
        .globl  _got_page
        .p2align 2
_got_page:
        adrp    x0, _extern_far@GOTPAGE
        ldr     x0, [x0, _extern_far@GOTPAGEOFF]

.subsections_via_symbols
