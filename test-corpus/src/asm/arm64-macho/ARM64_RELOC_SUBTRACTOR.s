# ARM64_RELOC_SUBTRACTOR + UNSIGNED pairs: A - B + addend in 64 and 32 bits, the field in B's block (a Delta edge to A) or in A's block (a NegDelta edge to B).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_SUBTRACTOR.s ARM64_RELOC_SUBTRACTOR.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

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

# A negative addend: the 32-bit stored value is read signed.
# jitlink-check: *{4}_delta32_back = (_main - _delta32_back - 8)[31:0]
        .globl  _delta32_back
        .p2align 2
_delta32_back:
        .long   _main - _delta32_back - 8

# The field lies in A's block: P - B, negated.
# jitlink-check: *{8}_negdelta64 = _negdelta64 - _main
        .globl  _negdelta64
        .p2align 3
_negdelta64:
        .quad   _negdelta64 - _main

# jitlink-check: *{4}_negdelta32 = (_negdelta32 - _main + 4)[31:0]
        .globl  _negdelta32
        .p2align 2
_negdelta32:
        .long   _negdelta32 - _main + 4

.subsections_via_symbols
