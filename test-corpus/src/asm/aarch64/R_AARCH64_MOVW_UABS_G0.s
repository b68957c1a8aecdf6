# R_AARCH64_MOVW_UABS_G0: MOVZ of bits 15:0 of the address, which must fit 16 bits.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern16=0xbeef -check R_AARCH64_MOVW_UABS_G0.s R_AARCH64_MOVW_UABS_G0.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_uabs_g0, 1) = extern16[15:0]
        .globl  test_movw_uabs_g0
        .p2align 2
        .type   test_movw_uabs_g0,@function
test_movw_uabs_g0:
        movz    x0, #:abs_g0:extern16
        .size   test_movw_uabs_g0, .-test_movw_uabs_g0

