# IMAGE_REL_AMD64_ADDR32: a 32-bit absolute address (memory is placed below 4 GiB).
# Linked by the tests with (llvm-jitlink-19: "Unsupported x86_64 relocation:2"):
#   jitlink -noexec -check addr32.s addr32.obj

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
main:
# jitlink-check: *{4}(abs_insn + 1) = target_data
        .globl  abs_insn
abs_insn:
        movl    $target_data, %eax
        xorl    %eax, %eax
        retq

        .data
        .p2align 3
        .globl  target_data
target_data:
        .quad   0
# jitlink-check: *{4}addr32_field = target_data + 4
        .globl  addr32_field
addr32_field:
        .long   target_data + 4
