# i386 relocations the example backend links. Assembled by build-corpus.sh
# with llvm-mc-19 -triple=i386-unknown-linux-gnu; checked by the package's
# test (and by llvm-jitlink-19 -noexec -check, the reference).
        .text
        .globl  main
        .type   main,@function
        .p2align 4
main:
# R_386_PC32 (implicit addend -4): the call's displacement.
# jitlink-check: *{4}(call_site + 1) = callee - (call_site + 5)
        .globl call_site
call_site:
        calll   callee
# R_386_32: an absolute address as an immediate.
# jitlink-check: *{4}(load_site + 1) = counter
        .globl load_site
load_site:
        movl    $counter, %eax
# R_386_PLT32: a call written through the PLT, to a defined function.
# jitlink-check: *{4}(plt_site + 1) = callee - (plt_site + 5)
        .globl plt_site
plt_site:
        calll   callee@PLT
        xorl    %eax, %eax
        retl
        .size   main, .-main

        .globl  callee
        .type   callee,@function
        .p2align 4
callee:
        retl
        .size   callee, .-callee

        .data
        .p2align 2
        .globl  counter
counter:
        .long   7
# R_386_32 with an implicit addend in data.
# jitlink-check: *{4}pointer = counter + 8
        .globl  pointer
pointer:
        .long   counter + 8
# R_386_PC32 in data: a position-relative reference.
# jitlink-check: *{4}relative = main - relative
        .globl  relative
relative:
        .long   main - .
