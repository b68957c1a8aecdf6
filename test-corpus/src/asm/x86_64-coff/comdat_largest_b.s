# The second copy of `shared` for comdat_largest_a.s.

        .section .data$shared,"dw",largest,shared
        .globl  shared
        .p2align 2
shared:
        .long   2

        .data
        .globl  ref_b
        .p2align 3
ref_b:
        .quad   shared
