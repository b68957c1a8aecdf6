# R_AARCH64_MOVW_SABS_G0: MOVN of the complement of a negative value (bits 15:0).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_neg=0xffffffffffffedcb -check R_AARCH64_MOVW_SABS_G0.s R_AARCH64_MOVW_SABS_G0.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_sabs_g0, 1) = 0x1234
# jitlink-check: (*{4}test_movw_sabs_g0)[30:29] = 0
        .globl  test_movw_sabs_g0
        .p2align 2
        .type   test_movw_sabs_g0,@function
test_movw_sabs_g0:
        movz    x0, #:abs_g0_s:ext_neg
        .size   test_movw_sabs_g0, .-test_movw_sabs_g0

