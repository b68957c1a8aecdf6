# R_X86_64_SIZE32: 32-bit symbol size.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -check R_X86_64_SIZE32.s R_X86_64_SIZE32.o
# (llvm-jitlink-19 accepts the same command line, except R_X86_64_SIZE32, which it rejects.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: next_pc(sized_fn) = sized_fn + 1
        .globl  sized_fn
        .type   sized_fn,@function
sized_fn:
        nop
        nop
        retq
        .size   sized_fn, .-sized_fn

# jitlink-check: decode_operand(size32, 1) = 5
        .globl  size32
        .type   size32,@function
size32:
        movl    $sized_fn@SIZE + 2, %eax
        .size   size32, .-size32
        .data

# jitlink-check: *{4}size32_field = 3
        .globl  size32_field
        .p2align 2
        .type   size32_field,@object
size32_field:
        .long   sized_fn@SIZE
        .size   size32_field, .-size32_field
