# R_X86_64_PLT32: calls through the PLT; stubs for unreachable callees, bypassed for reachable ones.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_near=0x7ff00000 -abs extern_far=0x100000000000 -check R_X86_64_PLT32.s R_X86_64_PLT32.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(call_local, 0) = main - next_pc(call_local)
        .globl  call_local
        .type   call_local,@function
call_local:
        callq   main@PLT
        .size   call_local, .-call_local

# jitlink-check: decode_operand(call_near, 0) = extern_near - next_pc(call_near)
        .globl  call_near
        .type   call_near,@function
call_near:
        callq   extern_near@PLT
        .size   call_near, .-call_near

# jitlink-check: decode_operand(call_far, 0) = stub_addr(R_X86_64_PLT32.o, extern_far) - next_pc(call_far)
# jitlink-check: *{8}got_addr(R_X86_64_PLT32.o, extern_far) = extern_far
# jitlink-check: *{2}stub_addr(R_X86_64_PLT32.o, extern_far) = 0x25ff
# jitlink-check: *{4}stub_addr(R_X86_64_PLT32.o, extern_far) + 2 = \
# jitlink-check:     (got_addr(R_X86_64_PLT32.o, extern_far) - (stub_addr(R_X86_64_PLT32.o, extern_far) + 6))[31:0]
        .globl  call_far
        .type   call_far,@function
call_far:
        callq   extern_far@PLT
        .size   call_far, .-call_far

# jitlink-check: decode_operand(jmp_far, 0) = stub_addr(R_X86_64_PLT32.o, extern_far) - next_pc(jmp_far)
        .globl  jmp_far
        .type   jmp_far,@function
jmp_far:
        jmp     extern_far@PLT
        .size   jmp_far, .-jmp_far
