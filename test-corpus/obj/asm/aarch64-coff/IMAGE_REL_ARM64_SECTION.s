# IMAGE_REL_ARM64_SECTION: 16-bit number of T's section (the graph's numbering: .text is 1, .data 2).
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_SECTION.s IMAGE_REL_ARM64_SECTION.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32

# jitlink-check: *{2}section_field = 2
        .globl  section_field
        .p2align 1
section_field:
        .secidx named_data
        .short  0
