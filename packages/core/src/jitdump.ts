/**
 * Linux perf's formats for JIT'd code: the jitdump file (`jit-<pid>.dump`,
 * read by `perf inject --jit`) and perf map lines (`/tmp/perf-<pid>.map`,
 * read by `perf report`). Encoding and decoding only; the executor writes the
 * files. Fields are in the byte order of the process writing them (perf
 * recognizes the other order by the magic number); here little-endian.
 */
import { JITLinkError } from './errors.js';

/** "JiTD" read as a 32-bit integer. */
export const JITDUMP_MAGIC = 0x4a695444;
/** The jitdump format version written and read. */
export const JITDUMP_VERSION = 1;
/** Bytes of the file header. */
export const JITDUMP_HEADER_SIZE = 40;
/** Record id: code was loaded (name, address, bytes). */
export const JIT_CODE_LOAD = 0;
/** Record id: code moved. */
export const JIT_CODE_MOVE = 1;
/** Record id: line table of loaded code. */
export const JIT_CODE_DEBUG_INFO = 2;
/** Record id: the file ends. */
export const JIT_CODE_CLOSE = 3;
/** Record id: unwind tables of loaded code. */
export const JIT_CODE_UNWINDING_INFO = 4;
const RECORD_HEADER_SIZE = 16;
const CODE_LOAD_FIXED_SIZE = RECORD_HEADER_SIZE + 40;

/** What a jitdump file header holds (magic, version and size are implied). */
export interface JitdumpHeader {
  /** ELF e_machine of the code. */
  elfMachine: number;
  pid: number;
  /** CLOCK_MONOTONIC in nanoseconds (what `perf record -k 1` stamps samples with). */
  timestamp: bigint;
  flags?: bigint;
}

/** A function of JIT'd code, as a JIT_CODE_LOAD record describes it. */
export interface JitCodeLoad {
  pid: number;
  tid: number;
  /** Address the code runs at (vma and code_addr are the same for JIT'd code). */
  address: bigint;
  /** Unique per code load in the file. */
  codeIndex: bigint;
  name: string;
  code: Uint8Array;
  timestamp: bigint;
}

const utf8 = new TextEncoder();

/** The file header: magic, version, total_size, elf_mach, pad1, pid, timestamp, flags. */
export function encodeJitdumpHeader(header: JitdumpHeader): Uint8Array {
  const bytes = new Uint8Array(JITDUMP_HEADER_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, JITDUMP_MAGIC, true);
  v.setUint32(4, JITDUMP_VERSION, true);
  v.setUint32(8, JITDUMP_HEADER_SIZE, true);
  v.setUint32(12, header.elfMachine, true);
  v.setUint32(20, header.pid, true);
  v.setBigUint64(24, header.timestamp, true);
  v.setBigUint64(32, header.flags ?? 0n, true);
  return bytes;
}

/** A JIT_CODE_LOAD record: prefix, pid, tid, vma, code_addr, code_size, code_index, the name (NUL-terminated), the code. */
export function encodeJitCodeLoad(load: JitCodeLoad): Uint8Array {
  const name = utf8.encode(load.name);
  const total = CODE_LOAD_FIXED_SIZE + name.length + 1 + load.code.length;
  const bytes = new Uint8Array(total);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, JIT_CODE_LOAD, true);
  v.setUint32(4, total, true);
  v.setBigUint64(8, load.timestamp, true);
  v.setUint32(16, load.pid, true);
  v.setUint32(20, load.tid, true);
  v.setBigUint64(24, load.address, true);
  v.setBigUint64(32, load.address, true);
  v.setBigUint64(40, BigInt(load.code.length), true);
  v.setBigUint64(48, load.codeIndex, true);
  bytes.set(name, CODE_LOAD_FIXED_SIZE);
  bytes.set(load.code, CODE_LOAD_FIXED_SIZE + name.length + 1);
  return bytes;
}

/** A JIT_CODE_CLOSE record (the JIT closes the file). */
export function encodeJitCodeClose(timestamp: bigint): Uint8Array {
  const bytes = new Uint8Array(RECORD_HEADER_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, JIT_CODE_CLOSE, true);
  v.setUint32(4, RECORD_HEADER_SIZE, true);
  v.setBigUint64(8, timestamp, true);
  return bytes;
}

/** One line of a perf map: start and size in hex without 0x, then the name. */
export function perfMapLine(address: bigint, size: number, name: string): string {
  return `${address.toString(16)} ${size.toString(16)} ${name}\n`;
}

/** One record of a jitdump file as read back. */
export interface JitdumpRecord {
  id: number;
  timestamp: bigint;
  /** Offset of the record in the file. */
  offset: number;
  /** For JIT_CODE_LOAD records. */
  load?: Omit<JitCodeLoad, 'timestamp'> & { vma: bigint };
}

/** A jitdump file as read back: its header and records. */
export interface Jitdump {
  header: JitdumpHeader & { version: number };
  records: JitdumpRecord[];
}

/** Reads a jitdump file (little-endian), checking every size against the bytes. */
export function readJitdump(bytes: Uint8Array, file = 'jitdump'): Jitdump {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (detail: string, offset: number): never => {
    throw new JITLinkError('MalformedObject', detail, { file, offset });
  };
  if (bytes.length < JITDUMP_HEADER_SIZE) bad('shorter than a jitdump header', 0);
  if (v.getUint32(0, true) !== JITDUMP_MAGIC) bad('not a jitdump file (bad magic)', 0);
  const headerSize = v.getUint32(8, true);
  if (headerSize < JITDUMP_HEADER_SIZE || headerSize > bytes.length) bad(`header size ${headerSize} is invalid`, 8);
  const header = {
    version: v.getUint32(4, true),
    elfMachine: v.getUint32(12, true),
    pid: v.getUint32(20, true),
    timestamp: v.getBigUint64(24, true),
    flags: v.getBigUint64(32, true),
  };
  const records: JitdumpRecord[] = [];
  const decoder = new TextDecoder();
  for (let at = headerSize; at < bytes.length; ) {
    if (at + RECORD_HEADER_SIZE > bytes.length) bad('record header cut off', at);
    const id = v.getUint32(at, true);
    const size = v.getUint32(at + 4, true);
    if (size < RECORD_HEADER_SIZE || at + size > bytes.length) bad(`record size ${size} is invalid`, at + 4);
    const record: JitdumpRecord = { id, timestamp: v.getBigUint64(at + 8, true), offset: at };
    if (id === JIT_CODE_LOAD) {
      if (size < CODE_LOAD_FIXED_SIZE + 1) bad('JIT_CODE_LOAD record too short', at + 4);
      const codeSize = Number(v.getBigUint64(at + 40, true));
      const nameEnd = bytes.indexOf(0, at + CODE_LOAD_FIXED_SIZE);
      if (nameEnd < 0 || nameEnd + 1 + codeSize !== at + size) bad('JIT_CODE_LOAD name and code do not fill the record', at + CODE_LOAD_FIXED_SIZE);
      record.load = {
        pid: v.getUint32(at + 16, true),
        tid: v.getUint32(at + 20, true),
        vma: v.getBigUint64(at + 24, true),
        address: v.getBigUint64(at + 32, true),
        codeIndex: v.getBigUint64(at + 48, true),
        name: decoder.decode(bytes.subarray(at + CODE_LOAD_FIXED_SIZE, nameEnd)),
        code: bytes.slice(nameEnd + 1, at + size),
      };
    }
    records.push(record);
    at += size;
  }
  return { header, records };
}
