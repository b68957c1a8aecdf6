# R_X86_64_PC64: 64-bit PC-relative (Delta64).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_far=0x100000000000 -check R_X86_64_PC64.s R_X86_64_PC64.o
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

# jitlink-check: *{8}pc64_field = extern_far - pc64_field + 4
        .globl  pc64_field
        .p2align 3
        .type   pc64_field,@object
pc64_field:
        .quad   extern_far - . + 4
        .size   pc64_field, .-pc64_field
