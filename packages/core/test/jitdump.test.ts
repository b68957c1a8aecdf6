import {
  encodeJitCodeClose,
  encodeJitCodeLoad,
  encodeJitdumpHeader,
  JITLinkError,
  perfMapLine,
  readJitdump,
} from '../src/index.js';

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

describe('jitdump', () => {
  const header = encodeJitdumpHeader({ elfMachine: 62, pid: 1234, timestamp: 1_000_000n });
  const load = encodeJitCodeLoad({ pid: 1234, tid: 1235, address: 0xffff_8000_0000_1000n, codeIndex: 7n, name: 'f', code: new Uint8Array([0xc3]), timestamp: 2_000_000n });

  test('the header and JIT_CODE_LOAD layout perf reads', () => {
    expect([...header.subarray(0, 4)]).toEqual([0x44, 0x54, 0x69, 0x4a]); // 0x4A695444 little-endian
    const h = new DataView(header.buffer);
    expect([h.getUint32(4, true), h.getUint32(8, true), h.getUint32(12, true), h.getUint32(16, true), h.getUint32(20, true)]).toEqual([1, 40, 62, 0, 1234]);
    expect(h.getBigUint64(24, true)).toBe(1_000_000n);
    const r = new DataView(load.buffer);
    // id, total_size, timestamp, pid, tid, vma, code_addr, code_size, code_index, "f\0", code
    expect(r.getUint32(0, true)).toBe(0);
    expect(r.getUint32(4, true)).toBe(56 + 2 + 1);
    expect(load.length).toBe(59);
    expect(r.getBigUint64(8, true)).toBe(2_000_000n);
    expect([r.getUint32(16, true), r.getUint32(20, true)]).toEqual([1234, 1235]);
    expect(r.getBigUint64(24, true)).toBe(0xffff_8000_0000_1000n);
    expect(r.getBigUint64(32, true)).toBe(0xffff_8000_0000_1000n);
    expect(r.getBigUint64(40, true)).toBe(1n);
    expect(r.getBigUint64(48, true)).toBe(7n);
    expect([...load.subarray(56)]).toEqual([0x66, 0, 0xc3]);
    expect(perfMapLine(0x7f0012345000n, 0x2f, 'hot_spin')).toBe('7f0012345000 2f hot_spin\n');
  });

  test('read back', () => {
    const dump = readJitdump(concat(header, load, encodeJitCodeClose(3n)));
    expect(dump.header).toEqual({ version: 1, elfMachine: 62, pid: 1234, timestamp: 1_000_000n, flags: 0n });
    expect(dump.records.map((r) => [r.id, r.offset, r.timestamp])).toEqual([[0, 40, 2_000_000n], [3, 99, 3n]]);
    expect(dump.records[0]!.load).toMatchObject({ name: 'f', address: 0xffff_8000_0000_1000n, codeIndex: 7n, code: new Uint8Array([0xc3]) });
  });

  test.each([
    ['a short file', header.subarray(0, 20), 0, /shorter than a jitdump header/],
    ['a bad magic', concat(new Uint8Array(4), header.subarray(4)), 0, /bad magic/],
    ['a record cut off', concat(header, load.subarray(0, 30)), 44, /record size 59 is invalid/],
    ['a record size below its header', concat(header, new Uint8Array([3, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), 44, /record size 8/],
  ])('%s is a JITLinkError with the offset', (_what, bytes, offset, message) => {
    let error: unknown;
    try {
      readJitdump(bytes, 'x.dump');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JITLinkError);
    expect((error as JITLinkError).message).toMatch(message);
    expect((error as JITLinkError).file).toBe('x.dump');
    expect((error as JITLinkError).offset).toBe(offset);
  });
});
