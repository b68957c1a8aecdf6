# ARM64_RELOC_GOT_LOAD_PAGEOFF12: a 64-bit LDR of a symbol's GOT entry, its offset divided by 8 (the target is beyond 4 GiB, so the load is not relaxed).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_GOT_LOAD_PAGEOFF12.s ARM64_RELOC_GOT_LOAD_PAGEOFF12.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(_got_load + 4, 2) = got_addr(ARM64_RELOC_GOT_LOAD_PAGEOFF12.o, _extern_far)[11:3]
# jitlink-check: *{8}got_addr(ARM64_RELOC_GOT_LOAD_PAGEOFF12.o, _extern_far) = _extern_far
        .globl  _got_load
        .p2align 2
_got_load:
        adrp    x0, _extern_far@GOTPAGE
        ldr     x0, [x0, _extern_far@GOTPAGEOFF]

.subsections_via_symbols
