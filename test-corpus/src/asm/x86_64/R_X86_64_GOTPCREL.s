# R_X86_64_GOTPCREL: 32-bit PC-relative address of a GOT entry (no relaxation allowed).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 \
#     -slab-page-size 4096 -abs extern_near=0x7ff00000 -check R_X86_64_GOTPCREL.s R_X86_64_GOTPCREL.o
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

# jitlink-check: *{4}gotpcrel_field = (got_addr(R_X86_64_GOTPCREL.o, extern_near) - gotpcrel_field)[31:0]
# jitlink-check: *{8}got_addr(R_X86_64_GOTPCREL.o, extern_near) = extern_near
        .globl  gotpcrel_field
        .p2align 2
        .type   gotpcrel_field,@object
gotpcrel_field:
        .long   extern_near@GOTPCREL
        .size   gotpcrel_field, .-gotpcrel_field
