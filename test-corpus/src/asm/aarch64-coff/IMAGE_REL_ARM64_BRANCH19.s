# IMAGE_REL_ARM64_BRANCH19: B.cond, CBZ and CBNZ imm19, (T - P) >> 2.
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_BRANCH19.s IMAGE_REL_ARM64_BRANCH19.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(cond_branch, 1)[18:0] = (helper - cond_branch)[20:2]
        .globl  cond_branch
        .def    cond_branch; .scl 2; .type 32; .endef
        .p2align 2
cond_branch:
        b.ne    helper

# jitlink-check: decode_operand(compare_branch, 1)[18:0] = (helper - compare_branch)[20:2]
        .globl  compare_branch
        .def    compare_branch; .scl 2; .type 32; .endef
        .p2align 2
compare_branch:
        cbz     x1, helper

        .def    helper; .scl 3; .type 32; .endef
        .p2align 2
helper:
        ret
