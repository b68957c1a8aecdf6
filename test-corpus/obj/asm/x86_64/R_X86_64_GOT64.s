# R_X86_64_GOT64: 64-bit offset of a GOT entry from the GOT base.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_far=0x100000000000 -check R_X86_64_GOT64.s R_X86_64_GOT64.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

# jitlink-check: decode_operand(got64, 1) = got_addr(R_X86_64_GOT64.o, extern_far) - _GLOBAL_OFFSET_TABLE_
# jitlink-check: *{8}got_addr(R_X86_64_GOT64.o, extern_far) = extern_far
        .globl  got64
        .type   got64,@function
got64:
        movabsq $extern_far@GOT, %rdx
        .size   got64, .-got64
