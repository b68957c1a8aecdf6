# ARM64_RELOC_UNSIGNED: 64- and 32-bit pointers with their implicit addends; a temporary label's target found by address (non-extern).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_UNSIGNED.s ARM64_RELOC_UNSIGNED.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

        .section __DATA,__data
# jitlink-check: *{8}_ptr64 = _target + 8
        .globl  _ptr64
        .p2align 3
_ptr64:
        .quad   _target + 8

# jitlink-check: *{8}_ptr_extern = _extern_far + 16
        .globl  _ptr_extern
        .p2align 3
_ptr_extern:
        .quad   _extern_far + 16

# jitlink-check: *{4}_ptr32 = _target + 4
        .globl  _ptr32
        .p2align 2
_ptr32:
        .long   _target + 4

# A temporary label: the relocation names its section, the stored value its address.
# jitlink-check: *{8}_ptr_anon = _target + 12
        .globl  _ptr_anon
        .p2align 3
_ptr_anon:
        .quad   Ltarget_plus_12

        .section __DATA,__const
        .globl  _target
        .p2align 3
_target:
        .quad   1
        .long   2
Ltarget_plus_12:
        .long   3

.subsections_via_symbols
