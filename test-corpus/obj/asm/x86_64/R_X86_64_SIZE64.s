# R_X86_64_SIZE64: 64-bit symbol size.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_SIZE64.s R_X86_64_SIZE64.o
# (llvm-jitlink-19 accepts the same command line, except R_X86_64_SIZE64, which it rejects.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: *{1}sized_fn + 3 = 0xc3
        .globl  sized_fn
        .type   sized_fn,@function
sized_fn:
        nop
        nop
        nop
        retq
        .size   sized_fn, .-sized_fn
        .data

# jitlink-check: *{8}size64_field = 5
        .globl  size64_field
        .p2align 3
        .type   size64_field,@object
size64_field:
        .quad   sized_fn@SIZE + 1
        .size   size64_field, .-size64_field
