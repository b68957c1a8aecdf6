# R_AARCH64_LD64_GOT_LO12_NC: LDR of a GOT entry: low 12 bits of its address, divided by 8.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_LD64_GOT_LO12_NC.s R_AARCH64_LD64_GOT_LO12_NC.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .globl  test_ld_got
        .p2align 2
        .type   test_ld_got,@function
test_ld_got:
        adrp    x0, :got:extern_far
        .size   test_ld_got, .-test_ld_got

# jitlink-check: decode_operand(test_ld_got_ldr, 2) = got_addr(R_AARCH64_LD64_GOT_LO12_NC.o, extern_far)[11:3]
# jitlink-check: *{8}got_addr(R_AARCH64_LD64_GOT_LO12_NC.o, extern_far) = extern_far
        .globl  test_ld_got_ldr
        .type   test_ld_got_ldr,@function
test_ld_got_ldr:
        ldr     x0, [x0, :got_lo12:extern_far]
        .size   test_ld_got_ldr, .-test_ld_got_ldr
