/**
 * Fuzz target for the executor protocol as the controller reads it: a
 * scripted executor's byte stream (setup, results of the controller's calls,
 * a call of its own, hangup) is mutated and played to a real EPCConnection
 * and RemoteExecutorProcessControl over an in-memory channel. Each call the
 * controller makes must resolve or reject with a JITLinkError; a TypeError,
 * RangeError or a call that never settles once the stream has ended is a failure.
 */
import { JITLinkError } from '@jitlink/core';
import { BootstrapNames, EPCConnection, Opcode, REQUIRED_BOOTSTRAP_SYMBOLS, RemoteExecutorProcessControl, encodeMessage } from '@jitlink/executor-remote';
import { field } from './mutate.mjs';
import { OracleFailure } from './targets.mjs';

const encoder = new TextEncoder();

/** An SPS writer that records where its integers and strings went, for the mutations. */
class RecordingWriter {
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
  u64(value, weight = 1) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(value), true);
    for (let i = 0; i < weight; i++) this.fields.push(field(this.base + this.length, 8));
    return this.push(b);
  }
  u8(value) {
    this.fields.push(field(this.base + this.length, 1));
    return this.push(Uint8Array.of(value));
  }
  string(text) {
    const b = encoder.encode(text);
    this.u64(b.length, 2); // lengths are what a hostile peer lies about
    if (b.length > 0) this.strings.push([this.base + this.length, this.base + this.length + b.length]);
    return this.push(b);
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

const BASE = 0x7f00_0001_0000;

/** The executor's side of create, reserve, lookup, deallocate and write, as messages grouped by the call that triggers them. */
export function scriptedExecutor(variant) {
  const groups = [];
  const fields = [];
  const strings = [];
  let offset = 0;
  const message = (opcode, seqNo, tag, build) => {
    const w = new RecordingWriter(offset + 32);
    build(w);
    const body = w.finish();
    fields.push(field(offset, 8), field(offset, 8), field(offset + 8, 8), field(offset + 16, 8), field(offset + 16, 8), field(offset + 24, 8));
    fields.push(...w.fields);
    strings.push(...w.strings);
    const bytes = encodeMessage(opcode, seqNo, tag, body);
    offset += bytes.length;
    return bytes;
  };
  const symbols = [...REQUIRED_BOOTSTRAP_SYMBOLS, BootstrapNames.writeBuffers];
  groups.push([
    message(Opcode.Setup, 0, 0, (w) => {
      w.string(variant % 2 ? 'x86_64-unknown-linux-gnu' : 'aarch64-unknown-linux-gnu').u64(4096);
      w.u64(1).string('executor-settings').string('\x01\x02');
      w.u64(symbols.length);
      symbols.forEach((name, i) => w.string(name).u64(0x1000 + i * 16));
    }),
  ]);
  // openDylib(""), preceded by a call of the executor's own (the controller answers it).
  groups.push([
    message(Opcode.CallWrapper, 77, 0x4000, (w) => w.u64(0)),
    message(Opcode.Result, 1, 0, (w) => w.u8(1).u64(0x5000)),
  ]);
  groups.push([message(Opcode.Result, 2, 0, (w) => w.u8(1).u64(BASE))]);
  groups.push([
    message(Opcode.Result, 3, 0, (w) => {
      w.u8(1).u64(2);
      for (const address of [0x6000, 0x6010]) w.u64(address).u8(0).u8(0);
    }),
  ]);
  groups.push([message(Opcode.Result, 4, 0, (w) => (variant % 3 ? w.u8(0) : w.u8(1).string('deallocation refused')))]);
  groups.push([message(Opcode.Result, 5, 0, () => {})]);
  groups.push([message(Opcode.Hangup, 0, 0, (w) => w.u8(1).string('done'))]);
  const ends = [];
  let at = 0;
  for (const g of groups) {
    at += g.reduce((n, m) => n + m.length, 0);
    ends.push(at);
  }
  const bytes = new Uint8Array(at);
  let p = 0;
  for (const g of groups) for (const m of g) {
    bytes.set(m, p);
    p += m.length;
  }
  return { bytes, fields, strings, ends };
}

function protocolSeeds() {
  return [0, 1, 2, 3, 4, 5].map((variant) => ({ name: `scripted executor, variant ${variant}`, ...scriptedExecutor(variant) }));
}

/** The group boundaries of the seed every case comes from (the stream's shape, not its bytes). */
const GROUP_ENDS = scriptedExecutor(0).ends;

const settles = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Plays `bytes` as the executor: the first group at once, the next one each
 * time the controller sends a call, each group in two chunks (so messages are
 * split across reads); after the last step, or when a step waits on bytes the
 * script will not send, the rest of the stream and its end.
 */
async function runProtocol(bytes) {
  let delivered = 0;
  let group = 0;
  let ended = false;
  let dataHandler;
  let closeHandler;
  const deliver = (end) => {
    end = Math.min(end, bytes.length);
    if (end <= delivered || ended) return;
    const mid = delivered + ((end - delivered) >> 1);
    const first = bytes.slice(delivered, mid);
    const second = bytes.slice(mid, end);
    delivered = end;
    if (first.length) dataHandler(first);
    if (second.length) dataHandler(second);
  };
  const endStream = () => {
    deliver(bytes.length);
    if (!ended) {
      ended = true;
      closeHandler(undefined);
    }
  };
  const channel = {
    write(message) {
      // A call from the controller (opcode 3) brings the next group of the script.
      if (message.length >= 16 && message[8] === Opcode.CallWrapper) queueMicrotask(() => deliver(GROUP_ENDS[++group] ?? bytes.length));
    },
    onData(handler) {
      dataHandler = handler;
    },
    onClose(handler) {
      closeHandler = handler;
    },
    close() {
      queueMicrotask(endStream);
    },
  };
  const connection = new EPCConnection(channel, { peer: 'fuzz executor' });
  deliver(GROUP_ENDS[0]);
  /** Awaits a step; a JITLinkError is a clean rejection, anything else (or never settling) a failure. */
  const step = async (what, start) => {
    const outcome = settles(start());
    let result = await Promise.race([outcome, nextTurn().then(() => undefined)]);
    if (result === undefined) {
      endStream();
      result = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve(undefined), 2000))]);
      if (result === undefined) throw new OracleFailure(what, Object.assign(new Error(`${what} never settled after the stream ended`), { name: 'Hang' }));
    }
    if (result.error === undefined) return result.value;
    const e = result.error;
    if (e instanceof JITLinkError) return undefined;
    throw new OracleFailure(what, e);
  };
  let completed = 0;
  const control = await step('create', () => RemoteExecutorProcessControl.create(connection));
  if (control) {
    const base = await step('reserve', () => control.reserve(4096));
    if (base !== undefined) completed++;
    const found = await step('lookup', () => control.lookupSymbols(['puts', 'malloc']));
    if (found !== undefined) completed++;
    await step('deallocate', () => control.deallocate([base ?? BASE]).then(() => completed++));
    await step('write', () => control.writeMemory(base ?? BASE, Uint8Array.of(1, 2, 3, 4)).then(() => completed++));
  }
  endStream();
  await nextTurn();
  return completed === 4 ? 'linked' : control ? 'parsed' : 'rejected';
}

export const protocolTargets = {
  protocol: { description: 'executor protocol messages read by the controller', seeds: protocolSeeds, run: runProtocol },
};
