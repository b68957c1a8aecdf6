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
