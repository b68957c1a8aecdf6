# X86_64_RELOC_UNSIGNED: absolute 64- and 32-bit pointers, to symbols (extern) and to addresses (non-extern).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check X86_64_RELOC_UNSIGNED.s X86_64_RELOC_UNSIGNED.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        xorl    %eax, %eax
        retq

        .section __DATA,__data
# jitlink-check: *{8}_ptr_far = _extern_far + 16
        .globl  _ptr_far
        .p2align 3
_ptr_far:
        .quad   _extern_far + 16

# jitlink-check: *{8}_ptr_main = _main
        .globl  _ptr_main
_ptr_main:
        .quad   _main

# A temporary label has no symbol: the relocation names its section, and the target is found by address.
# jitlink-check: *{8}_ptr_anon = _target + 4
        .globl  _ptr_anon
_ptr_anon:
        .quad   Ltarget_plus_4

# jitlink-check: *{4}_ptr32 = _extern_near + 1
        .globl  _ptr32
        .p2align 2
_ptr32:
        .long   _extern_near + 1

        .p2align 3
        .globl  _target
_target:
        .long   1
Ltarget_plus_4:
        .long   2

.subsections_via_symbols
