# IMAGE_REL_ARM64_ADDR64: 64-bit address of T + A.
# Linked by the tests with:
#   jitlink -noexec -abs extern_far=0x100000000000 -check IMAGE_REL_ARM64_ADDR64.s IMAGE_REL_ARM64_ADDR64.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
named_data:
        .space  32

# jitlink-check: *{8}addr64_local = named_data + 8
        .globl  addr64_local
        .p2align 3
addr64_local:
        .quad   named_data + 8

# jitlink-check: *{8}addr64_ext = extern_far
        .globl  addr64_ext
        .p2align 3
addr64_ext:
        .quad   extern_far
