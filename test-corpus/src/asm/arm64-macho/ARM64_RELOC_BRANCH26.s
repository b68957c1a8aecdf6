# ARM64_RELOC_BRANCH26: B and BL to a local function, and to an external one through its stub.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_BRANCH26.s ARM64_RELOC_BRANCH26.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(_call_local, 0)[25:0] = (_main - _call_local)[27:2]
        .globl  _call_local
        .p2align 2
_call_local:
        bl      _main

# jitlink-check: decode_operand(_jump_local, 0)[25:0] = (_main - _jump_local)[27:2]
        .globl  _jump_local
        .p2align 2
_jump_local:
        b       _main

# jitlink-check: decode_operand(_call_far, 0)[25:0] = (stub_addr(ARM64_RELOC_BRANCH26.o, _extern_far) - _call_far)[27:2]
# jitlink-check: *{8}got_addr(ARM64_RELOC_BRANCH26.o, _extern_far) = _extern_far
        .globl  _call_far
        .p2align 2
_call_far:
        bl      _extern_far

.subsections_via_symbols
