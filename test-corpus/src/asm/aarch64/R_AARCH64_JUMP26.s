# R_AARCH64_JUMP26: B (tail call) to a local function, and to an external one through a stub.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_JUMP26.s R_AARCH64_JUMP26.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(jump_local, 0)[25:0] = (main - jump_local)[27:2]
        .globl  jump_local
        .p2align 2
        .type   jump_local,@function
jump_local:
        b       main
        .size   jump_local, .-jump_local

# jitlink-check: decode_operand(jump_far, 0)[25:0] = (stub_addr(R_AARCH64_JUMP26.o, extern_far) - jump_far)[27:2]
# jitlink-check: *{8}got_addr(R_AARCH64_JUMP26.o, extern_far) = extern_far
        .globl  jump_far
        .p2align 2
        .type   jump_far,@function
jump_far:
        b       extern_far
        .size   jump_far, .-jump_far

