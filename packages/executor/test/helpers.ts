import { readFileSync } from 'node:fs';
import { MemLifetime, MemProt, allocGroup } from '@jitlink/core';
import { needs, platform } from '@jitlink/test-support';

export interface Mapping {
  start: number;
  end: number;
  perms: string;
}

/** The process's memory mappings, from /proc/self/maps. */
export function readMaps(): Mapping[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [range, perms] = line.split(' ') as [string, string];
      const [start, end] = range.split('-') as [string, string];
      return { start: parseInt(start, 16), end: parseInt(end, 16), perms };
    });
}

/** The permissions of the mapping holding `address` ("r-xp"...), or undefined. */
export function permsAt(address: number): string | undefined {
  return readMaps().find((m) => address >= m.start && address < m.end)?.perms;
}

/** Mappings overlapping [start, end). */
export function mappingsIn(start: number, end: number): Mapping[] {
  return readMaps().filter((m) => m.start < end && m.end > start);
}

export const RX = allocGroup(MemProt.Read | MemProt.Exec, MemLifetime.Standard);
export const RO = allocGroup(MemProt.Read, MemLifetime.Standard);
export const RW = allocGroup(MemProt.Read | MemProt.Write, MemLifetime.Standard);
export const RW_FINALIZE = allocGroup(MemProt.Read | MemProt.Write, MemLifetime.Finalize);

/** x86-64: `mov eax, 42; ret`. */
export const RETURN_42 = Uint8Array.of(0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3);

/** x86-64: `int f(int argc, char **argv) { return argc + strlen(argv[1]); }`. */
// prettier-ignore
export const ARGC_PLUS_STRLEN_ARGV1 = Uint8Array.of(
  0x89, 0xf8, //             mov eax, edi
  0x48, 0x8b, 0x56, 0x08, // mov rdx, [rsi+8]
  0x80, 0x3a, 0x00, //       loop: cmp byte [rdx], 0
  0x74, 0x07, //             je done
  0xff, 0xc0, //             inc eax
  0x48, 0xff, 0xc2, //       inc rdx
  0xeb, 0xf4, //             jmp loop
  0xc3, //                   done: ret
);

/** x86-64: `void f(long *p, long v) { *p = v; }`. */
export const STORE_ARG1_AT_ARG0 = Uint8Array.of(0x48, 0x89, 0x37, 0xc3);

export const isX64Linux = process.platform === 'linux' && process.arch === 'x64';

/** A request for one R-X segment holding `code`. */
export function codeRequest(
  name: string,
  code: Uint8Array,
  extra: { requiresLow32BitAddresses?: boolean } = {},
) {
  return {
    graphName: name,
    segments: [{ group: RX, alignment: 16, contentSize: code.length, zeroFillSize: 0 }],
    ...extra,
  };
}

/** In-process memory runs code on x86-64 Linux only. */
export const x64Linux = platform('linux', 'x64');
/** `describe` on x86-64 Linux; elsewhere skipped with the reason (under CI=true, a failure). */
export const describeX64 = needs(x64Linux).describe;
