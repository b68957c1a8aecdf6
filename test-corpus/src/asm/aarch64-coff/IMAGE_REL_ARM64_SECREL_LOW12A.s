# IMAGE_REL_ARM64_SECREL_LOW12A: ADD (immediate): low 12 bits of the offset of T + A in its section.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_SECREL_LOW12A.s IMAGE_REL_ARM64_SECREL_LOW12A.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_secrel_lo, 2) = 0x244
        .globl  test_secrel_lo
        .def    test_secrel_lo; .scl 2; .type 32; .endef
        .p2align 2
test_secrel_lo:
        add     x0, x0, :secrel_lo12:named_data + 4

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32
