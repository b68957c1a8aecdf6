/**
 * Fuzz target for jitlink-executor (C), as it reads a controller's messages:
 * scripted controller sessions (reserve, finalize and deallocate, shared
 * memory reserve/initialize/deinitialize/release, memory writes of every
 * width, dylib open and lookup, run-as-main/void/int, eh-frame and GDB
 * registration, TLS services, wrapper calls, hangup) are mutated and sent, one
 * message at a time, to the real executor built with AddressSanitizer and
 * UndefinedBehaviorSanitizer, over its pipes (or, one case in eight, TCP).
 *
 * Addresses the executor chooses (its wrapper tags and instances, the bases of
 * its reservations, dylib handles, looked-up symbols) are written in the
 * scripts symbolically, as u64s 0x5EF0_KKII_OOOOOOOO (kind, index, offset
 * around 2^31), and resolved just before a message is sent, so mutations
 * reach them as numbers too: an offset nudged out of a reservation, a tag
 * into another wrapper.
 *
 * Oracle: the executor answers every call it accepts with a Result for that
 * call, or ends the session with an error message and exit status 1; it exits
 * with 0 after a hangup or the end of the stream; no signal, no sanitizer
 * report, no silence longer than the hang bound. A crash inside code the
 * controller asked to run (a run-as-* call, its pc in the controller's
 * reservations or a run handler below it on the stack) is that code's doing:
 * counted as 'ran', not as a failure.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { field } from './mutate.mjs';
import { repoRoot } from './targets.mjs';

const encoder = new TextEncoder();
const source = path.join(repoRoot, 'packages/executor-remote/native/jitlink-executor.c');
const buildDir = path.join(repoRoot, 'tools/fuzz/dist');
export const sanitizedExecutorPath = path.join(buildDir, 'jitlink-executor-asan');
const COMPILER = process.env.JITLINK_FUZZ_CC ?? 'clang-19';
/** The AArch64 executor: cross-built by gcc with its sanitizers, run under qemu-aarch64 with the cross sysroot. */
export const sanitizedAarch64ExecutorPath = path.join(buildDir, 'jitlink-executor-asan-aarch64');
const AARCH64_COMPILER = process.env.JITLINK_FUZZ_AARCH64_CC ?? 'aarch64-linux-gnu-gcc';
const AARCH64_SYSROOT = process.env.JITLINK_AARCH64_SYSROOT ?? '/usr/aarch64-linux-gnu';
/** How long the executor may stay silent after a message before the case is a hang (a failure bound, not a measurement). */
const HANG_MS = Number(process.env.JITLINK_FUZZ_EXECUTOR_HANG_MS ?? 20_000);

/**
 * Builds jitlink-executor with -fsanitize=address,undefined when the binary is
 * missing or older than its source. Returns the reason it cannot, or undefined.
 */
export function buildSanitizedExecutor() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the executor fuzz target runs on x86-64 Linux';
  try {
    if (fs.existsSync(sanitizedExecutorPath) && fs.statSync(sanitizedExecutorPath).mtimeMs >= fs.statSync(source).mtimeMs) return undefined;
    fs.mkdirSync(buildDir, { recursive: true });
    execFileSync(COMPILER, ['-std=c99', '-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined',
      // -fsanitize=function reads a type hash before each indirect call's target: linked code has none.
      '-fno-sanitize=function',
      '-Wall', '-Wextra', '-Werror', '-o', sanitizedExecutorPath, source, '-rdynamic', '-pthread', '-ldl', '-lrt', '-lm'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `cannot build the sanitized executor with ${COMPILER} (install clang-19 and libclang-rt-19-dev): ${String(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' ')}`;
  }
}

/** As buildSanitizedExecutor, for AArch64 under qemu-aarch64 (gcc's sanitizers: -fsanitize=function is clang's). */
export function buildSanitizedAarch64Executor() {
  if (process.platform !== 'linux') return 'the executor fuzz target runs on Linux';
  try {
    execFileSync('qemu-aarch64', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'qemu-aarch64 is not installed (package qemu-user)';
  }
  try {
    if (fs.existsSync(sanitizedAarch64ExecutorPath) && fs.statSync(sanitizedAarch64ExecutorPath).mtimeMs >= fs.statSync(source).mtimeMs) return undefined;
    fs.mkdirSync(buildDir, { recursive: true });
    execFileSync(AARCH64_COMPILER, ['-std=c99', '-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined',
      '-Wall', '-Wextra', '-Werror', '-o', sanitizedAarch64ExecutorPath, source, '-rdynamic', '-pthread', '-ldl', '-lrt', '-lm'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `cannot build the sanitized AArch64 executor with ${AARCH64_COMPILER} (install gcc-aarch64-linux-gnu, whose libasan and libubsan it links): ${String(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' ')}`;
  }
}

// ---- symbolic values ---------------------------------------------------------

const MAGIC = 0x5ef0n;
const ZERO_OFFSET = 0x8000_0000n;
const Kind = { bootstrap: 1, reservation: 3, handle: 4, lookup: 5 };

/** The executor's bootstrap symbols the scripts name (wrapper tags and instances), by index. */
const BOOTSTRAP = [
  '__llvm_orc_SimpleExecutorMemoryManager_reserve_wrapper',
  '__llvm_orc_SimpleExecutorMemoryManager_finalize_wrapper',
  '__llvm_orc_SimpleExecutorMemoryManager_deallocate_wrapper',
  '__llvm_orc_ExecutorSharedMemoryMapperService_Reserve',
  '__llvm_orc_ExecutorSharedMemoryMapperService_Initialize',
  '__llvm_orc_ExecutorSharedMemoryMapperService_Deinitialize',
  '__llvm_orc_ExecutorSharedMemoryMapperService_Release',
  '__llvm_orc_SimpleExecutorDylibManager_open_wrapper',
  '__llvm_orc_SimpleExecutorDylibManager_lookup_wrapper',
  '__llvm_orc_bootstrap_mem_write_uint8s_wrapper',
  '__llvm_orc_bootstrap_mem_write_uint16s_wrapper',
  '__llvm_orc_bootstrap_mem_write_uint32s_wrapper',
  '__llvm_orc_bootstrap_mem_write_uint64s_wrapper',
  '__llvm_orc_bootstrap_mem_write_buffers_wrapper',
  '__llvm_orc_bootstrap_run_as_main_wrapper',
  '__llvm_orc_bootstrap_run_as_void_function_wrapper',
  '__llvm_orc_bootstrap_run_as_int_function_wrapper',
  'llvm_orc_registerEHFrameSectionWrapper',
  'llvm_orc_deregisterEHFrameSectionWrapper',
  '__jitlink_SimpleExecutorMemoryManager_reserveLow_wrapper',
  '__jitlink_ExecutorTLSService_load_wrapper',
  '__jitlink_ExecutorTLSService_unload_wrapper',
  '__jitlink_ExecutorTLSService_locate_wrapper',
  '__llvm_orc_SimpleExecutorMemoryManager_Instance',
  '__llvm_orc_SimpleExecutorDylibManager_Instance',
  '__llvm_orc_ExecutorSharedMemoryMapperService_Instance',
  '__llvm_orc_SimpleRemoteEPC_dispatch_ctx',
  '__llvm_orc_SimpleRemoteEPC_dispatch_fn',
];
const RESERVE_WRAPPERS = new Set(['__llvm_orc_SimpleExecutorMemoryManager_reserve_wrapper', '__jitlink_SimpleExecutorMemoryManager_reserveLow_wrapper', '__llvm_orc_ExecutorSharedMemoryMapperService_Reserve']);

const sym = (kind, index, offset = 0) => (MAGIC << 48n) | (BigInt(kind) << 40n) | (BigInt(index) << 32n) | (ZERO_OFFSET + BigInt(offset));
const bootstrap = (name, offset = 0) => {
  const i = BOOTSTRAP.indexOf(name);
  if (i < 0) throw new Error(`not a bootstrap symbol of the scripts: ${name}`);
  return sym(Kind.bootstrap, i, offset);
};
const reservation = (k, offset = 0) => sym(Kind.reservation, k, offset);
const handle = (k) => sym(Kind.handle, k);
const looked = (k) => sym(Kind.lookup, k);

/** Replaces every symbolic u64 of `bytes[from, to)` in place with what it stands for in `state`. */
function resolve(bytes, from, to, state) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = from; i + 8 <= to; i++) {
    if (bytes[i + 7] !== 0x5e || bytes[i + 6] !== 0xf0) continue;
    const v = view.getBigUint64(i, true);
    const kind = Number((v >> 40n) & 0xffn);
    const index = Number((v >> 32n) & 0xffn);
    const offset = (v & 0xffff_ffffn) - ZERO_OFFSET;
    const base =
      kind === Kind.bootstrap ? state.bootstrap.get(BOOTSTRAP[index]) :
      kind === Kind.reservation ? state.reservations[index]?.base :
      kind === Kind.handle ? state.handles[index] :
      kind === Kind.lookup ? state.lookups[index] : undefined;
    if (base === undefined) continue; // stays an address nothing owns
    view.setBigUint64(i, BigInt.asUintN(64, base + offset), true);
    i += 7;
  }
}

// ---- scripts -----------------------------------------------------------------

/** Builds a controller's session as messages, recording the fields and strings the mutations address. */
class Script {
  constructor(name) {
    this.name = name;
    this.parts = [];
    this.length = 0;
    this.fields = [];
    this.strings = [];
    this.seq = 1;
  }
  push(bytes) {
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  /** One message: header (size, opcode, seq, tag) and a body written by `build` with the SPS writer below. */
  message(opcode, tag, build = () => {}) {
    const start = this.length;
    const body = new BodyWriter(start + 32);
    build(body);
    const bytes = body.finish();
    const header = new Uint8Array(32);
    const view = new DataView(header.buffer);
    view.setBigUint64(0, BigInt(32 + bytes.length), true);
    view.setBigUint64(8, BigInt(opcode), true);
    view.setBigUint64(16, BigInt(opcode === 3 ? this.seq++ : 0), true);
    view.setBigUint64(24, BigInt(tag), true);
    // Sizes and tags weigh more: they steer everything after them.
    this.fields.push(field(start, 8), field(start, 8), field(start + 8, 8), field(start + 16, 8), field(start + 24, 8), field(start + 24, 8));
    this.fields.push(...body.fields);
    this.strings.push(...body.strings);
    this.push(header);
    this.push(bytes);
    return this;
  }
  call(wrapper, build) {
    return this.message(3, bootstrap(wrapper), build);
  }
  hangup() {
    return this.message(1, 0, (w) => w.u8(0));
  }
  finish() {
    const bytes = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { name: this.name, bytes, fields: this.fields, strings: this.strings };
  }
}

class BodyWriter {
  constructor(base) {
    this.base = base;
    this.parts = [];
    this.length = 0;
    this.fields = [];
    this.strings = [];
  }
  push(bytes) {
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }
  int(value, width, weight = 1) {
    const b = new Uint8Array(width);
    const view = new DataView(b.buffer);
    if (width === 8) view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    else if (width === 4) view.setUint32(0, Number(BigInt.asUintN(32, BigInt(value))), true);
    else if (width === 2) view.setUint16(0, Number(value) & 0xffff, true);
    else b[0] = Number(value) & 0xff;
    for (let i = 0; i < weight; i++) this.fields.push(field(this.base + this.length, width));
    return this.push(b);
  }
  u8(v) {
    return this.int(v, 1);
  }
  u64(v) {
    return this.int(v, 8);
  }
  /** A count or length: what a hostile controller lies about, so mutated more often. */
  count(n) {
    return this.int(n, 8, 3);
  }
  bytes(data) {
    this.count(data.length);
    if (data.length > 0) this.strings.push([this.base + this.length, this.base + this.length + data.length]);
    return this.push(data);
  }
  string(text) {
    return this.bytes(encoder.encode(text));
  }
  /** A wrapper call: function address and argument bytes written by `build`. */
  wrapperCall(fn, build = () => {}) {
    this.u64(fn);
    const args = new BodyWriter(this.base + this.length + 8);
    build(args);
    const bytes = args.finish();
    this.count(bytes.length);
    this.fields.push(...args.fields);
    this.strings.push(...args.strings);
    return this.push(bytes);
  }
  finish() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const PAGE = 4096;
/** `ret` everywhere (x86-64 0xc3; AArch64 0xd65f03c0): code the scripts may run is harmless under any signature. */
const RET = { x86_64: [0xc3], aarch64: [0xc0, 0x03, 0x5f, 0xd6] };
let codeArch = 'x86_64';
const code = (n) => Uint8Array.from({ length: n }, (_, i) => RET[codeArch][i % RET[codeArch].length]);
const data = (n, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff);
/** An eh-frame that starts with its terminator: libgcc registers and deregisters it without reading further. */
const emptyEhFrame = () => new Uint8Array(16);

const instance = (name) => bootstrap(`__llvm_orc_${name}_Instance`);
const R = 1;
const RW = 3;
const RX = 5;

/** reserve, finalize (code, data with an eh-frame and a GDB debug object, actions), writes, deallocate. */
function copyingSession(variant) {
  const s = new Script(`copying memory, variant ${variant}`);
  s.call('__llvm_orc_SimpleExecutorMemoryManager_reserve_wrapper', (w) => w.u64(instance('SimpleExecutorMemoryManager')).u64(4 * PAGE));
  s.call('__llvm_orc_SimpleExecutorDylibManager_open_wrapper', (w) => w.u64(instance('SimpleExecutorDylibManager')).string('').u64(0));
  s.call('__llvm_orc_SimpleExecutorDylibManager_lookup_wrapper', (w) => {
    w.u64(instance('SimpleExecutorDylibManager')).u64(handle(0)).count(2);
    w.string('llvm_orc_registerJITLoaderGDBAllocAction').u8(1);
    w.string('jitlink_deregisterJITLoaderGDBAllocAction').u8(1);
  });
  s.call('__llvm_orc_SimpleExecutorMemoryManager_finalize_wrapper', (w) => {
    w.u64(instance('SimpleExecutorMemoryManager'));
    w.count(3);
    w.u8(RX).u64(reservation(0)).u64(PAGE).bytes(code(variant % 2 ? PAGE : 64));
    w.u8(RW).u64(reservation(0, PAGE)).u64(2 * PAGE).bytes(variant % 3 ? new Uint8Array([...emptyEhFrame(), ...data(200)]) : emptyEhFrame());
    w.u8(R | 8).u64(reservation(0, 3 * PAGE)).u64(PAGE).bytes(data(100, variant));
    w.count(variant % 2 ? 2 : 1);
    w.wrapperCall(bootstrap('llvm_orc_registerEHFrameSectionWrapper'), (a) => a.u64(reservation(0, PAGE)).u64(reservation(0, PAGE + 16)));
    w.wrapperCall(bootstrap('llvm_orc_deregisterEHFrameSectionWrapper'), (a) => a.u64(reservation(0, PAGE)).u64(reservation(0, PAGE + 16)));
    if (variant % 2) {
      w.wrapperCall(looked(0), (a) => a.u64(reservation(0, 3 * PAGE)).u64(reservation(0, 3 * PAGE + 100)).u8(0));
      w.wrapperCall(looked(1), (a) => a.u64(reservation(0, 3 * PAGE)).u64(reservation(0, 3 * PAGE + 100)));
    }
  });
  s.call('__llvm_orc_bootstrap_mem_write_uint64s_wrapper', (w) => w.count(2).u64(reservation(0, PAGE + 64)).u64(0x1122334455667788n).u64(reservation(0, PAGE + 75)).u64(7));
  s.call('__llvm_orc_bootstrap_mem_write_uint32s_wrapper', (w) => w.count(1).u64(reservation(0, PAGE + 128)).int(0xdeadbeef, 4));
  s.call('__llvm_orc_bootstrap_mem_write_uint16s_wrapper', (w) => w.count(1).u64(reservation(0, 2 * PAGE - 2)).int(0xbeef, 2));
  s.call('__llvm_orc_bootstrap_mem_write_uint8s_wrapper', (w) => w.count(2).u64(reservation(0, PAGE + 17)).u8(1).u64(reservation(0, 3 * PAGE - 1)).u8(2));
  s.call('__llvm_orc_bootstrap_mem_write_buffers_wrapper', (w) => w.count(1).u64(reservation(0, PAGE + 256)).bytes(data(48)));
  if (variant % 2) s.call('__llvm_orc_bootstrap_run_as_int_function_wrapper', (w) => w.u64(reservation(0)).int(5, 4));
  s.call('__llvm_orc_SimpleExecutorMemoryManager_deallocate_wrapper', (w) => w.u64(instance('SimpleExecutorMemoryManager')).count(1).u64(reservation(0)));
  return s.hangup().finish();
}

/** Shared memory: reserve, initialize (no content), a write, deinitialize, release. */
function sharedSession(variant) {
  const s = new Script(`shared memory, variant ${variant}`);
  const inst = instance('ExecutorSharedMemoryMapperService');
  s.call('__llvm_orc_ExecutorSharedMemoryMapperService_Reserve', (w) => w.u64(inst).u64(2 * PAGE));
  s.call('__llvm_orc_ExecutorSharedMemoryMapperService_Initialize', (w) => {
    w.u64(inst).u64(reservation(0));
    w.count(2).u8(RX).u64(reservation(0)).u64(PAGE).u8(RW).u64(reservation(0, PAGE)).u64(variant % 2 ? PAGE : 100);
    w.count(1);
    w.wrapperCall(bootstrap('llvm_orc_registerEHFrameSectionWrapper'), (a) => a.u64(reservation(0, PAGE)).u64(reservation(0, PAGE + 16)));
    w.wrapperCall(bootstrap('llvm_orc_deregisterEHFrameSectionWrapper'), (a) => a.u64(reservation(0, PAGE)).u64(reservation(0, PAGE + 16)));
  });
  s.call('__llvm_orc_bootstrap_mem_write_uint32s_wrapper', (w) => w.count(1).u64(reservation(0, PAGE + 32)).int(42, 4));
  s.call('__llvm_orc_ExecutorSharedMemoryMapperService_Deinitialize', (w) => w.u64(inst).count(1).u64(reservation(0)));
  s.call('__llvm_orc_ExecutorSharedMemoryMapperService_Release', (w) => w.u64(inst).count(1).u64(reservation(0)));
  return s.hangup().finish();
}

/** Symbols: open, lookups (present, absent, required), runs of a library function, a direct GDB wrapper call. */
function symbolSession(variant) {
  const s = new Script(`symbols and runs, variant ${variant}`);
  const dm = instance('SimpleExecutorDylibManager');
  s.call('__llvm_orc_SimpleExecutorDylibManager_open_wrapper', (w) => w.u64(dm).string('').u64(0));
  s.call('__llvm_orc_SimpleExecutorDylibManager_open_wrapper', (w) => w.u64(dm).string(variant % 2 ? 'libm.so.6' : 'libnot-there.so.9').u64(0));
  s.call('__llvm_orc_SimpleExecutorDylibManager_lookup_wrapper', (w) => {
    w.u64(dm).u64(handle(0)).count(4);
    w.string('abs').u8(1).string('labs').u8(0).string('llvm_orc_registerJITLoaderGDBWrapper').u8(1).string('no_such_symbol_here').u8(variant % 3 === 2 ? 1 : 0);
  });
  s.call('__llvm_orc_bootstrap_run_as_int_function_wrapper', (w) => w.u64(looked(0)).int(-7, 4));
  s.call('__llvm_orc_bootstrap_run_as_void_function_wrapper', (w) => w.u64(looked(1)));
  s.call('__llvm_orc_bootstrap_run_as_main_wrapper', (w) => w.u64(looked(0)).count(2).string('prog').string('--flag=1'));
  s.call('__llvm_orc_SimpleExecutorMemoryManager_reserve_wrapper', (w) => w.u64(instance('SimpleExecutorMemoryManager')).u64(PAGE));
  s.message(3, looked(2), (w) => w.u64(reservation(0)).u64(reservation(0, 64)).u8(1));
  s.call('__llvm_orc_SimpleExecutorMemoryManager_deallocate_wrapper', (w) => w.u64(instance('SimpleExecutorMemoryManager')).count(2).u64(reservation(0)).u64(reservation(1)));
  return s.hangup().finish();
}

/** Low memory and the TLS services: reserveLow, finalize, locate, load (not an ELF object), unload. */
function lowAndTlsSession(variant) {
  const s = new Script(`low memory and TLS, variant ${variant}`);
  s.call('__jitlink_SimpleExecutorMemoryManager_reserveLow_wrapper', (w) => w.u64(instance('SimpleExecutorMemoryManager')).u64(PAGE));
  s.call('__llvm_orc_SimpleExecutorMemoryManager_finalize_wrapper', (w) => {
    w.u64(instance('SimpleExecutorMemoryManager')).count(1).u8(RW).u64(reservation(0)).u64(PAGE).bytes(data(32));
    w.count(0);
  });
  s.call('__jitlink_ExecutorTLSService_locate_wrapper', (w) => w.count(2).u64(reservation(0)).u64(bootstrap('__llvm_orc_SimpleRemoteEPC_dispatch_ctx')));
  const image = new Uint8Array(64);
  image.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  s.call('__jitlink_ExecutorTLSService_load_wrapper', (w) => w.bytes(variant % 2 ? image : data(80)));
  s.call('__jitlink_ExecutorTLSService_unload_wrapper', (w) => w.u64(reservation(0, 8)));
  s.call('__llvm_orc_bootstrap_mem_write_uint8s_wrapper', (w) => w.count(1).u64(reservation(0, 4)).u8(9));
  s.call('__llvm_orc_SimpleExecutorMemoryManager_deallocate_wrapper', (w) => w.u64(instance('SimpleExecutorMemoryManager')).count(1).u64(reservation(0)));
  if (variant % 2) s.message(2, 0, (w) => w.u8(0));
  return s.hangup().finish();
}

/** The scripted sessions, with the linked code in `arch`'s instructions. */
export function executorSeeds(arch = 'x86_64') {
  codeArch = arch;
  const seeds = [];
  for (const variant of [0, 1, 2, 3]) seeds.push(copyingSession(variant), sharedSession(variant), symbolSession(variant), lowAndTlsSession(variant));
  codeArch = 'x86_64';
  return seeds;
}

// ---- running a case ----------------------------------------------------------

/** A failure of the executor: a crash, a sanitizer report, a hang, or a reply that breaks the protocol. */
export class ExecutorFailure extends Error {
  constructor(kind, message) {
    super(message);
    this.name = 'ExecutorFailure';
    this.kind = kind;
  }
}

const u64le = (bytes, at) => new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true);

/** Parses the setup message body: bootstrap symbols by name. */
function parseSetup(body) {
  let at = 0;
  const take = () => {
    const v = u64le(body, at);
    at += 8;
    return v;
  };
  const skipString = () => {
    const n = Number(take());
    const text = new TextDecoder().decode(body.subarray(at, at + n));
    at += n;
    return text;
  };
  skipString();
  take();
  for (let n = Number(take()); n > 0; n--) {
    skipString();
    at += Number(take());
  }
  const symbols = new Map();
  for (let n = Number(take()); n > 0; n--) {
    const name = skipString();
    symbols.set(name, take());
  }
  return symbols;
}

/** Reads the executor's messages: resolves `next()` with each one, or undefined once the stream has ended. */
class MessageReader {
  constructor(stream) {
    this.buffer = Buffer.alloc(0);
    this.waiting = undefined;
    this.ended = false;
    stream.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }
  wake() {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
  take() {
    if (this.buffer.length < 32) return undefined;
    const size = Number(this.buffer.readBigUInt64LE(0));
    if (size < 32 || size > 1 << 30) throw new ExecutorFailure('BadReply', `the executor sent a message of size ${size}`);
    if (this.buffer.length < size) return undefined;
    const m = this.buffer.subarray(0, size);
    this.buffer = this.buffer.subarray(size);
    return { opcode: Number(m.readBigUInt64LE(8)), seq: m.readBigUInt64LE(16), tag: m.readBigUInt64LE(24), body: new Uint8Array(m.subarray(32)) };
  }
  async next() {
    for (;;) {
      const m = this.take();
      if (m || this.ended) return m;
      await new Promise((resolve) => (this.waiting = resolve));
    }
  }
  /** The next `n` bytes as they come, not as a message (fewer if the stream ends first). */
  async raw(n) {
    while (this.buffer.length < n && !this.ended) await new Promise((resolve) => (this.waiting = resolve));
    const bytes = new Uint8Array(this.buffer.subarray(0, n));
    this.buffer = this.buffer.subarray(bytes.length);
    return bytes;
  }
  /** Resolves once the stream has ended; returns how many bytes came that were not taken. */
  async end() {
    while (!this.ended) await new Promise((resolve) => (this.waiting = resolve));
    return this.buffer.length;
  }
}

const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer|AddressSanitizer:DEADLYSIGNAL/;

const RUN_WRAPPERS = new Set(['__llvm_orc_bootstrap_run_as_main_wrapper', '__llvm_orc_bootstrap_run_as_void_function_wrapper', '__llvm_orc_bootstrap_run_as_int_function_wrapper']);

/**
 * A crash of code the controller asked to run: a deadly signal (not a memory
 * error ASan found in the executor's own code, not undefined behaviour) while
 * a run-as-* call the executor accepted was in flight, or at a pc in the
 * controller's reservations. Library functions called with the wrong
 * signature crash in the library, or in an executor wrapper run as a function.
 */
function crashInRunCode(stderr, state) {
  const deadly = /ERROR: AddressSanitizer: (SEGV|BUS|ILL|FPE|stack-overflow) on/.test(stderr) && !/runtime error:/.test(stderr);
  if (!deadly) return false;
  const pc = stderr.match(/\(pc 0x([0-9a-f]+)/);
  const inReservation = (a) => state.allReservations.some((r) => a >= r.base && a < r.base + r.size);
  return state.runInFlight || (pc !== null && inReservation(BigInt('0x' + pc[1])));
}

/**
 * Plays `bytes` to a fresh sanitized executor, message by message as the
 * executor splits them (by their size fields). Returns 'linked' (every
 * message answered, clean exit), 'parsed' (some answered, then a clean
 * refusal), 'rejected' (refused at once) or 'ran' (controller code crashed);
 * throws an ExecutorFailure otherwise.
 *
 * With `secret`, the executor challenges first and
 * `handshake(reader, stream)` answers it, returning whether the executor must
 * accept the answer; one it must refuse ends the case: the executor must exit
 * with status 1 and an error, having sent nothing after its challenge (with
 * `keepOpen`, while the stream stays open: on its own deadline).
 */
export async function runExecutor(bytes, { secret, handshake, keepOpen = false, arch = 'x86_64' } = {}) {
  // About one case in eight over TCP (listen=127.0.0.1:0), the rest over pipes; handshakes, one in two:
  // chosen by the input, so a case replays alike.
  const overTcp = bytes.reduce((h, b) => (h * 31 + b) >>> 0, 7) % (handshake ? 2 : 8) === 0;
  const mode = overTcp ? 'listen=127.0.0.1:0' : 'filedescs=3,4';
  // Under qemu-user the executor is the qemu process: same pid, descriptors and signals.
  const [program, args] = arch === 'aarch64' ? ['qemu-aarch64', ['-L', AARCH64_SYSROOT, sanitizedAarch64ExecutorPath, mode]] : [sanitizedExecutorPath, [mode]];
  const child = spawn(program, args, {
    stdio: overTcp ? ['ignore', 'ignore', 'pipe'] : ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      JITLINK_EXECUTOR_SECRET: secret ?? '',
      // Below the hang bound and a campaign's slow-case bound (5 s): an answer that never comes is the executor's to end.
      JITLINK_EXECUTOR_CHALLENGE_TIMEOUT: '2',
      JITLINK_EXECUTOR_SECRET_FILE: '',
      ASAN_OPTIONS: 'detect_leaks=0:handle_sigill=1:handle_abort=1:allocator_may_return_null=1:symbolize=1',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
      ASAN_SYMBOLIZER_PATH: '/usr/bin/llvm-symbolizer-19',
    },
  });
  // Names a killed process of the same pid left before: not this executor's (it skips them).
  const stale = new Set(leftSharedMemory(child.pid));
  const madeHere = () => leftSharedMemory(child.pid).filter((name) => !stale.has(name));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => (stderr += s));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let toExecutor = child.stdio[3];
  let fromExecutor = child.stdio[4];
  if (overTcp) {
    const port = await Promise.race([
      new Promise((resolve) => {
        const found = () => {
          const m = stderr.match(/listening on 127\.0\.0\.1:(\d+)/);
          if (m) resolve(Number(m[1]));
        };
        child.stderr.on('data', found);
        found();
      }),
      exited.then(() => undefined),
      new Promise((resolve) => setTimeout(() => resolve(undefined), HANG_MS).unref()),
    ]);
    if (port === undefined) {
      child.kill('SIGKILL');
      throw new ExecutorFailure('BadReply', `the executor did not listen: ${stderr.slice(0, 500)}`);
    }
    toExecutor = fromExecutor = net.connect(port, '127.0.0.1');
  }
  toExecutor.on('error', () => {});
  const reader = new MessageReader(fromExecutor);
  const state = { bootstrap: new Map(), reservations: [], allReservations: [], handles: [], lookups: [], runInFlight: false };
  let answered = 0;
  let refused = false;
  let hang;
  const timer = (what) =>
    new Promise((resolve) => {
      hang = setTimeout(() => resolve({ hang: what }), HANG_MS);
    });
  const finish = async (outcome) => {
    clearTimeout(hang);
    const waited = await Promise.race([exited, timer('exit')]);
    if (waited.hang) {
      child.kill('SIGKILL');
      await exited;
      throw new ExecutorFailure('Hang', `the executor did not exit within ${HANG_MS} ms of the stream's end`);
    }
    clearTimeout(hang);
    const { code, signal } = waited;
    if (SANITIZER_REPORT.test(stderr) || signal) {
      if (crashInRunCode(stderr, state)) return 'ran';
      const report = stderr.split('\n').filter((l) => /ERROR|runtime error|SUMMARY|#[0-9] /.test(l)).slice(0, 12).join('\n');
      // The first line tells failures apart (a campaign saves one input per first line): where it happened.
      const summary = stderr.match(/SUMMARY: (.*)/)?.[1].replace(/\/\S*\//g, '') ?? stderr.match(/runtime error: .*/)?.[0] ?? '';
      throw new ExecutorFailure(signal ? 'Signal' : 'Sanitizer', `the executor ${signal ? `died by ${signal}` : 'had a sanitizer report'}: ${summary}\n${report || stderr.slice(0, 2000)}`);
    }
    const left = madeHere();
    if (left.length > 0) throw new ExecutorFailure('Leak', `the executor exited (${code}) leaving shared memory ${left.join(', ')}`);
    if (code === 0) return outcome;
    if (code === 1 && /jitlink-executor: error: /.test(stderr)) return answered > 0 ? 'parsed' : 'rejected';
    throw new ExecutorFailure('Exit', `the executor exited with ${code}: ${stderr.slice(0, 500)}`);
  };
  try {
    if (handshake) {
      const accepted = await Promise.race([handshake(reader, toExecutor), timer('challenge')]);
      clearTimeout(hang);
      if (accepted?.hang) {
        child.kill('SIGKILL');
        await exited;
        throw new ExecutorFailure('Hang', `no challenge from the executor within ${HANG_MS} ms`);
      }
      if (!accepted) {
        if (!keepOpen) toExecutor.end();
        const drained = await Promise.race([reader.end(), timer('the end of the stream')]);
        clearTimeout(hang);
        if (drained?.hang) {
          child.kill('SIGKILL');
          await exited;
          throw new ExecutorFailure('Hang', `the executor kept the connection ${HANG_MS} ms after a wrong answer${keepOpen ? ' (the stream left open)' : ' and the end of the stream'}`);
        }
        await finish('rejected');
        if (child.exitCode !== 1 || drained > 0 || !/jitlink-executor: error: .*(shared secret|before answering the challenge|unexpected end of stream|did not answer the challenge)/.test(stderr)) {
          throw new ExecutorFailure('Accepted', `after a wrong answer to its challenge the executor sent ${drained} bytes and exited with ${child.exitCode}: ${stderr.slice(0, 500)}`);
        }
        return 'rejected';
      }
    }
    const setup = await Promise.race([reader.next(), timer('setup')]);
    clearTimeout(hang);
    if (!setup || setup.hang || setup.opcode !== 0) throw new ExecutorFailure('BadReply', `no setup message from the executor: ${stderr.slice(0, 500)}`);
    state.bootstrap = parseSetup(setup.body);
    let at = 0;
    while (at < bytes.length && !refused) {
      const header = bytes.slice(at, Math.min(at + 32, bytes.length));
      if (header.length < 32) {
        toExecutor.write(header);
        at = bytes.length;
        break;
      }
      resolve(header, 0, 32, state);
      const size = u64le(header, 0);
      const opcode = u64le(header, 8);
      const seq = u64le(header, 16);
      const tag = u64le(header, 24);
      const bodyEnd = size >= 32n && size - 32n <= BigInt(bytes.length - at - 32) ? at + Number(size) : bytes.length;
      const body = bytes.slice(at + 32, bodyEnd);
      resolve(body, 0, body.length, state);
      at = bodyEnd;
      toExecutor.write(header);
      if (body.length) toExecutor.write(body);
      if (size < 32n || size - 32n > BigInt(body.length) || opcode !== 3n) break; // the executor ends the session now, or waits for the end
      const wrapper = [...state.bootstrap].find(([, a]) => a === tag)?.[0];
      state.runInFlight = RUN_WRAPPERS.has(wrapper);
      const reply = await Promise.race([reader.next(), timer(`call ${seq}`)]);
      clearTimeout(hang);
      if (reply?.hang) {
        child.kill('SIGKILL');
        await exited;
        throw new ExecutorFailure('Hang', `no answer to call ${seq} (${wrapper ?? `tag 0x${tag.toString(16)}`}) within ${HANG_MS} ms`);
      }
      if (!reply) {
        refused = true;
        break;
      }
      if (reply.opcode === 1) {
        refused = true;
        break;
      }
      if (reply.opcode !== 2 || reply.seq !== seq) throw new ExecutorFailure('BadReply', `answer to call ${seq} was opcode ${reply.opcode}, sequence ${reply.seq}`);
      answered++;
      state.runInFlight = false;
      record(wrapper, body, reply.body, state);
    }
    toExecutor.end();
    return await finish(refused ? 'parsed' : 'linked');
  } finally {
    clearTimeout(hang);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    madeHere().forEach((name) => fs.rmSync(path.join('/dev/shm', name), { force: true }));
  }
}

/** Shared memory names an executor left: none after an exit, only after a crash or a kill. */
function leftSharedMemory(pid) {
  try {
    return fs.readdirSync('/dev/shm').filter((name) => name.startsWith(`jitlink-executor-${pid}-`));
  } catch {
    return [];
  }
}

/** Notes what a successful reply made: reservations, dylib handles, looked-up addresses. */
function record(wrapper, request, reply, state) {
  if (!wrapper || reply.length < 9 || reply[0] !== 1) return;
  if (RESERVE_WRAPPERS.has(wrapper)) {
    const base = u64le(reply, 1);
    const size = request.length >= 16 ? u64le(request, 8) : 0n;
    state.reservations.push({ base, size });
    state.allReservations.push({ base, size });
  } else if (wrapper === '__llvm_orc_SimpleExecutorDylibManager_open_wrapper') {
    state.handles.push(u64le(reply, 1));
  } else if (wrapper === '__llvm_orc_SimpleExecutorDylibManager_lookup_wrapper') {
    const n = Number(u64le(reply, 1));
    for (let i = 0; i < n && 9 + i * 10 + 8 <= reply.length; i++) state.lookups.push(u64le(reply, 9 + i * 10));
  }
}

export const executorTargets = {
  executor: {
    description: 'controller messages read by jitlink-executor (C), built with AddressSanitizer and UndefinedBehaviorSanitizer',
    seeds: () => (buildSanitizedExecutor() === undefined ? executorSeeds() : []),
    missing: buildSanitizedExecutor,
    run: (bytes) => runExecutor(bytes),
  },
  'executor-aarch64': {
    description: 'the same sessions read by the AArch64 jitlink-executor (gcc, AddressSanitizer and UndefinedBehaviorSanitizer) under qemu-aarch64',
    seeds: () => (buildSanitizedAarch64Executor() === undefined ? executorSeeds('aarch64') : []),
    missing: buildSanitizedAarch64Executor,
    run: (bytes) => runExecutor(bytes, { arch: 'aarch64' }),
  },
};
