# R_X86_64_8: 8-bit absolute value (Pointer8).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern8=0x7e -check R_X86_64_8.s R_X86_64_8.o
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

# jitlink-check: *{1}abs8_field = extern8 + 1
        .globl  abs8_field
        .p2align 0
        .type   abs8_field,@object
abs8_field:
        .byte   extern8 + 1
        .size   abs8_field, .-abs8_field
