# X86_64_RELOC_TLV: movq _v@TLVP(%rip), %rdi loads the address of _v's thread-variable descriptor
# ({thunk, key, offset} in __thread_vars), whose thunk the code then calls with it in %rdi. As for
# GOT loads, the movq is relaxed to a leaq when the descriptor is in reach, else it loads a GOT entry.
# With a platform that loads thread-local storage (the jitlink command has one), a descriptor's thunk
# is the linker's own tlv_get_addr (mov %fs:0, %rax; add 16(%rdi), %rax; ret) and its offset field the
# variable's offset from the thread pointer (the static TLS block the process's loader gave this graph's
# 16-byte image: where it lies varies, the distance between the variables does not).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x7fff0000 -slab-page-size 4096 \
#     -abs _extern_near=0x7ff00000 -abs _extern_far=0x100000000000 -check X86_64_RELOC_TLV.s X86_64_RELOC_TLV.o
# llvm-jitlink-19 rejects the same command line: without LLVM's ORC runtime it has no thread-variable support
# ("unsupported edge kind RequestTLVPAndTransformToPCRel32TLVPLoadREXRelaxable").

        .section __TEXT,__text,regular,pure_instructions
        .globl  _main
        .p2align 4, 0x90
_main:
        xorl    %eax, %eax
        retq

# A descriptor of this graph: relaxed to leaq.
# jitlink-check: *{1}(_get_counter + 1) = 0x8d
# jitlink-check: decode_operand(_get_counter, 4) = _counter - next_pc(_get_counter)
        .globl  _get_counter
_get_counter:
        movq    _counter@TLVP(%rip), %rdi
        callq   *(%rdi)
        retq

# A descriptor out of reach (an absolute symbol 16 TiB away): loaded from a GOT entry.
# jitlink-check: *{1}(_get_far + 1) = 0x8b
# jitlink-check: decode_operand(_get_far, 4) = got_addr(X86_64_RELOC_TLV.o, _extern_far) - next_pc(_get_far)
# jitlink-check: *{8}got_addr(X86_64_RELOC_TLV.o, _extern_far) = _extern_far
        .globl  _get_far
_get_far:
        movq    _extern_far@TLVP(%rip), %rdi
        callq   *(%rdi)
        retq

        .section __DATA,__thread_data,thread_local_regular
        .p2align 2
_counter$tlv$init:
        .long   5

.tbss _zeroed$tlv$init, 8, 3

# The descriptors: the thunk (64 48 8b 04 25 00 00 00 00: mov %fs:0, %rax; 48 03 47 10: add 16(%rdi),
# %rax; c3: ret), key 0, offsets from the thread pointer (below it: a negative offset): _counter at the
# image's start, _zeroed (8-aligned zero fill) 8 bytes after it.
# jitlink-check: *{8}(*{8}_counter) = 0x00000025048b4864
# jitlink-check: *{4}((*{8}_counter) + 9) = 0x10470348
# jitlink-check: *{1}((*{8}_counter) + 13) = 0xc3
# jitlink-check: *{8}(_counter + 8) = 0
# jitlink-check: (*{8}(_counter + 16))[63:63] = 1
# jitlink-check: *{8}_zeroed = *{8}_counter
# jitlink-check: (*{8}(_zeroed + 16)) - (*{8}(_counter + 16)) = 8
        .section __DATA,__thread_vars,thread_local_variables
        .globl  _counter
_counter:
        .quad   __tlv_bootstrap
        .quad   0
        .quad   _counter$tlv$init

        .globl  _zeroed
_zeroed:
        .quad   __tlv_bootstrap
        .quad   0
        .quad   _zeroed$tlv$init

# Keeps _zeroed's descriptor, and with it its template, live.
        .section __DATA,__data
        .globl  _zeroed_ptr
        .p2align 3
_zeroed_ptr:
        .quad   _zeroed

.subsections_via_symbols
