# R_AARCH64_ABS16: 16-bit absolute value (int16 or uint16).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern16=0xbeef -check R_AARCH64_ABS16.s R_AARCH64_ABS16.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .data
# jitlink-check: *{2}abs16_ext = extern16
        .globl  abs16_ext
        .p2align 1
        .type   abs16_ext,@object
abs16_ext:
        .hword  extern16
        .size   abs16_ext, .-abs16_ext

