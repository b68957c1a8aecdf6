# R_AARCH64_MOVW_PREL_G3: MOVZ of bits 63:48 of a PC-relative offset.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_big=0x1f56789abcdef0 -check R_AARCH64_MOVW_PREL_G3.s R_AARCH64_MOVW_PREL_G3.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_prel_g3, 1) = (ext_big - test_movw_prel_g3)[63:48]
        .globl  test_movw_prel_g3
        .p2align 2
        .type   test_movw_prel_g3,@function
test_movw_prel_g3:
        movz    x0, #:prel_g3:ext_big
        .size   test_movw_prel_g3, .-test_movw_prel_g3

