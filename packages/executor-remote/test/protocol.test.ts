/** The codec alone: framing, SPS and the setup message, with well-formed and hostile bytes. */
import { JITLinkError } from '@jitlink/core';
import { HEADER_SIZE, MessageDecoder, Opcode, decodeSetup, encodeMessage, encodeSetup, SPSReader, SPSWriter, readSPSExpected, remoteAllocGroup } from '../src/index.js';
import { MemLifetime, MemProt, allocGroup } from '@jitlink/core';

const peer = 'test peer';

function header(size: bigint, opcode: bigint): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, size, true);
  v.setBigUint64(8, opcode, true);
  return b;
}

describe('message framing', () => {
  it('encodes the four little-endian u64 header fields and splits a stream at any byte', () => {
    const a = encodeMessage(Opcode.CallWrapper, 7n, 0x7fff_1234_5678, new Uint8Array([1, 2, 3]));
    const b = encodeMessage(Opcode.Result, 8n, 0, new Uint8Array(0));
    expect(a.length).toBe(35);
    const view = new DataView(a.buffer);
    expect(view.getBigUint64(0, true)).toBe(35n);
    expect(view.getBigUint64(8, true)).toBe(3n);
    expect(view.getBigUint64(16, true)).toBe(7n);
    expect(view.getBigUint64(24, true)).toBe(0x7fff_1234_5678n);
    const stream = new Uint8Array([...a, ...b]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new MessageDecoder(peer);
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(got.map((m) => [m.opcode, m.seqNo, [...m.body]])).toEqual([
        [Opcode.CallWrapper, 7n, [1, 2, 3]],
        [Opcode.Result, 8n, []],
      ]);
      expect(d.pendingBytes).toBe(0);
    }
  });

  it('rejects a size below the header, above the limit, and an unknown opcode, naming the stream offset', () => {
    const ok = encodeMessage(Opcode.Result, 1n, 0, new Uint8Array(4));
    const small = new MessageDecoder(peer);
    expect(() => small.push(new Uint8Array([...ok, ...header(31n, 2n)]))).toThrow(/test peer, section message header, offset 0x24: message size 31 is smaller/);
    expect(() => new MessageDecoder(peer, 1024).push(header(32n + 1025n, 2n))).toThrow(/exceeds the limit of 1024 bytes/);
    expect(() => new MessageDecoder(peer).push(header(1n << 62n, 2n))).toThrow(/exceeds the limit/);
    expect(() => new MessageDecoder(peer).push(header(32n, 4n))).toThrow(/unknown opcode 4/);
    // Text where a header belongs: another protocol.
    const text = new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n\r\nxxxxxx');
    expect(() => new MessageDecoder(peer).push(text)).toThrow(JITLinkError);
  });

  it('waits for the rest of a message without buffering past the limit', () => {
    const d = new MessageDecoder(peer, 64);
    expect(d.push(header(32n + 64n, 2n))).toEqual([]);
    expect(d.pendingBytes).toBe(32);
  });
});

describe('SPS', () => {
  it('round-trips integers, bools, strings and exact 64-bit addresses', () => {
    const w = new SPSWriter().u8(0xab).bool(true).i32(-5).u64(2n ** 64n - 1n).addr(0x1f_ffff_ffff_fff0).string('héllo').bytes(new Uint8Array([9]));
    const r = new SPSReader(w.finish(), { peer, what: 'test' });
    expect(r.u8()).toBe(0xab);
    expect(r.bool()).toBe(true);
    expect(r.i32()).toBe(-5);
    expect(r.u64Big()).toBe(2n ** 64n - 1n);
    expect(r.addr()).toBe(0x1f_ffff_ffff_fff0);
    expect(r.string()).toBe('héllo');
    expect([...r.bytesView()]).toEqual([9]);
    r.end();
  });

  it('refuses counts larger than the bytes left, truncation, bad bools, inexact numbers and trailing bytes', () => {
    const src = { peer, what: 'lookup result' };
    const hugeCount = new SPSWriter().u64(1n << 40n).finish();
    expect(() => new SPSReader(hugeCount, src).string()).toThrow(/test peer, section lookup result, offset 0x0: string count 1099511627776 exceeds the 0 bytes left/);
    expect(() => new SPSReader(new Uint8Array(5), src).u64()).toThrow(/truncated u64: needs 8 bytes, 5 left/);
    expect(() => new SPSReader(new Uint8Array([2]), src).bool()).toThrow(/neither 0 nor 1/);
    expect(() => new SPSReader(new SPSWriter().u64(2n ** 60n).finish(), src).addr()).toThrow(/too large/);
    const extra = new SPSReader(new Uint8Array([1, 0]), src);
    extra.bool();
    expect(() => extra.end()).toThrow(/1 unexpected trailing bytes/);
  });

  it('turns an SPSExpected error into an error naming the peer and the call', () => {
    const r = new SPSReader(new SPSWriter().bool(false).string('Missing definition for x').finish(), { peer, what: 'result of lookup' });
    expect(() => readSPSExpected(r, (rr) => rr.addr())).toThrow('test peer: result of lookup failed: Missing definition for x');
  });

  it('encodes protections and lifetime in one byte (R=1, W=2, X=4, finalize=8)', () => {
    expect(remoteAllocGroup(allocGroup(MemProt.Read | MemProt.Exec, MemLifetime.Standard))).toBe(5);
    expect(remoteAllocGroup(allocGroup(MemProt.Read | MemProt.Write, MemLifetime.Finalize))).toBe(11);
  });
});

describe('setup message', () => {
  const info = {
    triple: 'x86_64-pc-linux-gnu',
    pageSize: 4096,
    bootstrapMap: new Map([['key', new Uint8Array([1, 2])]]),
    bootstrapSymbols: new Map([['__llvm_orc_SimpleRemoteEPC_dispatch_fn', 0x5555_0000_1000]]),
  };

  it('round-trips', () => {
    expect(decodeSetup(encodeSetup(info), peer)).toEqual(info);
  });

  it('rejects a bad page size, a symbol count beyond the message and any truncation', () => {
    expect(() => decodeSetup(encodeSetup({ ...info, pageSize: 3000 }), peer)).toThrow(/page size 3000 is not a power of two/);
    const bytes = encodeSetup(info);
    for (let cut = 0; cut < bytes.length; cut++) expect(() => decodeSetup(bytes.subarray(0, cut), peer)).toThrow(JITLinkError);
    const lying = new SPSWriter().string('t').u64(4096).u64(0).u64(1n << 50n).finish();
    expect(() => decodeSetup(lying, peer)).toThrow(/bootstrap symbols count 1125899906842624 exceeds/);
  });
});
