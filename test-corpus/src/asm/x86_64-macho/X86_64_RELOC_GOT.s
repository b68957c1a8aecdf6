# X86_64_RELOC_GOT: other GOT references (not a movq load), never relaxed.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check X86_64_RELOC_GOT.s X86_64_RELOC_GOT.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        xorl    %eax, %eax
        retq

# jitlink-check: decode_operand(_push_got, 3) = got_addr(X86_64_RELOC_GOT.o, _extern_near) - next_pc(_push_got)
# jitlink-check: *{8}got_addr(X86_64_RELOC_GOT.o, _extern_near) = _extern_near
        .globl  _push_got
_push_got:
        pushq   _extern_near@GOTPCREL(%rip)
        popq    %rax
        retq

        .section __DATA,__data
# A GOT-relative 32-bit datum: measured from the end of the field, as for instructions.
# jitlink-check: *{4}_got_delta = (got_addr(X86_64_RELOC_GOT.o, _extern_far) - (_got_delta + 4))[31:0]
        .globl  _got_delta
        .p2align 2
_got_delta:
        .long   _extern_far@GOTPCREL

.subsections_via_symbols
