# R_AARCH64_MOVW_UABS_G2: MOVZ of bits 47:32 of the address, which must fit 48 bits.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_g2=0x123456789abc -check R_AARCH64_MOVW_UABS_G2.s R_AARCH64_MOVW_UABS_G2.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_uabs_g2, 1) = ext_g2[47:32]
        .globl  test_movw_uabs_g2
        .p2align 2
        .type   test_movw_uabs_g2,@function
test_movw_uabs_g2:
        movz    x0, #:abs_g2:ext_g2
        .size   test_movw_uabs_g2, .-test_movw_uabs_g2

