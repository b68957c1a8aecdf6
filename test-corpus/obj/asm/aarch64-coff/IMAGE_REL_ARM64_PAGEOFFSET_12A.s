# IMAGE_REL_ARM64_PAGEOFFSET_12A: ADD (immediate): low 12 bits of T + A; A is the immediate llvm-mc writes.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_PAGEOFFSET_12A.s IMAGE_REL_ARM64_PAGEOFFSET_12A.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_add, 2) = named_data[11:0]
        .globl  test_add
        .def    test_add; .scl 2; .type 32; .endef
        .p2align 2
test_add:
        add     x0, x0, :lo12:named_data

# jitlink-check: decode_operand(test_add_addend, 2) = (named_data + 0x13)[11:0]
        .globl  test_add_addend
        .def    test_add_addend; .scl 2; .type 32; .endef
        .p2align 2
test_add_addend:
        add     x1, x1, :lo12:named_data + 0x13

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32
