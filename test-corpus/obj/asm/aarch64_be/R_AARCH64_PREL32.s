# R_AARCH64_PREL32: 32-bit PC-relative offset.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_PREL32.s R_AARCH64_PREL32.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .data
# jitlink-check: *{4}prel32_main = (main - prel32_main)[31:0]
        .globl  prel32_main
        .p2align 2
        .type   prel32_main,@object
prel32_main:
        .word   main - .
        .size   prel32_main, .-prel32_main

