/**
 * MachO/x86-64 thread-local variables on a host without Darwin's dyld.
 *
 * Code reaches a variable through its descriptor in `__thread_vars`:
 * `movq _v@TLVP(%rip), %rdi; callq *(%rdi)` calls the descriptor's thunk with
 * the descriptor's address in %rdi and gets the variable's address in %rax.
 * Darwin's descriptor is {`__tlv_bootstrap`, key, offset of the variable's
 * initial value in the image}. When the graph's platform has loaded the
 * graph's `__thread_data`/`__thread_bss` as a static TLS block (its
 * ThreadLocalResolver), the descriptors become {thunk, key, the variable's
 * offset from the thread pointer}, and the thunk is this package's
 * `tlv_get_addr`: `mov %fs:0, %rax; add 16(%rdi), %rax; ret`. It changes
 * only %rax and the flags, which Darwin's convention for the call allows
 * (everything else is preserved), works in every thread (the offset is the
 * same in all of them, the thread pointer is each thread's own), and needs
 * no allocation at run time: the system loader made every thread's copy.
 */
import { JITLinkError, MemProt, getThreadLocalResolver, type LinkGraph, type Symbol } from '@jitlink/core';
import { X86_64EdgeKinds as K } from '../edge-kinds.js';

const THREAD_VARS_SECTION = '__DATA,__thread_vars';
const TLV_THUNK_SECTION = '$__TLV_THUNK';
/** Darwin's thunk name in every descriptor a compiler emits. */
const TLV_BOOTSTRAP = '__tlv_bootstrap';
const DESCRIPTOR_SIZE = 24;
const THUNK_OFFSET = 0;
const VARIABLE_OFFSET = 16;

/** `mov %fs:0, %rax; add 16(%rdi), %rax; ret`: the variable's address in this thread. */
export const TLV_GET_ADDR = new Uint8Array([0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x03, 0x47, VARIABLE_OFFSET, 0xc3]);

/**
 * Pre-prune: with a platform that loads thread-local storage, descriptors
 * point at this package's thunk instead of `__tlv_bootstrap`, and their
 * offset fields ask for the variable's offset from the thread pointer
 * (TPOff64). Without one, they stay as the object has them.
 */
export function retargetThreadVariableDescriptors(graph: LinkGraph): void {
  if (getThreadLocalResolver(graph) === undefined) return;
  const section = graph.findSectionByName(THREAD_VARS_SECTION);
  if (section === undefined) return;
  let thunk: Symbol | undefined;
  for (const block of section.blocks) {
    for (let i = 0; i < block.edgeCount; i++) {
      // The MachO builder starts every block of the section at a descriptor.
      const field = block.edgeOffset(i) % DESCRIPTOR_SIZE;
      const target = block.edgeTarget(i);
      if (field === THUNK_OFFSET && block.edgeKind(i) === K.Pointer64 && !target.isDefined() && target.name === TLV_BOOTSTRAP) {
        thunk ??= createThunk(graph);
        block.setEdgeTarget(i, thunk);
      } else if (field === VARIABLE_OFFSET && block.edgeKind(i) === K.Pointer64) {
        block.setEdgeKind(i, K.TPOff64);
      }
    }
  }
}

function createThunk(graph: LinkGraph): Symbol {
  const section = graph.findSectionByName(TLV_THUNK_SECTION) ?? graph.createSection(TLV_THUNK_SECTION, MemProt.Read | MemProt.Exec);
  const block = graph.createContentBlock(section, TLV_GET_ADDR, 0, 16, 0);
  return graph.addAnonymousSymbol(block, 0, TLV_GET_ADDR.length, true, false);
}

/** Pre-fixup: a descriptor's TPOff64 becomes a Pointer64 of the variable's offset from the thread pointer. */
export function lowerThreadVariableOffsets(graph: LinkGraph): void {
  const section = graph.findSectionByName(THREAD_VARS_SECTION);
  if (section === undefined) return;
  const resolver = getThreadLocalResolver(graph);
  for (const block of section.blocks) {
    for (let i = 0; i < block.edgeCount; i++) {
      if (block.edgeKind(i) !== K.TPOff64) continue;
      const target = block.edgeTarget(i);
      const location = resolver?.lookup(target.address);
      if (location === undefined) {
        throw new JITLinkError(
          'MalformedObject',
          `thread-variable descriptor names ${target.describe()}, which is no variable of a loaded thread-local block (__thread_data, __thread_bss)`,
          { file: graph.name, section: section.name },
        );
      }
      // T + A is the offset: the plain pointer's fixup writes it.
      block.setEdgeAddend(i, location.threadPointerOffset + block.edgeAddend(i) - target.address);
      block.setEdgeKind(i, K.Pointer64);
    }
  }
}
