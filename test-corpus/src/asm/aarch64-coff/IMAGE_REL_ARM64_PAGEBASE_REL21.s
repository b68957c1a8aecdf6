# IMAGE_REL_ARM64_PAGEBASE_REL21: ADRP: page of (T + A) minus page of the instruction; A is the byte offset llvm-mc writes into the immediate.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_PAGEBASE_REL21.s IMAGE_REL_ARM64_PAGEBASE_REL21.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_adrp, 1)[20:0] = ((named_data >> 12) - (test_adrp >> 12))[20:0]
        .globl  test_adrp
        .def    test_adrp; .scl 2; .type 32; .endef
        .p2align 2
test_adrp:
        adrp    x0, named_data

# jitlink-check: decode_operand(test_adrp_addend, 1)[20:0] = (((named_data + 0xdc8) >> 12) - (test_adrp_addend >> 12))[20:0]
        .globl  test_adrp_addend
        .def    test_adrp_addend; .scl 2; .type 32; .endef
        .p2align 2
test_adrp_addend:
        adrp    x1, named_data + 0xdc8

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32
