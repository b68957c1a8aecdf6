# R_AARCH64_MOVW_UABS_G2_NC: MOVK of bits 47:32 of the address.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_big=0x1f56789abcdef0 -check R_AARCH64_MOVW_UABS_G2_NC.s R_AARCH64_MOVW_UABS_G2_NC.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_uabs_g2_nc, 2) = ext_big[47:32]
        .globl  test_movw_uabs_g2_nc
        .p2align 2
        .type   test_movw_uabs_g2_nc,@function
test_movw_uabs_g2_nc:
        movk    x0, #:abs_g2_nc:ext_big
        .size   test_movw_uabs_g2_nc, .-test_movw_uabs_g2_nc

