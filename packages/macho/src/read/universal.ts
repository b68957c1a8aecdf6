/**
 * Universal ("fat") files: the 32- and 64-bit fat headers (always big-endian)
 * and the choice of a slice by architecture.
 */
import { JITLinkError } from '@jitlink/core';
import { FAT_MAGIC, FAT_MAGIC_64, MACHO_CPU_NAMES } from '../constants.js';
import { Fields } from './fields.js';

export interface UniversalSlice {
  /** Architecture name ("x86_64", "arm64", "unknown-macho-cpu-0x…"). */
  arch: string;
  cpuType: number;
  cpuSubtype: number;
  offset: number;
  size: number;
  /** Offset of the slice's fat_arch entry, for errors. */
  entryOffset: number;
}

export function isUniversalMachO(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) return false;
  // Java class files share the magic; their next field (a version) is >= 45.
  const count = view.getUint32(4, false);
  return count > 0 && count < 45;
}

export function machoCpuName(cpuType: number): string {
  return MACHO_CPU_NAMES[cpuType] ?? `unknown-macho-cpu-0x${cpuType.toString(16)}`;
}

/** The slices of a universal file, each checked to lie within the file. */
export function readUniversalSlices(bytes: Uint8Array, file: string): UniversalSlice[] {
  const f = new Fields(file, bytes, false);
  f.need(0, 8, 'universal header');
  const is64 = f.u32(0) === FAT_MAGIC_64;
  const count = f.u32(4);
  const entrySize = is64 ? 32 : 20;
  f.need(8, count * entrySize, `universal header's ${count} architecture entries`);
  const slices: UniversalSlice[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * entrySize;
    const cpuType = f.u32(at);
    const offset = is64 ? f.u64(at + 8, 'slice offset') : f.u32(at + 8);
    const size = is64 ? f.u64(at + 16, 'slice size') : f.u32(at + 12);
    if (offset < 8 + count * entrySize || offset + size > bytes.length) {
      throw new JITLinkError(
        'MalformedObject',
        `universal slice ${i} (${machoCpuName(cpuType)}) at offset 0x${offset.toString(16)}, size 0x${size.toString(16)} ` +
          `lies outside the file (0x${bytes.length.toString(16)} bytes)`,
        { file, offset: at },
      );
    }
    slices.push({ arch: machoCpuName(cpuType), cpuType, cpuSubtype: f.u32(at + 4), offset, size, entryOffset: at });
  }
  return slices;
}

/** Architecture names that mean the same slice ("aarch64" is LLVM's name for arm64). */
function normalizeArch(arch: string): string {
  const base = arch.split('-')[0]!; // a triple names its architecture first
  if (base === 'aarch64' || base === 'arm64e') return 'arm64';
  if (base === 'x86_64h') return 'x86_64';
  return base;
}

/**
 * The slice for `arch` (an architecture name or a target triple); without one,
 * the only slice. Otherwise an error listing the slices present.
 */
export function selectUniversalSlice(bytes: Uint8Array, file: string, arch: string | undefined): UniversalSlice {
  const slices = readUniversalSlices(bytes, file);
  const have = slices.map((s) => s.arch).join(', ');
  if (arch === undefined) {
    if (slices.length === 1) return slices[0]!;
    throw new JITLinkError(
      'UnsupportedArchitecture',
      `universal MachO file holds several architectures (${have}): choose one with -triple`,
      { file, offset: 0 },
    );
  }
  const wanted = normalizeArch(arch);
  const chosen = slices.find((s) => s.arch === wanted);
  if (chosen === undefined) {
    throw new JITLinkError('UnsupportedArchitecture', `universal MachO file has no ${wanted} slice (slices present: ${have})`, {
      file,
      offset: 0,
    });
  }
  return chosen;
}
