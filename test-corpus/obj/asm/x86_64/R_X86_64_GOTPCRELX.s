# R_X86_64_GOTPCRELX: relaxable GOT load without REX (movl relaxed to leal; indirect jmp through the GOT kept).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_near=0x7ff00000 -abs extern_far=0x100000000000 -check R_X86_64_GOTPCRELX.s R_X86_64_GOTPCRELX.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: *{1}movl_relaxed = 0x8d
# jitlink-check: decode_operand(movl_relaxed, 4) = extern_near - next_pc(movl_relaxed)
        .globl  movl_relaxed
        .type   movl_relaxed,@function
movl_relaxed:
        movl    extern_near@GOTPCREL(%rip), %eax
        .size   movl_relaxed, .-movl_relaxed

# jitlink-check: decode_operand(jmp_far_got, 3) = got_addr(R_X86_64_GOTPCRELX.o, extern_far) - next_pc(jmp_far_got)
# jitlink-check: *{8}got_addr(R_X86_64_GOTPCRELX.o, extern_far) = extern_far
        .globl  jmp_far_got
        .type   jmp_far_got,@function
jmp_far_got:
        jmpq    *extern_far@GOTPCREL(%rip)
        .size   jmp_far_got, .-jmp_far_got
