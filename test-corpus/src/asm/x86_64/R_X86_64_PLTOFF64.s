# R_X86_64_PLTOFF64: 64-bit offset of a function (its PLT entry, when it has one) from the GOT base.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_PLTOFF64.s R_X86_64_PLTOFF64.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(pltoff64, 1) = main - _GLOBAL_OFFSET_TABLE_
        .globl  pltoff64
        .type   pltoff64,@function
pltoff64:
        movabsq $main@PLTOFF, %rdx
        .size   pltoff64, .-pltoff64
