# R_X86_64_PC8: 8-bit PC-relative (Delta8), to a nearby section of the same segment.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_PC8.s R_X86_64_PC8.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main
        .section .text.pc8,"ax",@progbits

# jitlink-check: *{1}pc8_field = (main - pc8_field)[7:0]
        .globl  pc8_field
        .p2align 0
        .type   pc8_field,@object
pc8_field:
        .byte   main - .
        .size   pc8_field, .-pc8_field
