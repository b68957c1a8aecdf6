# R_AARCH64_CALL26: BL to a local function, and to an external one through a stub (adrp/ldr/br x16).
# Linked by the tests with:
#   jitlink -noexec -slab-allocate 100Kb -slab-address 0x10000 -slab-page-size 4096 \
#     -abs extern_far=0x100000000000 -check R_AARCH64_CALL26.s R_AARCH64_CALL26.o

        .text
        .globl  main
        .p2align 2
        .type   main,@function
main:
        mov     w0, wzr
        ret
        .size   main, .-main

# jitlink-check: decode_operand(call_local, 0)[25:0] = (main - call_local)[27:2]
        .globl  call_local
        .p2align 2
        .type   call_local,@function
call_local:
        bl      main
        .size   call_local, .-call_local

# jitlink-check: decode_operand(call_far, 0)[25:0] = (stub_addr(R_AARCH64_CALL26.o, extern_far) - call_far)[27:2]
# jitlink-check: *{8}got_addr(R_AARCH64_CALL26.o, extern_far) = extern_far
# jitlink-check: (*{4}stub_addr(R_AARCH64_CALL26.o, extern_far))[31:31] = 1
# jitlink-check: (*{4}stub_addr(R_AARCH64_CALL26.o, extern_far))[28:24] = 0x10
# jitlink-check: (*{4}stub_addr(R_AARCH64_CALL26.o, extern_far))[4:0] = 16
# jitlink-check: (*{4}stub_addr(R_AARCH64_CALL26.o, extern_far))[23:5] = ((got_addr(R_AARCH64_CALL26.o, extern_far) >> 12) - (stub_addr(R_AARCH64_CALL26.o, extern_far) >> 12))[20:2]
# jitlink-check: (*{4}stub_addr(R_AARCH64_CALL26.o, extern_far))[30:29] = ((got_addr(R_AARCH64_CALL26.o, extern_far) >> 12) - (stub_addr(R_AARCH64_CALL26.o, extern_far) >> 12))[1:0]
# jitlink-check: (*{4}(stub_addr(R_AARCH64_CALL26.o, extern_far) + 4))[31:22] = 0x3e5
# jitlink-check: (*{4}(stub_addr(R_AARCH64_CALL26.o, extern_far) + 4))[21:10] = got_addr(R_AARCH64_CALL26.o, extern_far)[11:3]
# jitlink-check: (*{4}(stub_addr(R_AARCH64_CALL26.o, extern_far) + 4))[9:0] = 0x210
# jitlink-check: *{4}(stub_addr(R_AARCH64_CALL26.o, extern_far) + 8) = 0xd61f0200
        .globl  call_far
        .p2align 2
        .type   call_far,@function
call_far:
        bl      extern_far
        .size   call_far, .-call_far

