# X86_64_RELOC_SIGNED and SIGNED_1/2/4: RIP-relative data references, with 0, 1, 2 or 4 bytes of
# immediate after the displacement; extern (to a symbol) and non-extern (to an address) forms.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check X86_64_RELOC_SIGNED.s X86_64_RELOC_SIGNED.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        xorl    %eax, %eax
        retq

# jitlink-check: decode_operand(_load, 4) = _data - next_pc(_load)
        .globl  _load
_load:
        movl    _data(%rip), %eax

# jitlink-check: decode_operand(_load_near, 4) = (_extern_near + 8) - next_pc(_load_near)
        .globl  _load_near
_load_near:
        movl    _extern_near+8(%rip), %eax

# jitlink-check: decode_operand(_lea_anon, 4) = (_data + 4) - next_pc(_lea_anon)
        .globl  _lea_anon
_lea_anon:
        leaq    Ldata_plus_4(%rip), %rax

# SIGNED_1: movb $imm8, disp(%rip)
# jitlink-check: decode_operand(_store1, 3) = _data - next_pc(_store1)
        .globl  _store1
_store1:
        movb    $0x12, _data(%rip)

# movw $imm16, disp(%rip) to _data + 2: the assembler folds the +2 into the -2 of the immediate,
# which leaves a plain SIGNED.
# jitlink-check: decode_operand(_store2, 3) = (_data + 2) - next_pc(_store2)
        .globl  _store2
_store2:
        movw    $0x1234, _data+2(%rip)

# SIGNED_2: movw $imm16, disp(%rip) to _data itself.
# jitlink-check: decode_operand(_store2_signed2, 3) = _data - next_pc(_store2_signed2)
        .globl  _store2_signed2
_store2_signed2:
        movw    $0x1234, _data(%rip)

# SIGNED_2 to an address.
# jitlink-check: decode_operand(_store2_anon, 3) = (_data + 4) - next_pc(_store2_anon)
        .globl  _store2_anon
_store2_anon:
        movw    $0x1234, Ldata_plus_4(%rip)

# SIGNED_4: movl $imm32, disp(%rip)
# jitlink-check: decode_operand(_store4, 3) = _data - next_pc(_store4)
        .globl  _store4
_store4:
        movl    $0x12345678, _data(%rip)

# SIGNED_4 to an address: the displacement is measured from the end of the immediate.
# jitlink-check: decode_operand(_store4_anon, 3) = (_data + 4) - next_pc(_store4_anon)
        .globl  _store4_anon
_store4_anon:
        movl    $0x12345678, Ldata_plus_4(%rip)

# A section without symbols: references to its temporary labels are relocations of the section
# (non-extern), whose targets the linker finds by address. SIGNED_4 to its first byte: only the end
# of the immediate keeps the address inside the section.
# jitlink-check: decode_operand(_store4_section, 3) = (*{8}_anon_data_ptr) - next_pc(_store4_section)
        .globl  _store4_section
_store4_section:
        movl    $0x12345678, Lanon_start(%rip)

# SIGNED to a temporary label of the section without symbols.
# jitlink-check: decode_operand(_lea_section, 4) = ((*{8}_anon_data_ptr) + 4) - next_pc(_lea_section)
        .globl  _lea_section
_lea_section:
        leaq    Lanon_plus_4(%rip), %rax

# SIGNED_1 to an address.
# jitlink-check: decode_operand(_store1_anon, 3) = (_data + 4) - next_pc(_store1_anon)
        .globl  _store1_anon
_store1_anon:
        movb    $0x7f, Ldata_plus_4(%rip)
        retq

        .section __DATA,__data
        .globl  _data
        .p2align 3
_data:
        .long   0
Ldata_plus_4:
        .long   0


# The address of the section without symbols, for the checks above.
        .globl  _anon_data_ptr
        .p2align 3
_anon_data_ptr:
        .quad   Lanon_start

        .section __DATA,__anon
        .p2align 3
Lanon_start:
        .long   0
Lanon_plus_4:
        .long   0

.subsections_via_symbols
