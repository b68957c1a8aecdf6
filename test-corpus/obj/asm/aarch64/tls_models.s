# Thread-local relocations of every supported AArch64 model, checked byte-exact.
# The TLS block is this object's .tbss; with one TLS module, -noexec places it
# right after the 16-byte TCB (variant I), so a variable's offset from the
# thread pointer is 16 + (var - tls_start), its offset in the block
# var - tls_start, and its module id 2.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 1Mb -slab-address 0x10000 -slab-page-size 4096 \
#     -check tls_models.s tls_models.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# TLS descriptor: adrp/ldr/add of a {resolver, offset} pair; the resolver is `ldr x0, [x0, #8]; ret`.
# jitlink-check: *{4}(*{8}((((desc_adrp >> 12) + decode_operand(desc_adrp, 1)) << 12) + decode_operand(desc_ldr, 2) * 8)) = 0xf9400400
# jitlink-check: *{8}((((desc_adrp >> 12) + decode_operand(desc_adrp, 1)) << 12) + decode_operand(desc_ldr, 2) * 8 + 8) = 16 + (near_var - tls_start)
# jitlink-check: decode_operand(desc_add, 2) = decode_operand(desc_ldr, 2) * 8
        .p2align 2
        .globl  desc_adrp
desc_adrp:
        adrp    x0, :tlsdesc:near_var
        .globl  desc_ldr
desc_ldr:
        ldr     x1, [x0, :tlsdesc_lo12:near_var]
        .globl  desc_add
desc_add:
        add     x0, x0, :tlsdesc_lo12:near_var
        .tlsdesccall near_var
        blr     x1


# Initial exec: a GOT entry holding the offset from the thread pointer.
# jitlink-check: *{8}((((ie_adrp >> 12) + decode_operand(ie_adrp, 1)) << 12) + decode_operand(ie_ldr, 2) * 8) = 16 + (far_var - tls_start)
# jitlink-check: *{8}(ie_ldr_lit + decode_operand(ie_ldr_lit, 1) * 4) = 16 + (far_var - tls_start)
        .globl  ie_adrp
ie_adrp:
        adrp    x0, :gottprel:far_var
        .globl  ie_ldr
ie_ldr:
        ldr     x0, [x0, :gottprel_lo12:far_var]
        .globl  ie_ldr_lit
ie_ldr_lit:
        ldr     x0, :gottprel:far_var

# Local exec: the offset from the thread pointer in the instructions.
# jitlink-check: decode_operand(le_hi12, 2) = (16 + (far_var - tls_start)) >> 12
# jitlink-check: decode_operand(le_lo12_nc, 2) = (16 + (far_var - tls_start))[11:0]
# jitlink-check: decode_operand(le_lo12, 2) = 16 + (near_var - tls_start)
# jitlink-check: decode_operand(le_ldst64, 2) = (16 + (near_var - tls_start)) >> 3
# jitlink-check: decode_operand(le_ldst8_nc, 2) = (16 + (far_var - tls_start))[11:0]
# jitlink-check: decode_operand(le_g2, 1) = 0
# jitlink-check: decode_operand(le_g1, 2) = (16 + (far_var - tls_start)) >> 16
# jitlink-check: decode_operand(le_g0_nc, 2) = (16 + (far_var - tls_start))[15:0]
        .globl  le_hi12
le_hi12:
        add     x0, x1, :tprel_hi12:far_var
        .globl  le_lo12_nc
le_lo12_nc:
        add     x0, x0, :tprel_lo12_nc:far_var
        .globl  le_lo12
le_lo12:
        add     x0, x1, :tprel_lo12:near_var
        .globl  le_ldst64
le_ldst64:
        ldr     x2, [x1, :tprel_lo12:near_var]
        .globl  le_ldst8_nc
le_ldst8_nc:
        ldrb    w2, [x0, :tprel_lo12_nc:far_var]
        .globl  le_g2
le_g2:
        movz    x0, #:tprel_g2:far_var
        .globl  le_g1
le_g1:
        movk    x0, #:tprel_g1_nc:far_var
        .globl  le_g0_nc
le_g0_nc:
        movk    x0, #:tprel_g0_nc:far_var

# Local dynamic: offsets in the block (added to the block's address).
# jitlink-check: decode_operand(ld_hi12, 2) = (far_var - tls_start) >> 12
# jitlink-check: decode_operand(ld_lo12_nc, 2) = (far_var - tls_start)[11:0]
# jitlink-check: decode_operand(ld_ldst32, 2) = (near_var - tls_start) >> 2
# jitlink-check: decode_operand(ld_g1, 1) = (far_var - tls_start) >> 16
# jitlink-check: decode_operand(ld_g0_nc, 2) = (far_var - tls_start)[15:0]
        .globl  ld_hi12
ld_hi12:
        add     x0, x0, :dtprel_hi12:far_var
        .globl  ld_lo12_nc
ld_lo12_nc:
        add     x0, x0, :dtprel_lo12_nc:far_var
        .globl  ld_ldst32
ld_ldst32:
        ldr     w1, [x0, :dtprel_lo12:near_var]
        .globl  ld_g1
ld_g1:
        movz    x0, #:dtprel_g1:far_var
        .globl  ld_g0_nc
ld_g0_nc:
        movk    x0, #:dtprel_g0_nc:far_var
        ret

        .section .tbss,"awT",@nobits
        .p2align 4
        .globl  tls_start
tls_start:
        .zero   0x20
        .globl  near_var
near_var:
        .zero   0x12320
        .globl  far_var
far_var:
        .zero   8
