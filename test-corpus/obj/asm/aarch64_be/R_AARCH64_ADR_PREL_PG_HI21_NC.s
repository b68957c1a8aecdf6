# R_AARCH64_ADR_PREL_PG_HI21_NC: ADRP without the overflow check.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -check R_AARCH64_ADR_PREL_PG_HI21_NC.s R_AARCH64_ADR_PREL_PG_HI21_NC.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(test_adrp_nc, 1)[20:0] = ((named_data >> 12) - (test_adrp_nc >> 12))[20:0]
        .globl  test_adrp_nc
        .p2align 2
        .type   test_adrp_nc,@function
test_adrp_nc:
        adrp    x0, :pg_hi21_nc:named_data
        .size   test_adrp_nc, .-test_adrp_nc

        .data
        .space  0x1234
        .globl  named_data
        .p2align 4
        .type   named_data,@object
named_data:
        .space  32
        .size   named_data, 32
