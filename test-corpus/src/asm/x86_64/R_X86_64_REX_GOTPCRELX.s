# R_X86_64_REX_GOTPCRELX: relaxable GOT load with REX (movq relaxed to leaq when the target is reachable, kept otherwise).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_near=0x7ff00000 -abs extern_far=0x100000000000 -check R_X86_64_REX_GOTPCRELX.s R_X86_64_REX_GOTPCRELX.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: *{1}movq_relaxed = 0x48
# jitlink-check: *{1}movq_relaxed + 1 = 0x8d
# jitlink-check: decode_operand(movq_relaxed, 4) = extern_near - next_pc(movq_relaxed)
        .globl  movq_relaxed
        .type   movq_relaxed,@function
movq_relaxed:
        movq    extern_near@GOTPCREL(%rip), %rax
        .size   movq_relaxed, .-movq_relaxed

# jitlink-check: *{1}movq_not_relaxed + 1 = 0x8b
# jitlink-check: decode_operand(movq_not_relaxed, 4) = got_addr(R_X86_64_REX_GOTPCRELX.o, extern_far) - next_pc(movq_not_relaxed)
# jitlink-check: *{8}got_addr(R_X86_64_REX_GOTPCRELX.o, extern_far) = extern_far
        .globl  movq_not_relaxed
        .type   movq_not_relaxed,@function
movq_not_relaxed:
        movq    extern_far@GOTPCREL(%rip), %r12
        .size   movq_not_relaxed, .-movq_not_relaxed
