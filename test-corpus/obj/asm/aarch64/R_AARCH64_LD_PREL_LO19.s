# R_AARCH64_LD_PREL_LO19: LDR (literal): word offset of the literal, within 1 MiB.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_LD_PREL_LO19.s R_AARCH64_LD_PREL_LO19.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_ldr_lit, 1)[18:0] = (literal - test_ldr_lit)[20:2]
        .globl  test_ldr_lit
        .p2align 2
        .type   test_ldr_lit,@function
test_ldr_lit:
        ldr     x0, literal
        .size   test_ldr_lit, .-test_ldr_lit

        .globl  literal
        .p2align 3
        .type   literal,@object
literal:
        .xword  0x1122334455667788
        .size   literal, .-literal

