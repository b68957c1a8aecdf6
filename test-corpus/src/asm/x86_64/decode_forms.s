# Instruction forms that carry relocations, one per (global, so never
# dead-stripped) label, for the x86-64
# decoder: each check reads an operand as llvm-jitlink's decode_operand does.
# The jest test also disassembles the linked bytes of every label with
# llvm-objdump and compares displacements, immediates and lengths.

        .text
        .globl  main
        .p2align 4, 0x90
        .type   main,@function
main:
        xorl    %eax, %eax
        retq
        .size   main, .-main

        .globl  target
        .type   target,@function
target:
        retq
        .size   target, .-target

# jitlink-check: decode_operand(call_rel32, 0) = target - next_pc(call_rel32)
        .globl  call_rel32
        .type   call_rel32,@function
call_rel32:
        callq   target
        .size   call_rel32, .-call_rel32
# jitlink-check: decode_operand(jmp_rel32, 0) = target - next_pc(jmp_rel32)
        .globl  jmp_rel32
        .type   jmp_rel32,@function
jmp_rel32:
        jmp     target
        .size   jmp_rel32, .-jmp_rel32
# jitlink-check: decode_operand(jmp_rel8, 0) = jmp_rel8_end - next_pc(jmp_rel8)
        .globl  jmp_rel8
        .type   jmp_rel8,@function
jmp_rel8:
        jmp     jmp_rel8_end
        nop
        .size   jmp_rel8, .-jmp_rel8
        .globl  jmp_rel8_end
jmp_rel8_end:
# jitlink-check: decode_operand(jcc_rel32, 0) = target - next_pc(jcc_rel32)
# jitlink-check: decode_operand(jcc_rel32, 1) = 5
        .globl  jcc_rel32
        .type   jcc_rel32,@function
jcc_rel32:
        jne     target
        .size   jcc_rel32, .-jcc_rel32
# jitlink-check: decode_operand(jcc_rel8, 0) = jcc_rel8_end - next_pc(jcc_rel8)
        .globl  jcc_rel8
        .type   jcc_rel8,@function
jcc_rel8:
        je      jcc_rel8_end
        nop
        .size   jcc_rel8, .-jcc_rel8
        .globl  jcc_rel8_end
jcc_rel8_end:
# jitlink-check: decode_operand(call_mem_rip, 3) = pointer - next_pc(call_mem_rip)
        .globl  call_mem_rip
        .type   call_mem_rip,@function
call_mem_rip:
        callq   *pointer(%rip)
        .size   call_mem_rip, .-call_mem_rip
# jitlink-check: decode_operand(jmp_mem_rip, 3) = pointer - next_pc(jmp_mem_rip)
        .globl  jmp_mem_rip
        .type   jmp_mem_rip,@function
jmp_mem_rip:
        jmpq    *pointer(%rip)
        .size   jmp_mem_rip, .-jmp_mem_rip
# jitlink-check: decode_operand(lea_rip, 4) = data - next_pc(lea_rip)
        .globl  lea_rip
        .type   lea_rip,@function
lea_rip:
        leaq    data(%rip), %rax
        .size   lea_rip, .-lea_rip
# jitlink-check: decode_operand(lea_rip_r12, 4) = data - next_pc(lea_rip_r12)
        .globl  lea_rip_r12
        .type   lea_rip_r12,@function
lea_rip_r12:
        leaq    data(%rip), %r12
        .size   lea_rip_r12, .-lea_rip_r12
# jitlink-check: decode_operand(movq_load, 4) = data - next_pc(movq_load)
        .globl  movq_load
        .type   movq_load,@function
movq_load:
        movq    data(%rip), %rcx
        .size   movq_load, .-movq_load
# jitlink-check: decode_operand(movl_load, 4) = data - next_pc(movl_load)
        .globl  movl_load
        .type   movl_load,@function
movl_load:
        movl    data(%rip), %r9d
        .size   movl_load, .-movl_load
# jitlink-check: decode_operand(movq_store, 3) = data - next_pc(movq_store)
        .globl  movq_store
        .type   movq_store,@function
movq_store:
        movq    %rdx, data(%rip)
        .size   movq_store, .-movq_store
# jitlink-check: decode_operand(movw_load, 4) = data - next_pc(movw_load)
        .globl  movw_load
        .type   movw_load,@function
movw_load:
        movw    data(%rip), %ax
        .size   movw_load, .-movw_load
# jitlink-check: decode_operand(cmpq_rm, 4) = data - next_pc(cmpq_rm)
        .globl  cmpq_rm
        .type   cmpq_rm,@function
cmpq_rm:
        cmpq    data(%rip), %rsi
        .size   cmpq_rm, .-cmpq_rm
# jitlink-check: decode_operand(cmpq_mr, 3) = data - next_pc(cmpq_mr)
        .globl  cmpq_mr
        .type   cmpq_mr,@function
cmpq_mr:
        cmpq    %rdi, data(%rip)
        .size   cmpq_mr, .-cmpq_mr
# jitlink-check: decode_operand(cmpl_mi8, 3) = data - next_pc(cmpl_mi8)
# jitlink-check: decode_operand(cmpl_mi8, 5) = 7
        .globl  cmpl_mi8
        .type   cmpl_mi8,@function
cmpl_mi8:
        cmpl    $7, data(%rip)
        .size   cmpl_mi8, .-cmpl_mi8
# jitlink-check: decode_operand(cmpw_mi16, 3) = data - next_pc(cmpw_mi16)
# jitlink-check: decode_operand(cmpw_mi16, 5) = 0x1234
        .globl  cmpw_mi16
        .type   cmpw_mi16,@function
cmpw_mi16:
        cmpw    $0x1234, data(%rip)
        .size   cmpw_mi16, .-cmpw_mi16
# jitlink-check: decode_operand(addq_rm, 5) = data - next_pc(addq_rm)
        .globl  addq_rm
        .type   addq_rm,@function
addq_rm:
        addq    data(%rip), %rax
        .size   addq_rm, .-addq_rm
# jitlink-check: decode_operand(subq_rm, 5) = data - next_pc(subq_rm)
        .globl  subq_rm
        .type   subq_rm,@function
subq_rm:
        subq    data(%rip), %r11
        .size   subq_rm, .-subq_rm
# jitlink-check: decode_operand(addl_mr, 3) = data - next_pc(addl_mr)
        .globl  addl_mr
        .type   addl_mr,@function
addl_mr:
        addl    %eax, data(%rip)
        .size   addl_mr, .-addl_mr
# jitlink-check: decode_operand(testq_mr, 3) = data - next_pc(testq_mr)
        .globl  testq_mr
        .type   testq_mr,@function
testq_mr:
        testq   %rax, data(%rip)
        .size   testq_mr, .-testq_mr
# jitlink-check: decode_operand(addr32_lea, 4) = data - next_pc(addr32_lea)
        .globl  addr32_lea
        .type   addr32_lea,@function
addr32_lea:
        addr32 leal data(%rip), %eax
        .size   addr32_lea, .-addr32_lea
# jitlink-check: decode_operand(movabs_imm64, 1) = target
        .globl  movabs_imm64
        .type   movabs_imm64,@function
movabs_imm64:
        movabsq $target, %rax
        .size   movabs_imm64, .-movabs_imm64
# jitlink-check: decode_operand(movl_ri32, 1)[31:0] = data
        .globl  movl_ri32
        .type   movl_ri32,@function
movl_ri32:
        movl    $data, %ebx
        .size   movl_ri32, .-movl_ri32
# jitlink-check: decode_operand(movq_ri32s, 1) = data
        .globl  movq_ri32s
        .type   movq_ri32s,@function
movq_ri32s:
        movq    $data, %r10
        .size   movq_ri32s, .-movq_ri32s
# jitlink-check: decode_operand(movl_mi32, 3) = data - next_pc(movl_mi32)
# jitlink-check: decode_operand(movl_mi32, 5)[31:0] = target
        .globl  movl_mi32
        .type   movl_mi32,@function
movl_mi32:
        movl    $target, data(%rip)
        .size   movl_mi32, .-movl_mi32
# jitlink-check: decode_operand(movq_mi32s, 3) = 16
# jitlink-check: decode_operand(movq_mi32s, 5) = data
        .globl  movq_mi32s
        .type   movq_mi32s,@function
movq_mi32s:
        movq    $data, 16(%rsp)
        retq

        .size   movq_mi32s, .-movq_mi32s
        .data
        .p2align 3
        .globl  pointer
        .type   pointer,@object
pointer:
        .quad   target
        .size   pointer, .-pointer
        .globl  data
        .type   data,@object
data:
        .quad   0

        .size   data, .-data