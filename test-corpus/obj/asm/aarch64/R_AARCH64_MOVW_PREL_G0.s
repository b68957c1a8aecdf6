# R_AARCH64_MOVW_PREL_G0: MOVZ/MOVN of bits 15:0 of a PC-relative offset (MOVN for a negative one).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_MOVW_PREL_G0.s R_AARCH64_MOVW_PREL_G0.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_prel_g0_pos, 1) = (prel_target - test_prel_g0_pos)[15:0]
# jitlink-check: (*{4}test_prel_g0_pos)[30:29] = 2
        .globl  test_prel_g0_pos
        .p2align 2
        .type   test_prel_g0_pos,@function
test_prel_g0_pos:
        movn    x0, #:prel_g0:prel_target
        .size   test_prel_g0_pos, .-test_prel_g0_pos

# jitlink-check: decode_operand(test_prel_g0_neg, 1) = (test_prel_g0_neg - main - 1)[15:0]
# jitlink-check: (*{4}test_prel_g0_neg)[30:29] = 0
        .globl  test_prel_g0_neg
        .p2align 2
        .type   test_prel_g0_neg,@function
test_prel_g0_neg:
        movz    x0, #:prel_g0:main
        .size   test_prel_g0_neg, .-test_prel_g0_neg

        .globl  prel_target
        .p2align 2
        .type   prel_target,@function
prel_target:
        ret
        .size   prel_target, .-prel_target

