# R_AARCH64_ADR_GOT_PAGE: ADRP of the GOT entry of a symbol.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_ADR_GOT_PAGE.s R_AARCH64_ADR_GOT_PAGE.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_adr_got, 1)[20:0] = ((got_addr(R_AARCH64_ADR_GOT_PAGE.o, extern_far) >> 12) - (test_adr_got >> 12))[20:0]
# jitlink-check: *{8}got_addr(R_AARCH64_ADR_GOT_PAGE.o, extern_far) = extern_far
        .globl  test_adr_got
        .p2align 2
        .type   test_adr_got,@function
test_adr_got:
        adrp    x0, :got:extern_far
        .size   test_adr_got, .-test_adr_got

