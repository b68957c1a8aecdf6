# IMAGE_REL_ARM64_SECREL: 32-bit offset of T + A from the start of its section (named_data is at 0x1240 in .data).
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_SECREL.s IMAGE_REL_ARM64_SECREL.obj
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

# jitlink-check: *{4}secrel_field = 0x1244
# jitlink-check: *{4}secrel_field = named_data + 4 - section_addr(IMAGE_REL_ARM64_SECREL.obj, .data)
        .globl  secrel_field
        .p2align 2
secrel_field:
        .secrel32 named_data + 4
