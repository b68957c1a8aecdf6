# R_AARCH64_CONDBR19: B.cond, CBZ, CBNZ: word offset, within 1 MiB.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_CONDBR19.s R_AARCH64_CONDBR19.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_bcond, 1)[18:0] = (main - test_bcond)[20:2]
        .globl  test_bcond
        .p2align 2
        .type   test_bcond,@function
test_bcond:
        b.eq    main
        .size   test_bcond, .-test_bcond

# jitlink-check: decode_operand(test_cbz, 1)[18:0] = (cond_target - test_cbz)[20:2]
        .globl  test_cbz
        .p2align 2
        .type   test_cbz,@function
test_cbz:
        cbz     x0, cond_target
        .size   test_cbz, .-test_cbz

        .globl  cond_target
        .p2align 2
        .type   cond_target,@function
cond_target:
        ret
        .size   cond_target, .-cond_target

