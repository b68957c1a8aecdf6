# R_X86_64_PC16: 16-bit PC-relative (Delta16).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_PC16.s R_X86_64_PC16.o
# (llvm-jitlink-19 accepts the same command line, except R_X86_64_PC16, which it rejects.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main
        .data

# jitlink-check: *{2}pc16_field = (main - pc16_field)[15:0]
        .globl  pc16_field
        .p2align 1
        .type   pc16_field,@object
pc16_field:
        .short  main - .
        .size   pc16_field, .-pc16_field
