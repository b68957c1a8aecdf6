# IMAGE_REL_ARM64_REL32: 32-bit T + A - P (measured from the end of the field; llvm-mc writes A = 4 for `x - .`).
# Linked by the tests with:
#   jitlink -noexec -check IMAGE_REL_ARM64_REL32.s IMAGE_REL_ARM64_REL32.obj
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

        .section .rdata,"dr"
# jitlink-check: *{4}rel32_field = (named_data - rel32_field)[31:0]
        .globl  rel32_field
        .p2align 2
rel32_field:
        .long   named_data - .

# jitlink-check: *{4}rel32_addend = (main + 8 - rel32_addend)[31:0]
        .globl  rel32_addend
        .p2align 2
rel32_addend:
        .long   main + 8 - .

# A negative addend: the field holds A + 4 = -4, read signed.
# jitlink-check: *{4}rel32_back = (named_data - 8 - rel32_back)[31:0]
        .globl  rel32_back
        .p2align 2
rel32_back:
        .long   named_data - 8 - .
