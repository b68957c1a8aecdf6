# GOT-load relaxation: an adjacent ADRP + LDR of a GOT entry through the same
# register becomes ADRP + ADD of the target when its page is within ±4 GiB;
# beyond that (extern_far) the load through the GOT stays.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check got_relax.s got_relax.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(near_adrp, 1) = local_data[63:12] - near_adrp[63:12]
# jitlink-check: *{4}near_add = 0x91000000 | (local_data[11:0] << 10) | (1 << 5) | 2
        .globl  near_adrp
        .p2align 2
        .type   near_adrp,@function
near_adrp:
        adrp    x1, :got:local_data
        .size   near_adrp, .-near_adrp
        .globl  near_add
near_add:
        ldr     x2, [x1, :got_lo12:local_data]

# jitlink-check: decode_operand(far_adrp, 1) = got_addr(got_relax.o, extern_far)[63:12] - far_adrp[63:12]
# jitlink-check: decode_operand(far_ldr, 2) = got_addr(got_relax.o, extern_far)[11:3]
# jitlink-check: (*{4}far_ldr)[31:22] = 0x3e5
        .globl  far_adrp
far_adrp:
        adrp    x0, :got:extern_far
        .globl  far_ldr
far_ldr:
        ldr     x0, [x0, :got_lo12:extern_far]
        ret

        .data
        .p2align 3
        .globl  local_data
local_data:
        .quad   42
