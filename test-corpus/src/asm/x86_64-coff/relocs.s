# Every IMAGE_REL_AMD64_* a compiler emits, each checked by value.
# Linked by the tests with:
#   jitlink -noexec -check relocs.s relocs.obj
# (llvm-jitlink-19 refuses it: "Symbols not found: [ __ImageBase ]".)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 4
main:
# IMAGE_REL_AMD64_REL32: a RIP-relative load.
# jitlink-check: decode_operand(rel32_insn, 4) = target_data - next_pc(rel32_insn)
        .globl  rel32_insn
rel32_insn:
        leaq    target_data(%rip), %rax
# IMAGE_REL_AMD64_REL32_1: one immediate byte follows the displacement.
# jitlink-check: *{4}(rel32_1_insn + 2) = (target_data - next_pc(rel32_1_insn))[31:0]
        .globl  rel32_1_insn
rel32_1_insn:
        movb    $1, target_data(%rip)
# IMAGE_REL_AMD64_REL32_2: two immediate bytes follow.
# jitlink-check: *{4}(rel32_2_insn + 3) = (target_data - next_pc(rel32_2_insn))[31:0]
        .globl  rel32_2_insn
rel32_2_insn:
        movw    $2, target_data(%rip)
# IMAGE_REL_AMD64_REL32_4: four immediate bytes follow.
# jitlink-check: *{4}(rel32_4_insn + 2) = (target_data - next_pc(rel32_4_insn))[31:0]
        .globl  rel32_4_insn
rel32_4_insn:
        movl    $4, target_data(%rip)
# A call within the object (REL32 to a defined function).
# jitlink-check: decode_operand(call_insn, 0) = helper - next_pc(call_insn)
        .globl  call_insn
call_insn:
        callq   helper
        xorl    %eax, %eax
        retq

        .def    helper; .scl 3; .type 32; .endef

helper:
        retq

        .data
        .p2align 4
        .globl  target_data
        .quad   0, 0
        .globl  target_data
target_data:
        .quad   0

# IMAGE_REL_AMD64_ADDR64
# jitlink-check: *{8}addr64_field = target_data + 8
        .globl  addr64_field
addr64_field:
        .quad   target_data + 8

# IMAGE_REL_AMD64_ADDR32NB: image-relative (from __ImageBase, the graph's lowest address).
# jitlink-check: *{4}addr32nb_field = target_data - __ImageBase
        .globl  addr32nb_field
addr32nb_field:
        .long   target_data@IMGREL

# IMAGE_REL_AMD64_SECREL: offset from the start of the target's section.
# jitlink-check: *{4}secrel_field = 16
        .globl  secrel_field
secrel_field:
        .secrel32 target_data

# IMAGE_REL_AMD64_SECTION: the target's section number (written, not checked by value).
        .globl  secidx_field
secidx_field:
        .secidx target_data
        .short  0
