/**
 * Thread-local storage of linked ELF code, owned by the system's dynamic
 * loader: `writeTLSModule` builds a minimal ELF shared object
 * whose only content is a PT_TLS segment holding a graph's TLS image (its
 * .tdata bytes, then .tbss as zero fill). Loaded with dlopen, the loader
 * gives it a module id, copies the image into every thread's TLS block —
 * threads that existed before the load included — and frees the copies with
 * their thread or at dlclose. DF_STATIC_TLS asks for a place in the static
 * TLS surplus, so that initial-exec and local-exec code (a fixed offset from
 * the thread pointer) works too.
 *
 * Platform-neutral: bytes only; the executor writes and loads them.
 */
import type { ThreadLocalImage } from '@jitlink/core';

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_TLS = 7;
const DT_NULL = 0;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_RELA = 7;
const DT_RELASZ = 8;
const DT_RELAENT = 9;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_SYMENT = 11;
const DT_FLAGS = 30;
const DF_STATIC_TLS = 0x10;

/** The image of a TLS block (core's ThreadLocalImage). */
export type TLSModuleImage = ThreadLocalImage;

function alignTo(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The bytes of a shared object whose PT_TLS segment is `image`. */
export function writeTLSModule(image: TLSModuleImage): Uint8Array {
  const phnum = 3;
  const hashOff = EHDR_SIZE + PHDR_SIZE * phnum; // nbucket=1, nchain=1, bucket[0]=0, chain[0]=0
  const symOff = hashOff + 16; // one null symbol
  const strOff = symOff + 24; // "\0"
  // One thread-pointer-offset relocation against the module's own block: glibc places a
  // dlopen'ed block in the static TLS surplus only when a relocation needs
  // its thread-pointer offset (DF_STATIC_TLS alone does not).
  const relaOff = alignTo(strOff + 1, 8);
  const slotOff = relaOff + 24;
  const dynOff = slotOff + 8;
  const dynEntries: [number, number][] = [
    [DT_HASH, hashOff],
    [DT_STRTAB, strOff],
    [DT_SYMTAB, symOff],
    [DT_STRSZ, 1],
    [DT_SYMENT, 24],
    [DT_RELA, relaOff],
    [DT_RELASZ, 24],
    [DT_RELAENT, 24],
    [DT_FLAGS, DF_STATIC_TLS],
    [DT_NULL, 0],
  ];
  const dynSize = dynEntries.length * 16;
  const alignment = Math.max(1, image.alignment);
  const tlsOff = alignTo(dynOff + dynSize, alignment);
  const fileSize = tlsOff + image.initImage.length;
  const bytes = new Uint8Array(fileSize);
  const v = new DataView(bytes.buffer);
  const u64 = (o: number, x: number) => v.setBigUint64(o, BigInt(x), true);

  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELFCLASS64, little-endian, version 1, SysV
  v.setUint16(16, 3, true); // ET_DYN
  v.setUint16(18, image.machine, true);
  v.setUint32(20, 1, true);
  u64(32, EHDR_SIZE); // e_phoff
  v.setUint16(52, EHDR_SIZE, true);
  v.setUint16(54, PHDR_SIZE, true);
  v.setUint16(56, phnum, true);
  v.setUint16(58, 64, true); // e_shentsize (no sections)

  const phdr = (i: number, type: number, flags: number, off: number, filesz: number, memsz: number, align: number) => {
    const p = EHDR_SIZE + i * PHDR_SIZE;
    v.setUint32(p, type, true);
    v.setUint32(p + 4, flags, true);
    u64(p + 8, off);
    u64(p + 16, off); // vaddr = file offset
    u64(p + 24, off);
    u64(p + 32, filesz);
    u64(p + 40, memsz);
    u64(p + 48, align);
  };
  phdr(0, PT_LOAD, 6 /* RW: the loader adjusts .dynamic in place */, 0, fileSize, fileSize, 0x1000);
  phdr(1, PT_DYNAMIC, 4, dynOff, dynSize, dynSize, 8);
  phdr(2, PT_TLS, 4, tlsOff, image.initImage.length, image.memorySize, alignment);

  v.setUint32(hashOff, 1, true);
  v.setUint32(hashOff + 4, 1, true);
  dynEntries.forEach(([tag, val], i) => {
    u64(dynOff + i * 16, tag);
    u64(dynOff + i * 16 + 8, val);
  });
  u64(relaOff, slotOff);
  u64(relaOff + 8, image.threadPointerRelocation);
  bytes.set(image.initImage, tlsOff);
  return bytes;
}

// The resolver registry is core's, shared with the other formats' platforms; re-exported for compatibility.
export { getThreadLocalResolver, setThreadLocalResolver, type ThreadLocalLocation, type ThreadLocalResolver } from '@jitlink/core';
