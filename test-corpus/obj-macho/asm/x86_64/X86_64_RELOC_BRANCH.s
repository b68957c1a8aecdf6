# X86_64_RELOC_BRANCH: calls and jumps; stubs for callees out of range, bypassed for those in range.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check X86_64_RELOC_BRANCH.s X86_64_RELOC_BRANCH.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        xorl    %eax, %eax
        retq

# jitlink-check: decode_operand(_call_local, 0) = _main - next_pc(_call_local)
        .globl  _call_local
_call_local:
        callq   _main

# jitlink-check: decode_operand(_call_near, 0) = _extern_near - next_pc(_call_near)
        .globl  _call_near
_call_near:
        callq   _extern_near

# jitlink-check: decode_operand(_call_far, 0) = stub_addr(X86_64_RELOC_BRANCH.o, _extern_far) - next_pc(_call_far)
# jitlink-check: *{8}got_addr(X86_64_RELOC_BRANCH.o, _extern_far) = _extern_far
        .globl  _call_far
_call_far:
        callq   _extern_far

# jitlink-check: decode_operand(_jmp_far, 0) = stub_addr(X86_64_RELOC_BRANCH.o, _extern_far) - next_pc(_jmp_far)
        .globl  _jmp_far
_jmp_far:
        jmp     _extern_far

.subsections_via_symbols
