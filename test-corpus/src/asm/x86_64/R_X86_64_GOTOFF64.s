# R_X86_64_GOTOFF64: 64-bit offset of a symbol from the GOT base.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_GOTOFF64.s R_X86_64_GOTOFF64.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(gotoff64, 1) = gotoff_data - _GLOBAL_OFFSET_TABLE_
        .globl  gotoff64
        .type   gotoff64,@function
gotoff64:
        movabsq $gotoff_data@GOTOFF, %rdx
        .size   gotoff64, .-gotoff64
        .data

# jitlink-check: *{8}gotoff_data = 42
        .globl  gotoff_data
        .p2align 3
        .type   gotoff_data,@object
gotoff_data:
        .quad   42
        .size   gotoff_data, .-gotoff_data
