# R_AARCH64_MOVW_PREL_G1: MOVZ of bits 31:16 of a PC-relative offset.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_g1=0x12345678 -check R_AARCH64_MOVW_PREL_G1.s R_AARCH64_MOVW_PREL_G1.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_prel_g1, 1) = (ext_g1 - test_movw_prel_g1)[31:16]
        .globl  test_movw_prel_g1
        .p2align 2
        .type   test_movw_prel_g1,@function
test_movw_prel_g1:
        movz    x0, #:prel_g1:ext_g1
        .size   test_movw_prel_g1, .-test_movw_prel_g1

