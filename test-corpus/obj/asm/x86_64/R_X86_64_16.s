# R_X86_64_16: 16-bit absolute value (Pointer16).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern16=0xbeef -check R_X86_64_16.s R_X86_64_16.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main
        .data

# jitlink-check: *{2}abs16_field = extern16 + 1
        .globl  abs16_field
        .p2align 1
        .type   abs16_field,@object
abs16_field:
        .short  extern16 + 1
        .size   abs16_field, .-abs16_field
