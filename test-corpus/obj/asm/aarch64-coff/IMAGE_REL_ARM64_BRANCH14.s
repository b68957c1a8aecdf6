# IMAGE_REL_ARM64_BRANCH14: TBZ and TBNZ imm14, (T - P) >> 2.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_BRANCH14.s IMAGE_REL_ARM64_BRANCH14.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(test_branch, 2)[13:0] = (helper - test_branch)[15:2]
        .globl  test_branch
        .def    test_branch; .scl 2; .type 32; .endef
        .p2align 2
test_branch:
        tbnz    x2, #35, helper

        .def    helper; .scl 3; .type 32; .endef
        .p2align 2
helper:
        ret
