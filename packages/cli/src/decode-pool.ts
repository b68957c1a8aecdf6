/**
 * A pool of worker threads that decode objects (`@jitlink/elf`'s
 * `decodeElf`: section headers, symbols and relocations into typed-array
 * columns) ahead of need, while the linking thread builds graphs and links.
 * It is the ObjectLinkingLayer's `decoder`: archive members are handed to it
 * when they are loaded, and their graphs are built from what came back.
 *
 * Bytes go to a worker and come back by transfer (an archive member held in
 * a whole archive's buffer is copied once first: the archive stays whole),
 * and so do the decoded columns: nothing is serialized but a few numbers.
 * Decoding ahead is bounded (`maxAheadBytes` of objects started and not yet
 * taken), so a large link does not hold every member's bytes at once.
 *
 * Workers never keep the process alive (they are unref'd) and `close()`
 * terminates them; the command closes the pool once linking ends, whatever
 * the outcome.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DecodedElf } from '@jitlink/elf';
import type { ObjectDecoder } from '@jitlink/orc';

/** A request posted to a worker. */
export interface DecodeRequest {
  id: number;
  bytes: Uint8Array;
  name: string;
}

/** A worker's answer: the bytes back, and their decoded tables (undefined for an object it does not decode). */
export interface DecodeResult {
  id: number;
  bytes: Uint8Array;
  decoded: DecodedElf | undefined;
}

interface Job {
  readonly id: number;
  readonly key: object;
  readonly name: string;
  readonly read: () => Uint8Array;
  state: 'queued' | 'running' | 'done';
  /** Bytes counted against maxAheadBytes while running or done and not taken. */
  size: number;
  /** Resolves when a running job is done. */
  done?: Promise<void>;
  finish?: () => void;
  result?: DecodeResult;
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

/**
 * Named inputs of this many bytes or more get a decode pool unless
 * -decode-threads says otherwise (measured: docs/performance.md, "Both cores").
 */
export const DECODE_THREADS_FROM_BYTES = 96 * 1024 * 1024;

/** Worker threads the pool uses when asked for "as many as help": one per other core, at most 4. */
export function defaultDecodeThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
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
  private readonly running = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<object, Job>();
  private readonly maxAheadBytes: number;
  private aheadBytes = 0;
  private nextId = 0;
  private closed = false;
  /** Objects decoded and built from their decoding (for -show-times and tests). */
  decodedCount = 0;

  constructor(options: DecodePoolOptions) {
    this.maxAheadBytes = options.maxAheadBytes ?? 32 * 1024 * 1024;
    const file = options.workerFile ?? decodeWorkerFile();
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
    const job: Job = { id: this.nextId++, key, name, read: bytes, state: 'queued', size: 0, abandoned: false };
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
    for (const job of this.running.values()) job.finish?.();
    this.running.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (!this.closed && this.idle.length > 0 && this.queue.length > 0 && this.aheadBytes < this.maxAheadBytes) {
      const job = this.queue.shift()!;
      let bytes: Uint8Array;
      try {
        bytes = job.read();
      } catch {
        // Read again, and the failure reported, when the graph is built.
        this.jobs.delete(job.key);
        continue;
      }
      // Transferred to the worker and back: a buffer of its own (a member of an archive held whole is copied).
      const own =
        bytes.byteOffset === 0 &&
        bytes.byteLength === bytes.buffer.byteLength &&
        Object.prototype.toString.call(bytes.buffer) === '[object ArrayBuffer]';
      const sent = own ? bytes : bytes.slice();
      const worker = this.idle.pop()!;
      job.state = 'running';
      job.size = sent.byteLength;
      this.aheadBytes += job.size;
      job.done = new Promise<void>((resolve) => (job.finish = resolve));
      this.running.set(worker, job);
      const request: DecodeRequest = { id: job.id, bytes: sent, name: job.name };
      worker.postMessage(request, [sent.buffer as ArrayBuffer]);
    }
  }

  private finished(worker: Worker, result: DecodeResult): void {
    const job = this.running.get(worker);
    this.running.delete(worker);
    if (!this.closed) this.idle.push(worker);
    if (job !== undefined && job.id === result.id) {
      job.state = 'done';
      job.result = result;
      if (job.abandoned) this.release(job);
      job.finish?.();
    }
    this.pump();
  }

  /** A worker that exited or failed: its job is left undecoded, the others carry on. */
  private retire(worker: Worker): void {
    const job = this.running.get(worker);
    this.running.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    const w = this.workers.indexOf(worker);
    if (w >= 0) this.workers.splice(w, 1);
    if (job !== undefined) {
      job.state = 'done';
      job.result = undefined;
      if (job.abandoned) this.release(job);
      job.finish?.();
    }
    if (this.workers.length === 0 && !this.closed) {
      // No worker left: nothing more is decoded ahead.
      this.closed = true;
      this.queue.length = 0;
    }
    this.pump();
  }

  private release(job: Job): void {
    this.aheadBytes -= job.size;
    job.size = 0;
    this.pump();
  }
}
