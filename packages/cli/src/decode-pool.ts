/**
 * A pool of worker threads that decode objects (`@jitlink/elf`'s
 * `decodeElf`: section headers, symbols and relocations into typed-array
 * columns) ahead of need, while the linking thread builds graphs and links.
 * It is the ObjectLinkingLayer's `decoder`: archive members are handed to it
 * when they are loaded, and their graphs are built from what came back.
 *
 * Objects go to a worker in batches, copied once into shared memory (the
 * graph is then built from that copy: the worker and the linking thread see
 * the same bytes), and the decoded columns come back transferred: nothing is
 * serialized but a few numbers per object. Decoding ahead is bounded
 * (`maxAheadBytes` of objects started and not yet taken), so a large link
 * does not hold every member's bytes at once.
 *
 * Measured, it does not make links faster (docs/performance.md, "Both
 * cores"): the command uses it only when asked (-decode-threads).
 *
 * Workers never keep the process alive (they are unref'd) and `close()`
 * terminates them; the command closes the pool once linking ends, whatever
 * the outcome.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import type { DecodedElf } from '@jitlink/elf';
import type { ObjectDecoder } from '@jitlink/orc';

/** A request posted to a worker: a batch of objects (one message, and one wake-up of the thread, for several). */
export interface DecodeRequest {
  objects: { bytes: Uint8Array; name: string }[];
}

/** A worker's answer, in the request's order: each object's decoded tables (undefined for an object it does not decode). */
export interface DecodeResult {
  objects: { decoded: DecodedElf | undefined }[];
}

/** A batch sent to a worker closes at this many objects or bytes. */
const BATCH_OBJECTS = 16;
const BATCH_BYTES = 256 * 1024;

interface Job {
  readonly key: object;
  readonly name: string;
  readonly read: () => Uint8Array;
  state: 'queued' | 'running' | 'done';
  /** Bytes counted against maxAheadBytes while running or done and not taken. */
  size: number;
  /** Resolves when a running job is done. */
  done?: Promise<void>;
  finish?: () => void;
  /** The object as the worker sees it (in shared memory); the graph is built from the same bytes. */
  sent?: Uint8Array;
  result?: { bytes: Uint8Array; decoded: DecodedElf | undefined };
  /** Taken while running: its result is dropped when it comes. */
  abandoned: boolean;
}

export interface DecodePoolOptions {
  /** Worker threads (at least 1). */
  threads: number;
  /** Bytes of objects being decoded or decoded and not yet built, beyond which nothing more starts (default 32 MiB). */
  maxAheadBytes?: number;
  /** The worker script (default: decode-worker.cjs next to the command). */
  workerFile?: string;
}

/** decode-worker.cjs, written by the command's build next to the bundle (dist/). */
export function decodeWorkerFile(): string {
  // In the bundle (CommonJS) __dirname is dist/; as an ES module, this module's folder is.
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'decode-worker.cjs'), join(here, '..', 'dist', 'decode-worker.cjs')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

export class DecodePool implements ObjectDecoder {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Job[]>();
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<object, Job>();
  private readonly maxAheadBytes: number;
  private aheadBytes = 0;
  private closed = false;
  /** Objects decoded and built from their decoding (for -show-times and tests). */
  decodedCount = 0;

  constructor(options: DecodePoolOptions) {
    this.maxAheadBytes = options.maxAheadBytes ?? 32 * 1024 * 1024;
    const file = options.workerFile ?? decodeWorkerFile();
    // Loaded here, not with the command: worker_threads brings Node's streams, which a link without a pool never needs.
    const { Worker } = process.getBuiltinModule('node:worker_threads') as typeof WorkerThreads;
    for (let i = 0; i < Math.max(1, options.threads); i++) {
      const worker = new Worker(file);
      // Never what keeps the process alive: close() ends them, and exit does regardless.
      worker.unref();
      worker.on('message', (result: DecodeResult) => this.finished(worker, result));
      // A worker that fails (it cannot load, or runs out of memory) leaves its job undecoded: built here instead.
      worker.on('error', () => this.retire(worker));
      worker.on('exit', () => this.retire(worker));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  prefetch(key: object, name: string, bytes: () => Uint8Array): void {
    if (this.closed || this.jobs.has(key)) return;
    const job: Job = { key, name, read: bytes, state: 'queued', size: 0, abandoned: false };
    this.jobs.set(key, job);
    this.queue.push(job);
    this.pump();
  }

  settled(key: object): Promise<void> | undefined {
    const job = this.jobs.get(key);
    return job?.state === 'running' ? job.done : undefined;
  }

  queued(key: object): boolean {
    return this.jobs.get(key)?.state === 'queued';
  }

  take(key: object): { bytes: Uint8Array; decoded: DecodedElf } | undefined {
    const job = this.jobs.get(key);
    if (job === undefined) return undefined;
    this.jobs.delete(key);
    if (job.state === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      return undefined;
    }
    if (job.state === 'running') {
      job.abandoned = true;
      return undefined;
    }
    this.release(job);
    const result = job.result;
    if (result?.decoded === undefined) return undefined;
    this.decodedCount++;
    return { bytes: result.bytes, decoded: result.decoded };
  }

  /** Terminates the workers; later prefetches are ignored, and what was not decoded is built by the caller. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    const workers = this.workers.splice(0);
    this.idle.length = 0;
    for (const batch of this.running.values()) for (const job of batch) job.finish?.();
    this.running.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (!this.closed && this.idle.length > 0 && this.queue.length > 0 && this.aheadBytes < this.maxAheadBytes) {
      const batch: Job[] = [];
      const request: DecodeRequest = { objects: [] };
      let batchBytes = 0;
      while (this.queue.length > 0 && batch.length < BATCH_OBJECTS && batchBytes < BATCH_BYTES && this.aheadBytes < this.maxAheadBytes) {
        const job = this.queue.shift()!;
        let bytes: Uint8Array;
        try {
          bytes = job.read();
        } catch {
          // Read again, and the failure reported, when the graph is built.
          this.jobs.delete(job.key);
          continue;
        }
        // Shared with the worker: a copy in shared memory (posting shared memory copies nothing; transferring
        // a buffer per object cost ~0.25 ms of the linking thread each, measured).
        const sent = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
        sent.set(bytes);
        job.state = 'running';
        job.size = sent.byteLength;
        this.aheadBytes += job.size;
        batchBytes += job.size;
        job.done = new Promise<void>((resolve) => (job.finish = resolve));
        job.sent = sent;
        batch.push(job);
        request.objects.push({ bytes: sent, name: job.name });
      }
      if (batch.length === 0) continue;
      const worker = this.idle.pop()!;
      this.running.set(worker, batch);
      worker.postMessage(request);
    }
  }

  private finished(worker: Worker, result: DecodeResult): void {
    const batch = this.running.get(worker) ?? [];
    this.running.delete(worker);
    if (!this.closed) this.idle.push(worker);
    for (let i = 0; i < batch.length; i++) {
      const decoded = result.objects[i]?.decoded;
      this.settle(batch[i]!, decoded === undefined ? undefined : { bytes: batch[i]!.sent!, decoded });
    }
    this.pump();
  }

  /** A worker that exited or failed: its batch is left undecoded, the others carry on. */
  private retire(worker: Worker): void {
    const batch = this.running.get(worker) ?? [];
    this.running.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    const w = this.workers.indexOf(worker);
    if (w >= 0) this.workers.splice(w, 1);
    for (const job of batch) this.settle(job, undefined);
    if (this.workers.length === 0 && !this.closed) {
      // No worker left: nothing more is decoded ahead.
      this.closed = true;
      this.queue.length = 0;
    }
    this.pump();
  }

  private settle(job: Job, result: { bytes: Uint8Array; decoded: DecodedElf | undefined } | undefined): void {
    job.state = 'done';
    job.result = result;
    if (job.abandoned) this.release(job);
    job.finish?.();
  }

  private release(job: Job): void {
    this.aheadBytes -= job.size;
    job.size = 0;
    this.pump();
  }
}
