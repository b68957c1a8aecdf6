/**
 * A decode pool's worker thread: decodes the ELF objects it is sent, a
 * batch at a time (`decodeElf`), and posts back the bytes and the decoded
 * columns, all transferred. An object that is not ELF, or malformed, comes back
 * undecoded or `ok: false`: the linking thread then builds it as it would
 * without the pool, and reports its faults itself.
 */
import { parentPort } from 'node:worker_threads';
import { decodedElfTransferList, decodeElf, type DecodedElf } from '@jitlink/elf';
import type { DecodeRequest, DecodeResult } from './decode-pool.js';

const port = parentPort;
if (port === null) throw new Error('decode-worker runs as a worker thread');

const isElf = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

port.on('message', ({ objects }: DecodeRequest) => {
  const result: DecodeResult = { objects: [] };
  const transfer: ArrayBuffer[] = [];
  for (const { bytes, name } of objects) {
    let decoded: DecodedElf | undefined;
    try {
      decoded = isElf(bytes) ? decodeElf(bytes, name) : undefined;
    } catch {
      // Not a fault of the object (decodeElf reports those in its result): built on the linking thread, which reports it.
      decoded = undefined;
    }
    result.objects.push({ decoded });
    if (decoded !== undefined) transfer.push(...decodedElfTransferList(decoded));
  }
  port.postMessage(result, transfer);
});
