# The second copy of `shared` and its associative section, for comdat_associative_a.s.

        .section .data$shared,"dw",discard,shared
        .globl  shared
        .p2align 2
shared:
        .long   2

        .section .rdata$assoc,"dr",associative,shared
        .p2align 2
assoc_b:
        .long   0xb

        .data
        .globl  ref_b
        .p2align 3
ref_b:
        .quad   shared
