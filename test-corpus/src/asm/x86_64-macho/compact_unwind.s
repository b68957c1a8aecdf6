# __LD,__compact_unwind: one 32-byte entry per function ({function, length, encoding, personality,
# LSDA}), never allocated (no unwinder on the host reads it; __eh_frame, emitted too, is what gets
# registered). Each entry is a block of its own, kept alive by its function's keep-alive edge, and
# it keeps the function's personality and LSDA alive; the entry of the dead-stripped _unused_local
# goes with it, and so does the LSDA only it names. ___gxx_personality_v0 is defined here: llvm-mc
# writes compact unwind with a personality only for Darwin's canonical personality names.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check compact_unwind.s compact_unwind.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        .cfi_startproc
        pushq   %rbp
        .cfi_def_cfa_offset 16
        .cfi_offset %rbp, -16
        movq    %rsp, %rbp
        .cfi_def_cfa_register %rbp
# jitlink-check: decode_operand(_call_thrower, 0) = _thrower - next_pc(_call_thrower)
        .globl  _call_thrower
        .alt_entry _call_thrower
_call_thrower:
        callq   _thrower
        popq    %rbp
        xorl    %eax, %eax
        retq
        .cfi_endproc

# _thrower is local and only _main calls it: it, its entry and its LSDA stay.
_thrower:
        .cfi_startproc
        .cfi_personality 155, ___gxx_personality_v0
        .cfi_lsda 16, GCC_except_table_thrower
        pushq   %rbp
        .cfi_def_cfa_offset 16
        .cfi_offset %rbp, -16
        movq    %rsp, %rbp
        .cfi_def_cfa_register %rbp
        popq    %rbp
        retq
        .cfi_endproc

# Nothing calls _unused_local: dead-stripped, with its entry and LSDA.
_unused_local:
        .cfi_startproc
        .cfi_personality 155, ___gxx_personality_v0
        .cfi_lsda 16, GCC_except_table_unused
        pushq   %rbp
        .cfi_def_cfa_offset 16
        .cfi_offset %rbp, -16
        movq    %rsp, %rbp
        .cfi_def_cfa_register %rbp
        popq    %rbp
        retq
        .cfi_endproc

        .globl  ___gxx_personality_v0
___gxx_personality_v0:
        retq

# Two empty LSDAs (no landing-pad base, no type table, uleb128 call sites, none of them); local
# symbols, so each is a block of its own.
        .section __TEXT,__gcc_except_tab
        .p2align 2
GCC_except_table_thrower:
        .byte   0xff, 0xff, 0x01, 0x00
GCC_except_table_unused:
        .byte   0xff, 0xff, 0x01, 0x00

.subsections_via_symbols
