/**
 * Calling Microsoft-x64 code from the host (System V): a bridge function that
 * takes up to six integer or pointer arguments in System V registers, passes
 * them in Microsoft x64's (rcx, rdx, r8, r9, then the stack above 32 bytes of
 * shadow space), calls the target and returns its rax. The callee preserves
 * every register System V asks its callees to (rbx, rbp, r12-r15, and rsi/rdi
 * too), so the bridge saves nothing else. Floating-point arguments are not
 * bridged.
 */
import { Linkage, Scope, type LinkGraph, type Section, type Symbol } from '@jitlink/core';
import { X86_64EdgeKinds as K } from '../edge-kinds.js';

const BRIDGE = Uint8Array.of(
  0x55, //                               push rbp
  0x48, 0x89, 0xe5, //                   mov rbp, rsp
  0x48, 0x83, 0xec, 0x30, //             sub rsp, 48        (shadow space + arguments 5 and 6; rsp stays 16-aligned)
  0x4c, 0x89, 0x44, 0x24, 0x20, //       mov [rsp+32], r8   (argument 5)
  0x4c, 0x89, 0x4c, 0x24, 0x28, //       mov [rsp+40], r9   (argument 6)
  0x49, 0x89, 0xd0, //                   mov r8, rdx        (argument 3)
  0x49, 0x89, 0xc9, //                   mov r9, rcx        (argument 4)
  0x48, 0x89, 0xf9, //                   mov rcx, rdi       (argument 1)
  0x48, 0x89, 0xf2, //                   mov rdx, rsi       (argument 2)
  0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, // movabs rax, target
  0xff, 0xd0, //                         call rax
  0xc9, //                               leave
  0xc3, //                               ret
);
const TARGET_OFFSET = 32;

/** Adds to `section` a bridge named `name` that calls `target` (Microsoft x64) from System V callers. */
export function addX86_64HostToMicrosoftBridge(graph: LinkGraph, section: Section, target: Symbol, name: string): Symbol {
  const block = graph.createContentBlock(section, BRIDGE, 0, 16, 0);
  block.appendEdge(K.Pointer64, TARGET_OFFSET, target, 0);
  return graph.addDefinedSymbol(block, 0, name, BRIDGE.length, Linkage.Strong, Scope.Default, true, true);
}

/**
 * Calling host (System V) functions from Microsoft x64 code: a thunk taking up
 * to eight integer or pointer arguments the Microsoft way (rcx, rdx, r8, r9,
 * then the stack above the shadow space), passing them the System V way and
 * preserving what Microsoft x64 callers expect kept and System V callees may
 * clobber (rsi, rdi, xmm6-xmm15). `al` is 0: variadic callees such as printf
 * get no vector-register arguments, so floating-point varargs are not bridged.
 */
const THUNK = Uint8Array.of(
  0x55, // pushq %rbp
  0x48, 0x89, 0xe5, // movq %rsp, %rbp
  0x56, // pushq %rsi
  0x57, // pushq %rdi
  0x48, 0x81, 0xec, 0xb0, 0x00, 0x00, 0x00, // subq $176, %rsp
  0xf3, 0x0f, 0x7f, 0x74, 0x24, 0x10, // movdqu %xmm6, 16(%rsp)
  0xf3, 0x0f, 0x7f, 0x7c, 0x24, 0x20, // movdqu %xmm7, 32(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0x44, 0x24, 0x30, // movdqu %xmm8, 48(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0x4c, 0x24, 0x40, // movdqu %xmm9, 64(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0x54, 0x24, 0x50, // movdqu %xmm10, 80(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0x5c, 0x24, 0x60, // movdqu %xmm11, 96(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0x64, 0x24, 0x70, // movdqu %xmm12, 112(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0xac, 0x24, 0x80, 0x00, 0x00, 0x00, // movdqu %xmm13, 128(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0xb4, 0x24, 0x90, 0x00, 0x00, 0x00, // movdqu %xmm14, 144(%rsp)
  0xf3, 0x44, 0x0f, 0x7f, 0xbc, 0x24, 0xa0, 0x00, 0x00, 0x00, // movdqu %xmm15, 160(%rsp)
  0x48, 0x89, 0xcf, // movq %rcx, %rdi
  0x48, 0x89, 0xd6, // movq %rdx, %rsi
  0x4c, 0x89, 0xc2, // movq %r8, %rdx
  0x4c, 0x89, 0xc9, // movq %r9, %rcx
  0x4c, 0x8b, 0x45, 0x30, // movq 48(%rbp), %r8
  0x4c, 0x8b, 0x4d, 0x38, // movq 56(%rbp), %r9
  0x48, 0x8b, 0x45, 0x40, // movq 64(%rbp), %rax
  0x48, 0x89, 0x04, 0x24, // movq %rax, (%rsp)
  0x48, 0x8b, 0x45, 0x48, // movq 72(%rbp), %rax
  0x48, 0x89, 0x44, 0x24, 0x08, // movq %rax, 8(%rsp)
  0x49, 0xbb, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // movabsq $1234605616436508552, %r11
  0x31, 0xc0, // xorl %eax, %eax
  0x41, 0xff, 0xd3, // callq *%r11
  0xf3, 0x0f, 0x6f, 0x74, 0x24, 0x10, // movdqu 16(%rsp), %xmm6
  0xf3, 0x0f, 0x6f, 0x7c, 0x24, 0x20, // movdqu 32(%rsp), %xmm7
  0xf3, 0x44, 0x0f, 0x6f, 0x44, 0x24, 0x30, // movdqu 48(%rsp), %xmm8
  0xf3, 0x44, 0x0f, 0x6f, 0x4c, 0x24, 0x40, // movdqu 64(%rsp), %xmm9
  0xf3, 0x44, 0x0f, 0x6f, 0x54, 0x24, 0x50, // movdqu 80(%rsp), %xmm10
  0xf3, 0x44, 0x0f, 0x6f, 0x5c, 0x24, 0x60, // movdqu 96(%rsp), %xmm11
  0xf3, 0x44, 0x0f, 0x6f, 0x64, 0x24, 0x70, // movdqu 112(%rsp), %xmm12
  0xf3, 0x44, 0x0f, 0x6f, 0xac, 0x24, 0x80, 0x00, 0x00, 0x00, // movdqu 128(%rsp), %xmm13
  0xf3, 0x44, 0x0f, 0x6f, 0xb4, 0x24, 0x90, 0x00, 0x00, 0x00, // movdqu 144(%rsp), %xmm14
  0xf3, 0x44, 0x0f, 0x6f, 0xbc, 0x24, 0xa0, 0x00, 0x00, 0x00, // movdqu 160(%rsp), %xmm15
  0x48, 0x81, 0xc4, 0xb0, 0x00, 0x00, 0x00, // addq $176, %rsp
  0x5f, // popq %rdi
  0x5e, // popq %rsi
  0x5d, // popq %rbp
  0xc3, // retq
);
const THUNK_TARGET_OFFSET = 129;

/** movabs r11, target; jmp r11: a thunk whose callee turned out to follow the caller's convention. */
const JUMP = Uint8Array.of(0x49, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0xff, 0xe3);
const JUMP_TARGET_OFFSET = 2;

/** Rewrites a thunk of addX86_64MicrosoftToHostThunk into a jump to its target (before fixups). */
export function bypassX86_64MicrosoftToHostThunk(graph: LinkGraph, thunk: Symbol): void {
  const block = thunk.block;
  const content = block.getMutableContent(graph);
  content.fill(0xcc); // int3 after the jump
  content.set(JUMP, 0);
  for (let i = 0; i < block.edgeCount; i++) {
    if (block.edgeOffset(i) === THUNK_TARGET_OFFSET) block.setEdgeOffset(i, JUMP_TARGET_OFFSET);
  }
}

/** Adds to `section` a thunk that Microsoft x64 code calls to call the host function `target`. */
export function addX86_64MicrosoftToHostThunk(graph: LinkGraph, section: Section, target: Symbol): Symbol {
  const block = graph.createContentBlock(section, THUNK, 0, 16, 0);
  block.appendEdge(K.Pointer64, THUNK_TARGET_OFFSET, target, 0);
  return graph.addDefinedSymbol(block, 0, undefined, THUNK.length, Linkage.Strong, Scope.Local, true, false);
}
