# R_X86_64_GOTPC64: 64-bit PC-relative address of the GOT base (large code model prologue).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_GOTPC64.s R_X86_64_GOTPC64.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(gotpc64 + 7, 1) = _GLOBAL_OFFSET_TABLE_ - gotpc64
        .globl  gotpc64
        .type   gotpc64,@function
gotpc64:
        leaq    gotpc64(%rip), %rax
        movabsq $_GLOBAL_OFFSET_TABLE_-gotpc64, %rcx
        .size   gotpc64, .-gotpc64
