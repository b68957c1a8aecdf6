# R_X86_64_GOTPCREL64: 64-bit PC-relative address of a GOT entry.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_far=0x100000000000 -check R_X86_64_GOTPCREL64.s R_X86_64_GOTPCREL64.o
# (llvm-jitlink-19 accepts the same command line.)

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main
        .data

# jitlink-check: *{8}gotpcrel64_field = got_addr(R_X86_64_GOTPCREL64.o, extern_far) - gotpcrel64_field
# jitlink-check: *{8}got_addr(R_X86_64_GOTPCREL64.o, extern_far) = extern_far
        .globl  gotpcrel64_field
        .p2align 3
        .type   gotpcrel64_field,@object
gotpcrel64_field:
        # The assembler has no operator for this 64-bit relocation: emit it directly.
        .reloc  gotpcrel64_field, R_X86_64_GOTPCREL64, extern_far
        .quad   0
        .size   gotpcrel64_field, .-gotpcrel64_field
