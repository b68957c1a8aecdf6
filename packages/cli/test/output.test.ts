/**
 * The command's output writer: straight to the descriptor, then through the
 * Node stream once the descriptor would block, and nothing once the reader
 * has gone.
 */
import { descriptorWriter, type DescriptorSink } from '../src/output.js';

function errno(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/** A sink whose descriptor takes `accept(call)` bytes on each call (or throws what it returns). */
function fakeSink(accept: (call: number, bytes: Uint8Array) => number | Error) {
  const written: string[] = [];
  const streamed: string[] = [];
  let calls = 0;
  const sink: DescriptorSink = {
    write: (_fd, bytes) => {
      const n = accept(calls++, bytes);
      if (n instanceof Error) throw n;
      written.push(Buffer.from(bytes.subarray(0, n)).toString('utf8'));
      return n;
    },
    stream: () => ({
      write: (b) => streamed.push(typeof b === 'string' ? b : Buffer.from(b).toString('utf8')),
    }),
  };
  return { sink, written, streamed };
}

test('writes whole texts, resuming after short writes', () => {
  const { sink, written, streamed } = fakeSink((_call, bytes) => Math.min(3, bytes.length));
  const out = descriptorWriter(1, sink);
  out('jitlink 0.1.0\n');
  expect(written.join('')).toBe('jitlink 0.1.0\n');
  expect(streamed).toEqual([]);
});

test('from the first EAGAIN on, the rest and every later text go through the stream, in order', () => {
  // The descriptor would take bytes again later, but the stream still holds queued ones: they must come first.
  const { sink, written, streamed } = fakeSink((call, bytes) =>
    call === 0 ? 4 : call === 1 ? errno('EAGAIN') : bytes.length,
  );
  const out = descriptorWriter(2, sink);
  out('first line\n');
  out('second line\n');
  expect(written).toEqual(['firs']);
  expect(streamed).toEqual(['t line\n', 'second line\n']);
});

test('a reader that has gone (EPIPE) ends the output silently', () => {
  const { sink, written, streamed } = fakeSink(() => errno('EPIPE'));
  const out = descriptorWriter(1, sink);
  out('a\n');
  out('b\n');
  expect(written).toEqual([]);
  expect(streamed).toEqual([]);
});

test('other errors are thrown', () => {
  const { sink } = fakeSink(() => errno('EIO'));
  expect(() => descriptorWriter(1, sink)('x')).toThrow('EIO');
});
