# import_table: a dllimport reference (__imp_extern_far) through an import address table entry (the GOT).
# Linked by the tests with:
#   jitlink -noexec -abs extern_far=0x100000000000 -check import_table.s import_table.obj
# (llvm-jitlink-19 has no COFF/arm64 backend and refuses the object.)

        .text
        .globl  main
        .def    main; .scl 2; .type 32; .endef
        .p2align 2
main:
        mov     w0, wzr
        ret

# jitlink-check: decode_operand(load_import, 1)[20:0] = ((got_addr(import_table.obj, extern_far) >> 12) - (load_import >> 12))[20:0]
# jitlink-check: decode_operand(load_import + 4, 2) = got_addr(import_table.obj, extern_far)[11:3]
# jitlink-check: *{8}got_addr(import_table.obj, extern_far) = extern_far
        .globl  load_import
        .def    load_import; .scl 2; .type 32; .endef
        .p2align 2
load_import:
        adrp    x8, __imp_extern_far
        ldr     x8, [x8, :lo12:__imp_extern_far]
        br      x8
