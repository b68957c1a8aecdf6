# R_X86_64_PC32: 32-bit PC-relative (Delta32 / PCRel32).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_near=0x7ff00000 -check R_X86_64_PC32.s R_X86_64_PC32.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(pc32_load, 4) = extern_near - next_pc(pc32_load)
        .globl  pc32_load
        .type   pc32_load,@function
pc32_load:
        movl    extern_near(%rip), %eax
        .size   pc32_load, .-pc32_load

# jitlink-check: decode_operand(pc32_lea, 4) = pc32_data - next_pc(pc32_lea)
        .globl  pc32_lea
        .type   pc32_lea,@function
pc32_lea:
        leaq    pc32_data(%rip), %rdx
        .size   pc32_lea, .-pc32_lea
        .data

# jitlink-check: *{4}pc32_data = (main - pc32_data + 8)[31:0]
        .globl  pc32_data
        .p2align 2
        .type   pc32_data,@object
pc32_data:
        .long   main - . + 8
        .size   pc32_data, .-pc32_data
