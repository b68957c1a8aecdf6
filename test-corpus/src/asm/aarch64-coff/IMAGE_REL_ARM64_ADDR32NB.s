# IMAGE_REL_ARM64_ADDR32NB: 32-bit image-relative address: T + A - __ImageBase (the graph's lowest address).
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_ADDR32NB.s IMAGE_REL_ARM64_ADDR32NB.obj
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

# jitlink-check: *{4}addr32nb_field = named_data - __ImageBase
        .globl  addr32nb_field
        .p2align 2
addr32nb_field:
        .long   named_data@IMGREL

# jitlink-check: *{4}addr32nb_addend = named_data + 8 - __ImageBase
        .globl  addr32nb_addend
        .p2align 2
addr32nb_addend:
        .long   named_data + 8@IMGREL
