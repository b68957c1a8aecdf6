/** The `jitlink` command's output: text written straight to its file descriptors. */
import { writeSync } from 'node:fs';

/** Where a descriptorWriter writes: `write(fd, bytes)` returns how many bytes it took. */
export interface DescriptorSink {
  write(fd: number, bytes: Uint8Array): number;
  /** The Node stream of the descriptor, used from the first EAGAIN on. */
  stream(fd: 1 | 2): { write(bytes: Uint8Array | string): unknown };
}

const PROCESS_SINK: DescriptorSink = {
  write: (fd, bytes) => writeSync(fd, bytes),
  stream: (fd) => (fd === 1 ? process.stdout : process.stderr),
};

/**
 * Writes to file descriptor `fd` (1 or 2) with `write` calls, in order with
 * what linked code writes there. Node's `process.stdout`/`stderr` would load
 * its streams (and for a pipe, its networking) on first use: a third of what
 * `-version` costs beyond an empty Node. Where the descriptor cannot take the
 * bytes now (a non-blocking pipe: EAGAIN), the rest of this and every later
 * text go through the Node stream, which queues them; a closed reader (EPIPE)
 * drops them, as it would any program's.
 */
export function descriptorWriter(fd: 1 | 2, sink: DescriptorSink = PROCESS_SINK): (text: string) => void {
  let stream: ReturnType<DescriptorSink['stream']> | undefined;
  let closed = false;
  return (text) => {
    if (closed) return;
    if (stream !== undefined) {
      stream.write(text);
      return;
    }
    let bytes = Buffer.from(text, 'utf8');
    try {
      while (bytes.length > 0) bytes = bytes.subarray(sink.write(fd, bytes));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') closed = true;
      else if (code === 'EAGAIN') (stream = sink.stream(fd)).write(bytes);
      else throw e;
    }
  };
}
