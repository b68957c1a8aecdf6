# R_X86_64_64: 64-bit absolute address (Pointer64).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_far=0x100000000000 -check R_X86_64_64.s R_X86_64_64.o
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

# jitlink-check: *{8}abs64_local = main + 3
        .globl  abs64_local
        .p2align 3
        .type   abs64_local,@object
abs64_local:
        .quad   main + 3
        .size   abs64_local, .-abs64_local

# jitlink-check: *{8}abs64_extern = extern_far - 16
        .globl  abs64_extern
        .p2align 3
        .type   abs64_extern,@object
abs64_extern:
        .quad   extern_far - 16
        .size   abs64_extern, .-abs64_extern
