# R_AARCH64_ABS64: 64-bit absolute address.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_ABS64.s R_AARCH64_ABS64.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .data
# jitlink-check: *{8}abs64_local = main + 3
        .globl  abs64_local
        .p2align 3
        .type   abs64_local,@object
abs64_local:
        .xword  main + 3
        .size   abs64_local, .-abs64_local

# jitlink-check: *{8}abs64_far = extern_far
        .globl  abs64_far
        .p2align 3
        .type   abs64_far,@object
abs64_far:
        .xword  extern_far
        .size   abs64_far, .-abs64_far

