# COMDAT selection "largest": this object and comdat_largest_b.obj both define
# `shared` in a COMDAT section. Linked by the tests with:
#   jitlink -noexec -check comdat_largest_a.s comdat_largest_a.obj comdat_largest_b.obj

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
main:
        movl    shared(%rip), %eax
        retq

        .section .data$shared,"dw",largest,shared
        .globl  shared
        .p2align 2
shared:
        .long   1

        .data
        .globl  ref_a
        .p2align 3
ref_a:
        .quad   shared

# The first object's copy is kept, and both objects refer to it.
# jitlink-check: *{4}shared = 1
# jitlink-check: *{8}ref_a = shared
# jitlink-check: *{8}ref_b = shared
