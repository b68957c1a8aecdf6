# IMAGE_REL_ARM64_ADDR32: 32-bit address of T + A (the graph is placed below 4 GiB for its own content).
# Linked by the tests with:
#   jitlink -noexec -abs extern_low=0x12345678 -check IMAGE_REL_ARM64_ADDR32.s IMAGE_REL_ARM64_ADDR32.obj
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

# jitlink-check: *{4}addr32_local = named_data + 3
        .globl  addr32_local
        .p2align 2
addr32_local:
        .long   named_data + 3

# jitlink-check: *{4}addr32_ext = extern_low + 4
        .globl  addr32_ext
        .p2align 2
addr32_ext:
        .long   extern_low + 4
