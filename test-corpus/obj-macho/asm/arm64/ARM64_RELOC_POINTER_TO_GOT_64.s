# ARM64_RELOC_POINTER_TO_GOT, 64-bit and absolute (`.quad sym@GOT`): the address of a symbol's GOT entry.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_POINTER_TO_GOT_64.s ARM64_RELOC_POINTER_TO_GOT_64.o
# (llvm-jitlink-19 rejects this form: "Unsupported arm64 relocation ... kind=0x7, pc_rel=false, ... length=3".)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

        .section __DATA,__data
# jitlink-check: *{8}_got_pointer = got_addr(ARM64_RELOC_POINTER_TO_GOT_64.o, _extern_far)
# jitlink-check: *{8}got_addr(ARM64_RELOC_POINTER_TO_GOT_64.o, _extern_far) = _extern_far
        .globl  _got_pointer
        .p2align 3
_got_pointer:
        .quad   _extern_far@GOT

.subsections_via_symbols
