# IMAGE_REL_ARM64_PAGEOFFSET_12L: loads and stores (unsigned offset): low 12 bits of T + A, divided by the access size; A is the scaled immediate.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_PAGEOFFSET_12L.s IMAGE_REL_ARM64_PAGEOFFSET_12L.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_ldr64, 2) = (named_data + 16)[11:3]
        .globl  test_ldr64
        .def    test_ldr64; .scl 2; .type 32; .endef
        .p2align 2
test_ldr64:
        ldr     x0, [x0, :lo12:named_data + 16]

# jitlink-check: decode_operand(test_ldr32, 2) = (named_data + 4)[11:2]
        .globl  test_ldr32
        .def    test_ldr32; .scl 2; .type 32; .endef
        .p2align 2
test_ldr32:
        ldr     w1, [x1, :lo12:named_data + 4]

# jitlink-check: decode_operand(test_strh, 2) = (named_data + 6)[11:1]
        .globl  test_strh
        .def    test_strh; .scl 2; .type 32; .endef
        .p2align 2
test_strh:
        strh    w2, [x2, :lo12:named_data + 6]

# jitlink-check: decode_operand(test_ldrb, 2) = (named_data + 7)[11:0]
        .globl  test_ldrb
        .def    test_ldrb; .scl 2; .type 32; .endef
        .p2align 2
test_ldrb:
        ldrb    w3, [x3, :lo12:named_data + 7]

# jitlink-check: decode_operand(test_ldr128, 2) = (named_data + 16)[11:4]
        .globl  test_ldr128
        .def    test_ldr128; .scl 2; .type 32; .endef
        .p2align 2
test_ldr128:
        ldr     q4, [x4, :lo12:named_data + 16]

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32
