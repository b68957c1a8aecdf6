# R_X86_64_32S: 32-bit sign-extended absolute address (Pointer32Signed).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_low=0x12345678 -abs extern_high=0xffffffff80001000 -check R_X86_64_32S.s R_X86_64_32S.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(movq_imm32s, 1) = main
        .globl  movq_imm32s
        .type   movq_imm32s,@function
movq_imm32s:
        movq    $main, %rax
        .size   movq_imm32s, .-movq_imm32s

# jitlink-check: decode_operand(movq_imm32s_high, 1) = extern_high
        .globl  movq_imm32s_high
        .type   movq_imm32s_high,@function
movq_imm32s_high:
        movq    $extern_high, %rcx
        .size   movq_imm32s_high, .-movq_imm32s_high

# jitlink-check: decode_operand(mem_disp32s, 4) = extern_low
        .globl  mem_disp32s
        .type   mem_disp32s,@function
mem_disp32s:
        movl    extern_low(,%rax,4), %edx
        .size   mem_disp32s, .-mem_disp32s
