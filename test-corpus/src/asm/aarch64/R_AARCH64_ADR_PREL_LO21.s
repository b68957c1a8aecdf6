# R_AARCH64_ADR_PREL_LO21: ADR: byte offset of the target, within 1 MiB.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_ADR_PREL_LO21.s R_AARCH64_ADR_PREL_LO21.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_adr, 1)[20:0] = (adr_target - test_adr)[20:0]
        .globl  test_adr
        .p2align 2
        .type   test_adr,@function
test_adr:
        adr     x0, adr_target
        .size   test_adr, .-test_adr

        .globl  adr_target
        .p2align 2
        .type   adr_target,@function
adr_target:
        nop
        ret
        .size   adr_target, .-adr_target

