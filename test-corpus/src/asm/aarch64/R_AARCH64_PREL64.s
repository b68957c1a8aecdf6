# R_AARCH64_PREL64: 64-bit PC-relative offset.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_PREL64.s R_AARCH64_PREL64.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .data
# jitlink-check: *{8}prel64_far = extern_far - prel64_far
        .globl  prel64_far
        .p2align 3
        .type   prel64_far,@object
prel64_far:
        .xword  extern_far - .
        .size   prel64_far, .-prel64_far

