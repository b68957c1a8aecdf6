# X86_64_RELOC_SUBTRACTOR + UNSIGNED pairs: A - B + addend in 64 and 32 bits, with the field in
# B's block (a Delta edge to A) or in A's block (a NegDelta edge to B), and A found by address.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check X86_64_RELOC_SUBTRACTOR.s X86_64_RELOC_SUBTRACTOR.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        xorl    %eax, %eax
        retq

        .section __DATA,__data
# jitlink-check: *{8}_delta64 = _main - _delta64 + 8
        .globl  _delta64
        .p2align 3
_delta64:
        .quad   _main - _delta64 + 8

# jitlink-check: *{4}_delta32 = (_main - _delta32)[31:0]
        .globl  _delta32
        .p2align 2
_delta32:
        .long   _main - _delta32

# The field lies in A's block: P - B, negated.
# jitlink-check: *{8}_negdelta64 = _negdelta64 - _main
        .globl  _negdelta64
        .p2align 3
_negdelta64:
        .quad   _negdelta64 - _main

# A is a temporary label: found by address.
# jitlink-check: *{4}_delta_anon = ((_far_data + 4) - _delta_anon)[31:0]
        .globl  _delta_anon
        .p2align 2
_delta_anon:
        .long   Lfar_data_plus_4 - _delta_anon

        .section __DATA,__const
        .globl  _far_data
        .p2align 3
_far_data:
        .long   1
Lfar_data_plus_4:
        .long   2

.subsections_via_symbols
