# R_AARCH64_PREL16: 16-bit PC-relative offset.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_PREL16.s R_AARCH64_PREL16.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: *{2}prel16_main = (main - prel16_main)[15:0]
        .globl  prel16_main
        .p2align 1
        .type   prel16_main,@object
prel16_main:
        .hword  main - .
        .size   prel16_main, .-prel16_main

