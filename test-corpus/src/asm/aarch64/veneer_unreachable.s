# A branch range-extension veneer that is itself out of reach: back_call, in a
# writable+executable section (a segment of its own), calls main 136 MiB back
# (behind an executable zero-fill section); the veneer sits with the R-X code,
# as far away as main, so the link fails with the BL's range error.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 160Mb -slab-address 0x10000 -slab-page-size 4096 veneer_unreachable.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

        .section .text.gap,"ax",@nobits
        .p2align 4
# Global, so that the gap is not dead-stripped.
        .globl  gap
gap:
        .space  0x8800000

        .section .text.far,"awx",@progbits
        .globl  back_call
        .p2align 2
        .type   back_call,@function
back_call:
        bl      main
        .size   back_call, .-back_call
