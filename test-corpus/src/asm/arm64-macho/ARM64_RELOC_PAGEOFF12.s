# ARM64_RELOC_PAGEOFF12: the low 12 bits of an address, unscaled for ADD, divided by the access size of a load or store (read from the instruction).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_PAGEOFF12.s ARM64_RELOC_PAGEOFF12.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(_add, 2) = _data[11:0]
        .globl  _add
        .p2align 2
_add:
        add     x0, x0, _data@PAGEOFF

# jitlink-check: decode_operand(_ldrb, 2) = _data[11:0]
        .globl  _ldrb
        .p2align 2
_ldrb:
        ldrb    w0, [x0, _data@PAGEOFF]

# jitlink-check: decode_operand(_ldrh, 2) = _data[11:1]
        .globl  _ldrh
        .p2align 2
_ldrh:
        ldrh    w0, [x0, _data@PAGEOFF]

# jitlink-check: decode_operand(_ldr_w, 2) = _data[11:2]
        .globl  _ldr_w
        .p2align 2
_ldr_w:
        ldr     w0, [x0, _data@PAGEOFF]

# jitlink-check: decode_operand(_str_x, 2) = _data[11:3]
        .globl  _str_x
        .p2align 2
_str_x:
        str     x0, [x0, _data@PAGEOFF]

# jitlink-check: decode_operand(_ldr_q, 2) = _data[11:4]
        .globl  _ldr_q
        .p2align 2
_ldr_q:
        ldr     q0, [x0, _data@PAGEOFF]

        .section __DATA,__data
        .space  0x2340
        .globl  _data
        .p2align 4
_data:
        .space  64

.subsections_via_symbols
