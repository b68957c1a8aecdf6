# R_AARCH64_MOVW_SABS_G2: MOVN of the complement of a negative value (bits 47:32).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_neg2=0xffffedcba9876544 -check R_AARCH64_MOVW_SABS_G2.s R_AARCH64_MOVW_SABS_G2.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_sabs_g2, 1) = 0x1234
# jitlink-check: (*{4}test_movw_sabs_g2)[30:29] = 0
        .globl  test_movw_sabs_g2
        .p2align 2
        .type   test_movw_sabs_g2,@function
test_movw_sabs_g2:
        movz    x0, #:abs_g2_s:ext_neg2
        .size   test_movw_sabs_g2, .-test_movw_sabs_g2

