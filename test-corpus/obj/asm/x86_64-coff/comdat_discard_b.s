# The second copy of `shared` for comdat_discard_a.s.

        .section .data$shared,"dw",discard,shared
        .globl  shared
        .p2align 2
shared:
        .long   2

        .data
        .globl  ref_b
        .p2align 3
ref_b:
        .quad   shared
