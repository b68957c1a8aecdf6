# R_AARCH64_GOT_LD_PREL19: LDR (literal) of the GOT entry of a symbol (-mcmodel=tiny).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_GOT_LD_PREL19.s R_AARCH64_GOT_LD_PREL19.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_ld_got_lit, 1)[18:0] = (got_addr(R_AARCH64_GOT_LD_PREL19.o, extern_far) - test_ld_got_lit)[20:2]
# jitlink-check: *{8}got_addr(R_AARCH64_GOT_LD_PREL19.o, extern_far) = extern_far
        .globl  test_ld_got_lit
        .p2align 2
        .type   test_ld_got_lit,@function
test_ld_got_lit:
        ldr     x0, :got:extern_far
        .size   test_ld_got_lit, .-test_ld_got_lit
