/**
 * Framing and message vocabulary of ORC's simple remote EPC protocol as LLVM
 * 19 speaks it (see docs/executor-protocol.md): every message is a 32-byte
 * header of four little-endian u64s (total size including the header,
 * opcode, sequence number, tag address) followed by an SPS-encoded body.
 */
import { JITLinkError, type TargetAddress } from '@jitlink/core';
import { SPSReader, SPSWriter, type SPSSource } from './sps.js';

export enum Opcode {
  Setup = 0,
  Hangup = 1,
  Result = 2,
  CallWrapper = 3,
}
const LAST_OPCODE = Opcode.CallWrapper;

export const HEADER_SIZE = 32;
/** Default bound on one message body: larger ones are refused before any byte is buffered. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1 << 30;

export interface Message {
  opcode: Opcode;
  seqNo: bigint;
  /** Kept as the raw u64: a peer's tag is only echoed or compared, never used as a number. */
  tagAddr: bigint;
  body: Uint8Array;
}

export function encodeMessage(opcode: Opcode, seqNo: bigint | number, tagAddr: TargetAddress | bigint, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(out.length), true);
  view.setBigUint64(8, BigInt(opcode), true);
  view.setBigUint64(16, BigInt(seqNo), true);
  view.setBigUint64(24, BigInt.asUintN(64, BigInt(tagAddr)), true);
  out.set(body, HEADER_SIZE);
  return out;
}

/**
 * Cuts a byte stream into messages. Header fields are checked before the
 * body is buffered: a size below the header or above `maxMessageSize`, or an
 * unknown opcode, is an error (the stream cannot be resynchronised after it).
 */
export class MessageDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Bytes consumed from the stream so far (offsets in errors). */
  private streamOffset = 0;

  constructor(
    private readonly peer: string,
    private readonly maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE,
  ) {}

  /** Bytes received that do not yet make a whole message. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Message[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Message[] = [];
    for (;;) {
      if (this.buffered < HEADER_SIZE) return out;
      const header = this.peek(HEADER_SIZE);
      const view = new DataView(header.buffer, header.byteOffset, HEADER_SIZE);
      const size = view.getBigUint64(0, true);
      const opcode = view.getBigUint64(8, true);
      const where = { file: this.peer, section: 'message header', offset: this.streamOffset };
      if (size < BigInt(HEADER_SIZE)) {
        throw new JITLinkError('MalformedObject', `message size ${size} is smaller than the ${HEADER_SIZE}-byte header`, where);
      }
      if (size - BigInt(HEADER_SIZE) > BigInt(this.maxMessageSize)) {
        throw new JITLinkError('MalformedObject', `message size ${size} exceeds the limit of ${this.maxMessageSize} bytes`, where);
      }
      if (opcode > BigInt(LAST_OPCODE)) {
        throw new JITLinkError('MalformedObject', `unknown opcode ${opcode} (not the simple remote EPC protocol?)`, where);
      }
      const total = Number(size);
      if (this.buffered < total) return out;
      const bytes = this.peek(total);
      this.consume(total);
      const v = new DataView(bytes.buffer, bytes.byteOffset, total);
      out.push({
        opcode: Number(opcode) as Opcode,
        seqNo: v.getBigUint64(16, true),
        tagAddr: v.getBigUint64(24, true),
        body: bytes.slice(HEADER_SIZE),
      });
    }
  }

  /** The first `n` buffered bytes, joined into one array when split across chunks. */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const joined = new Uint8Array(this.buffered);
    let at = 0;
    for (const c of this.chunks) {
      joined.set(c, at);
      at += c.length;
    }
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private consume(n: number): void {
    const first = this.chunks[0]!;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    this.streamOffset += n;
  }
}

/** What the executor announces in its setup message. */
export interface ExecutorInfo {
  triple: string;
  pageSize: number;
  /** Opaque values by name (e.g. the executor's settings); LLVM's executor sends none. */
  bootstrapMap: Map<string, Uint8Array>;
  /** Addresses of the executor's services and wrapper functions, by name. */
  bootstrapSymbols: Map<string, TargetAddress>;
}

export function encodeSetup(info: ExecutorInfo): Uint8Array {
  const w = new SPSWriter().string(info.triple).u64(info.pageSize).u64(info.bootstrapMap.size);
  for (const [k, v] of info.bootstrapMap) w.string(k).bytes(v);
  w.u64(info.bootstrapSymbols.size);
  for (const [k, v] of info.bootstrapSymbols) w.string(k).addr(v);
  return w.finish();
}

export function decodeSetup(body: Uint8Array, peer: string): ExecutorInfo {
  const r = new SPSReader(body, { peer, what: 'setup message' });
  const triple = r.string('target triple');
  const pageSizeAt = r.offset;
  const pageSize = r.u64('page size');
  if (pageSize < 1024 || pageSize > 1 << 24 || (pageSize & (pageSize - 1)) !== 0) {
    r.fail(`page size ${pageSize} is not a power of two between 1 KiB and 16 MiB`, pageSizeAt);
  }
  const bootstrapMap = new Map<string, Uint8Array>();
  for (let i = 0, n = r.count('bootstrap map', 16); i < n; i++) {
    const key = r.string('bootstrap map key');
    bootstrapMap.set(key, r.bytesView('bootstrap map value').slice());
  }
  const bootstrapSymbols = new Map<string, TargetAddress>();
  for (let i = 0, n = r.count('bootstrap symbols', 16); i < n; i++) {
    const name = r.string('bootstrap symbol name');
    bootstrapSymbols.set(name, r.addr(`address of ${name}`));
  }
  r.end();
  return { triple, pageSize, bootstrapMap, bootstrapSymbols };
}

/** Body of a hangup message: an SPSError (success, or why the peer is leaving). */
export function encodeHangup(error?: string): Uint8Array {
  const w = new SPSWriter().bool(error !== undefined);
  if (error !== undefined) w.string(error);
  return w.finish();
}

export function decodeHangup(body: Uint8Array, source: SPSSource): string | undefined {
  const r = new SPSReader(body, source);
  const error = r.bool('hangup error flag') ? r.string('hangup error') : undefined;
  r.end();
  return error;
}

/** Names of the executor-side functions and objects (LLVM 19.x spellings). */
export const BootstrapNames = {
  dispatchContext: '__llvm_orc_SimpleRemoteEPC_dispatch_ctx',
  dispatchFunction: '__llvm_orc_SimpleRemoteEPC_dispatch_fn',
  memoryManagerInstance: '__llvm_orc_SimpleExecutorMemoryManager_Instance',
  memoryReserve: '__llvm_orc_SimpleExecutorMemoryManager_reserve_wrapper',
  memoryFinalize: '__llvm_orc_SimpleExecutorMemoryManager_finalize_wrapper',
  memoryDeallocate: '__llvm_orc_SimpleExecutorMemoryManager_deallocate_wrapper',
  sharedMemoryInstance: '__llvm_orc_ExecutorSharedMemoryMapperService_Instance',
  sharedMemoryReserve: '__llvm_orc_ExecutorSharedMemoryMapperService_Reserve',
  sharedMemoryInitialize: '__llvm_orc_ExecutorSharedMemoryMapperService_Initialize',
  sharedMemoryDeinitialize: '__llvm_orc_ExecutorSharedMemoryMapperService_Deinitialize',
  sharedMemoryRelease: '__llvm_orc_ExecutorSharedMemoryMapperService_Release',
  dylibManagerInstance: '__llvm_orc_SimpleExecutorDylibManager_Instance',
  dylibOpen: '__llvm_orc_SimpleExecutorDylibManager_open_wrapper',
  dylibLookup: '__llvm_orc_SimpleExecutorDylibManager_lookup_wrapper',
  writeUInt8s: '__llvm_orc_bootstrap_mem_write_uint8s_wrapper',
  writeUInt16s: '__llvm_orc_bootstrap_mem_write_uint16s_wrapper',
  writeUInt32s: '__llvm_orc_bootstrap_mem_write_uint32s_wrapper',
  writeUInt64s: '__llvm_orc_bootstrap_mem_write_uint64s_wrapper',
  writeBuffers: '__llvm_orc_bootstrap_mem_write_buffers_wrapper',
  runAsMain: '__llvm_orc_bootstrap_run_as_main_wrapper',
  runAsVoidFunction: '__llvm_orc_bootstrap_run_as_void_function_wrapper',
  runAsIntFunction: '__llvm_orc_bootstrap_run_as_int_function_wrapper',
  registerEHFrame: 'llvm_orc_registerEHFrameSectionWrapper',
  deregisterEHFrame: 'llvm_orc_deregisterEHFrameSectionWrapper',
  // jitlink-executor's own services (not in LLVM's executor): reservations below 2 GiB (-fno-pic code)
  // and loader-owned thread-local storage.
  memoryReserveLow: '__jitlink_SimpleExecutorMemoryManager_reserveLow_wrapper',
  tlsLoad: '__jitlink_ExecutorTLSService_load_wrapper',
  tlsUnload: '__jitlink_ExecutorTLSService_unload_wrapper',
  tlsLocate: '__jitlink_ExecutorTLSService_locate_wrapper',
} as const;

/** Bootstrap symbols a controller cannot work without. */
export const REQUIRED_BOOTSTRAP_SYMBOLS: readonly string[] = [
  BootstrapNames.memoryManagerInstance,
  BootstrapNames.memoryReserve,
  BootstrapNames.memoryFinalize,
  BootstrapNames.memoryDeallocate,
  BootstrapNames.dylibManagerInstance,
  BootstrapNames.dylibOpen,
  BootstrapNames.dylibLookup,
  BootstrapNames.runAsMain,
  BootstrapNames.runAsVoidFunction,
  BootstrapNames.runAsIntFunction,
];
