# COMDAT selection "associative": each object has a COMDAT `shared` (ANY) and
# an associative section tied to it, holding `assoc_a` / `assoc_b`. The second
# object's `shared` loses, so its associative section is dead-stripped with it.
# Linked by the tests with:
#   jitlink -noexec -check comdat_associative_a.s comdat_associative_a.obj comdat_associative_b.obj

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
main:
        movl    shared(%rip), %eax
        retq

        .section .data$shared,"dw",discard,shared
        .globl  shared
        .p2align 2
shared:
        .long   1

        .section .rdata$assoc,"dr",associative,shared
        .p2align 2
assoc_a:
        .long   0xa

# jitlink-check: *{4}shared = 1
