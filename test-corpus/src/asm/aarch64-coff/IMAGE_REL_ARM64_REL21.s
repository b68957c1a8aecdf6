# IMAGE_REL_ARM64_REL21: ADR: T + A - P; A is the byte offset in the immediate (the target is in another section, so the assembler leaves it to the linker).
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_REL21.s IMAGE_REL_ARM64_REL21.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_adr, 1)[20:0] = (text_target + 4 - test_adr)[20:0]
        .globl  test_adr
        .def    test_adr; .scl 2; .type 32; .endef
        .p2align 2
test_adr:
        adr     x0, text_target + 4

        .section .text$far,"xr"
        .p2align 2
        .space  0x400
text_target:
        ret
