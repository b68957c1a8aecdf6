# R_X86_64_32: 32-bit zero-extended absolute address (Pointer32).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_near=0x7ff00000 -check R_X86_64_32.s R_X86_64_32.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(movl_imm32, 1)[31:0] = extern_near
        .globl  movl_imm32
        .type   movl_imm32,@function
movl_imm32:
        movl    $extern_near, %ebx
        .size   movl_imm32, .-movl_imm32
        .data

# jitlink-check: *{4}abs32_data = main
        .globl  abs32_data
        .p2align 2
        .type   abs32_data,@object
abs32_data:
        .long   main
        .size   abs32_data, .-abs32_data
