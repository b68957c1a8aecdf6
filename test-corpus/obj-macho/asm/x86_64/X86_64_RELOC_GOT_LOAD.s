# X86_64_RELOC_GOT_LOAD: movq foo@GOTPCREL(%rip): relaxed to leaq when foo is in range, else a GOT load.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check X86_64_RELOC_GOT_LOAD.s X86_64_RELOC_GOT_LOAD.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        xorl    %eax, %eax
        retq

# jitlink-check: *{1}(_load_near + 1) = 0x8d
# jitlink-check: decode_operand(_load_near, 4) = _extern_near - next_pc(_load_near)
        .globl  _load_near
_load_near:
        movq    _extern_near@GOTPCREL(%rip), %rax

# jitlink-check: *{1}(_load_far + 1) = 0x8b
# jitlink-check: decode_operand(_load_far, 4) = got_addr(X86_64_RELOC_GOT_LOAD.o, _extern_far) - next_pc(_load_far)
# jitlink-check: *{8}got_addr(X86_64_RELOC_GOT_LOAD.o, _extern_far) = _extern_far
        .globl  _load_far
_load_far:
        movq    _extern_far@GOTPCREL(%rip), %rax
        retq

.subsections_via_symbols
