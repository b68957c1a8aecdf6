# Branch range-extension veneer: call_far's BL targets far_func, placed more
# than 128 MiB away by a 136 MiB executable zero-fill section (laid out after
# the code of its segment, so it costs the object nothing), and far_func in a
# writable+executable section (a segment of its own, after the gap). The BL
# goes to a veneer (ldr x16, #8; br x16; .quad far_func) beside the caller.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 160Mb -slab-address 0x10000 -slab-page-size 4096 \
#     -check veneer.s veneer.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# far_func is out of BL's reach (at least 2^27 bytes on).
# jitlink-check: (far_func - call_far)[63:27] = 1
# The BL's target is a veneer (not far_func's ret): it loads its literal (8 bytes on) into x16 and branches to x16.
# jitlink-check: *{4}(call_far + (decode_operand(call_far, 0) << 2)) = 0x58000050
# jitlink-check: *{4}(call_far + (decode_operand(call_far, 0) << 2) + 4) = 0xd61f0200
# jitlink-check: *{8}(call_far + (decode_operand(call_far, 0) << 2) + 8) = far_func
        .globl  call_far
        .p2align 2
        .type   call_far,@function
call_far:
        bl      far_func
        .size   call_far, .-call_far

# A call within reach is not routed through a veneer.
# jitlink-check: decode_operand(call_near, 0)[25:0] = (main - call_near)[27:2]
        .globl  call_near
        .p2align 2
        .type   call_near,@function
call_near:
        b       main
        .size   call_near, .-call_near

        .section .text.gap,"ax",@nobits
        .p2align 4
# Global, so that the gap is not dead-stripped.
        .globl  gap
gap:
        .space  0x8800000

        .section .text.far,"awx",@progbits
        .globl  far_func
        .p2align 2
        .type   far_func,@function
far_func:
        ret
        .size   far_func, .-far_func
