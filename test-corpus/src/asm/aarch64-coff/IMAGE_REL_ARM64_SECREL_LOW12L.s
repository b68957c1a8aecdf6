# IMAGE_REL_ARM64_SECREL_LOW12L: loads and stores: low 12 bits of the offset of T + A in its section, divided by the access size.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_SECREL_LOW12L.s IMAGE_REL_ARM64_SECREL_LOW12L.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_secrel_ldr, 2) = 0x49
        .globl  test_secrel_ldr
        .def    test_secrel_ldr; .scl 2; .type 32; .endef
        .p2align 2
test_secrel_ldr:
        ldr     x0, [x0, :secrel_lo12:named_data + 8]

# jitlink-check: decode_operand(test_secrel_ldrh, 2) = 0x121
        .globl  test_secrel_ldrh
        .def    test_secrel_ldrh; .scl 2; .type 32; .endef
        .p2align 2
test_secrel_ldrh:
        ldrh    w1, [x1, :secrel_lo12:named_data + 2]

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32
