# R_X86_64_GOTPC32: 32-bit PC-relative address of the GOT base.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_GOTPC32.s R_X86_64_GOTPC32.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(gotpc32, 4) = _GLOBAL_OFFSET_TABLE_ - next_pc(gotpc32)
        .globl  gotpc32
        .type   gotpc32,@function
gotpc32:
        leaq    _GLOBAL_OFFSET_TABLE_(%rip), %rbx
        .size   gotpc32, .-gotpc32
