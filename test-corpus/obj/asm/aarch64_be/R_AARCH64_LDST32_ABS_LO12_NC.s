# R_AARCH64_LDST32_ABS_LO12_NC: 32-bit load/store: low 12 bits of the address, divided by 4.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_LDST32_ABS_LO12_NC.s R_AARCH64_LDST32_ABS_LO12_NC.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_ldst32, 2) = (named_data + 16)[11:2]
        .globl  test_ldst32
        .p2align 2
        .type   test_ldst32,@function
test_ldst32:
        ldr    w0, [x0, :lo12:named_data+16]
        .size   test_ldst32, .-test_ldst32

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
        .type   named_data,@object
named_data:
        .space  32
        .size   named_data, 32
