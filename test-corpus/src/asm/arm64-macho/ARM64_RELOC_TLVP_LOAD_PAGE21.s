# ARM64_RELOC_TLVP_LOAD_PAGE21: a thread-local variable's descriptor is reached through a GOT entry holding its address (the TLV descriptor pointer): adrp/ldr of that entry.
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs _extern_far=0x100000000000 -abs __tlv_bootstrap=0x200000000000 -check ARM64_RELOC_TLVP_LOAD_PAGE21.s ARM64_RELOC_TLVP_LOAD_PAGE21.o
# (llvm-jitlink-19 accepts the same command line.)

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 2
_main:
        mov     w0, wzr
        ret

# A thread-local variable defined elsewhere (its descriptor beyond 4 GiB): adrp/ldr of its GOT entry.
# jitlink-check: decode_operand(_tlv_load_extern, 1)[20:0] = ((got_addr(ARM64_RELOC_TLVP_LOAD_PAGE21.o, _extern_far) >> 12) - (_tlv_load_extern >> 12))[20:0]
# jitlink-check: decode_operand(_tlv_load_extern + 4, 2) = got_addr(ARM64_RELOC_TLVP_LOAD_PAGE21.o, _extern_far)[11:3]
# jitlink-check: *{8}got_addr(ARM64_RELOC_TLVP_LOAD_PAGE21.o, _extern_far) = _extern_far
        .globl  _tlv_load_extern
        .p2align 2
_tlv_load_extern:
        adrp    x0, _extern_far@TLVPPAGE
        ldr     x0, [x0, _extern_far@TLVPPAGEOFF]
        ldr     x8, [x0]
        blr     x8
        ret

# A variable of this object: its descriptor's GOT entry. (The load itself may be relaxed into an ADD of
# the descriptor's address, which the descriptor is within 4 GiB of; llvm-jitlink-19 keeps the load.)
# jitlink-check: *{8}got_addr(ARM64_RELOC_TLVP_LOAD_PAGE21.o, _counter) = _counter
# The descriptor: the bootstrap thunk, a key (0 until a runtime sets it), the initial value.
# jitlink-check: *{8}_counter = __tlv_bootstrap
# jitlink-check: *{8}(_counter + 16) = _counter$tlv$init
        .globl  _tlv_load
        .p2align 2
_tlv_load:
        adrp    x0, _counter@TLVPPAGE
        ldr     x0, [x0, _counter@TLVPPAGEOFF]
        ldr     x8, [x0]
        blr     x8
        ret

        .section __DATA,__thread_data,thread_local_regular
        .p2align 2
_counter$tlv$init:
        .long   42

        .section __DATA,__thread_vars,thread_local_variables
        .globl  _counter
        .p2align 3
_counter:
        .quad   __tlv_bootstrap
        .quad   0
        .quad   _counter$tlv$init

.subsections_via_symbols
