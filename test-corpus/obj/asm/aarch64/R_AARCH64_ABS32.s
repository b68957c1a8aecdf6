# R_AARCH64_ABS32: 32-bit absolute address (int32 or uint32).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_low=0x12345678 -check R_AARCH64_ABS32.s R_AARCH64_ABS32.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .data
# jitlink-check: *{4}abs32_local = main + 3
        .globl  abs32_local
        .p2align 2
        .type   abs32_local,@object
abs32_local:
        .word   main + 3
        .size   abs32_local, .-abs32_local

# jitlink-check: *{4}abs32_ext = extern_low
        .globl  abs32_ext
        .p2align 2
        .type   abs32_ext,@object
abs32_ext:
        .word   extern_low
        .size   abs32_ext, .-abs32_ext

