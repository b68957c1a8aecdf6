# LC_LINKER_OPTION: the object asks for libraries (-lz) and frameworks; the graph builder exposes them.
# Linked by the tests with:
#   jitlink -noexec -check linker_option.s linker_option.o
# (llvm-jitlink-19 accepts the same command line.)
        .linker_option "-lz"
        .linker_option "-framework", "Foundation"
        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
# jitlink-check: *{1}_main = 0x31
_main:
        xorl    %eax, %eax
        retq
.subsections_via_symbols
