# With .subsections_via_symbols each symbol starts a block: the unused local function _unused_local is
# dead-stripped, and so is the cstring only it refers to; the alternate entry _main_alt stays inside _main's block.
# Linked by the tests with:
#   jitlink -noexec -show-graphs '.*' -check subsections.s subsections.o
# (llvm-jitlink-19 accepts the same command line.)
        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        leaq    Lused(%rip), %rax
        callq   _helper
        .alt_entry _main_alt
_main_alt:
        xorl    %eax, %eax
        retq

# jitlink-check: decode_operand(_main, 4) = _used_string - next_pc(_main)
_helper:
        retq

_unused_local:
        leaq    Lunused(%rip), %rax
        retq

        .section __TEXT,__cstring,cstring_literals
        .globl  _used_string
_used_string:
Lused:
        .asciz  "used"
Lunused:
        .asciz  "unused"
.subsections_via_symbols
