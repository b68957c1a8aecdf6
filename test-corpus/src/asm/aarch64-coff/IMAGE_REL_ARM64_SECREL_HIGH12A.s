# IMAGE_REL_ARM64_SECREL_HIGH12A: ADD (immediate, lsl #12): bits 12-23 of the offset of T + A in its section; A is the byte addend llvm-mc writes into the immediate.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_SECREL_HIGH12A.s IMAGE_REL_ARM64_SECREL_HIGH12A.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_secrel_hi, 2) = 1
# jitlink-check: decode_operand(test_secrel_hi, 3) = 12
        .globl  test_secrel_hi
        .def    test_secrel_hi; .scl 2; .type 32; .endef
        .p2align 2
test_secrel_hi:
        add     x0, x0, :secrel_hi12:named_data + 4

# jitlink-check: decode_operand(test_secrel_hi_carry, 2) = 2
        .globl  test_secrel_hi_carry
        .def    test_secrel_hi_carry; .scl 2; .type 32; .endef
        .p2align 2
test_secrel_hi_carry:
        add     x1, x1, :secrel_hi12:named_data + 0xdc0

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32
