# R_AARCH64_ADD_ABS_LO12_NC: ADD (immediate): low 12 bits of the address.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_ADD_ABS_LO12_NC.s R_AARCH64_ADD_ABS_LO12_NC.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_add_lo12, 2) = named_data[11:0]
        .globl  test_add_lo12
        .p2align 2
        .type   test_add_lo12,@function
test_add_lo12:
        add     x0, x0, :lo12:named_data
        .size   test_add_lo12, .-test_add_lo12

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
        .type   named_data,@object
named_data:
        .space  32
        .size   named_data, 32
