# R_AARCH64_MOVW_SABS_G1: MOVN of the complement of a negative value (bits 31:16).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_neg1=0xffffffffedcba988 -check R_AARCH64_MOVW_SABS_G1.s R_AARCH64_MOVW_SABS_G1.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_sabs_g1, 1) = 0x1234
# jitlink-check: (*{4}test_movw_sabs_g1)[30:29] = 0
        .globl  test_movw_sabs_g1
        .p2align 2
        .type   test_movw_sabs_g1,@function
test_movw_sabs_g1:
        movz    x0, #:abs_g1_s:ext_neg1
        .size   test_movw_sabs_g1, .-test_movw_sabs_g1

