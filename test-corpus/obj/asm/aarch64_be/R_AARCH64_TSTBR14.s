# R_AARCH64_TSTBR14: TBZ, TBNZ: word offset, within 32 KiB.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_TSTBR14.s R_AARCH64_TSTBR14.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_tbz, 2)[13:0] = (main - test_tbz)[15:2]
# jitlink-check: decode_operand(test_tbz, 1) = 3
        .globl  test_tbz
        .p2align 2
        .type   test_tbz,@function
test_tbz:
        tbz     x0, #3, main
        .size   test_tbz, .-test_tbz

# jitlink-check: decode_operand(test_tbnz, 2)[13:0] = (tb_target - test_tbnz)[15:2]
        .globl  test_tbnz
        .p2align 2
        .type   test_tbnz,@function
test_tbnz:
        tbnz    w1, #7, tb_target
        .size   test_tbnz, .-test_tbnz

        .globl  tb_target
        .p2align 2
        .type   tb_target,@function
tb_target:
        ret
        .size   tb_target, .-tb_target

