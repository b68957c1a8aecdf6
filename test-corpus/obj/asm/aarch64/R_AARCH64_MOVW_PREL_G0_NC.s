# R_AARCH64_MOVW_PREL_G0_NC: MOVK of bits 15:0 of a PC-relative offset.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs ext_big=0x1f56789abcdef0 -check R_AARCH64_MOVW_PREL_G0_NC.s R_AARCH64_MOVW_PREL_G0_NC.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_movw_prel_g0_nc, 2) = (ext_big - test_movw_prel_g0_nc)[15:0]
        .globl  test_movw_prel_g0_nc
        .p2align 2
        .type   test_movw_prel_g0_nc,@function
test_movw_prel_g0_nc:
        movk    x0, #:prel_g0_nc:ext_big
        .size   test_movw_prel_g0_nc, .-test_movw_prel_g0_nc

