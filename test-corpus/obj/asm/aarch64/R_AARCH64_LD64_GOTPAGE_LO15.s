# R_AARCH64_LD64_GOTPAGE_LO15: LDR of a GOT entry relative to the page of _GLOBAL_OFFSET_TABLE_.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_LD64_GOTPAGE_LO15.s R_AARCH64_LD64_GOTPAGE_LO15.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .globl  test_gotpage
        .p2align 2
        .type   test_gotpage,@function
test_gotpage:
        adrp    x0, _GLOBAL_OFFSET_TABLE_
        .size   test_gotpage, .-test_gotpage

# jitlink-check: decode_operand(test_gotpage_ldr, 2) = (got_addr(R_AARCH64_LD64_GOTPAGE_LO15.o, extern_far) - ((_GLOBAL_OFFSET_TABLE_ >> 12) << 12)) >> 3
# jitlink-check: *{8}got_addr(R_AARCH64_LD64_GOTPAGE_LO15.o, extern_far) = extern_far
        .globl  test_gotpage_ldr
        .type   test_gotpage_ldr,@function
test_gotpage_ldr:
        ldr     x0, [x0, :gotpage_lo15:extern_far]
        .size   test_gotpage_ldr, .-test_gotpage_ldr
