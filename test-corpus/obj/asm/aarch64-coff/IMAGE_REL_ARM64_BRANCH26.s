# IMAGE_REL_ARM64_BRANCH26: B/BL imm26, (T - P) >> 2; to an external callee through a stub (adrp/ldr/br x16).
# Linked by the tests with:
#   jitlink -noexec -abs extern_far=0x100000000000 -check IMAGE_REL_ARM64_BRANCH26.s IMAGE_REL_ARM64_BRANCH26.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(call_local, 0)[25:0] = (helper - call_local)[27:2]
        .globl  call_local
        .def    call_local; .scl 2; .type 32; .endef
        .p2align 2
call_local:
        bl      helper

# jitlink-check: decode_operand(jump_local, 0)[25:0] = (helper - jump_local)[27:2]
        .globl  jump_local
        .def    jump_local; .scl 2; .type 32; .endef
        .p2align 2
jump_local:
        b       helper

# jitlink-check: decode_operand(call_far, 0)[25:0] = (stub_addr(IMAGE_REL_ARM64_BRANCH26.obj, extern_far) - call_far)[27:2]
# jitlink-check: *{8}got_addr(IMAGE_REL_ARM64_BRANCH26.obj, extern_far) = extern_far
# jitlink-check: *{4}(stub_addr(IMAGE_REL_ARM64_BRANCH26.obj, extern_far) + 8) = 0xd61f0200
        .globl  call_far
        .def    call_far; .scl 2; .type 32; .endef
        .p2align 2
call_far:
        bl      extern_far

        .def    helper; .scl 3; .type 32; .endef
        .p2align 2
helper:
        ret
