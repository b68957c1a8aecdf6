/**
 * One simple-remote-EPC connection seen from the controller: waits for the
 * executor's setup message, sends wrapper-function calls and matches their
 * results by sequence number, and turns every way the peer can go away
 * (hangup, end of stream, a malformed message) into one error that every
 * pending and later call rejects with.
 */
import { createHmac } from 'node:crypto';
import { JITLinkError, toError, type TargetAddress } from '@jitlink/core';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  MessageDecoder,
  Opcode,
  decodeHangup,
  decodeSetup,
  encodeHangup,
  encodeMessage,
  type ExecutorInfo,
  type Message,
} from './protocol.js';

/** The byte streams of a connection (a child's pipes, a TCP socket). */
export interface ByteChannel {
  /** Sends bytes; errors surface through onClose. */
  write(bytes: Uint8Array): void;
  /** Receives bytes until the stream ends (error undefined) or fails. */
  onData(handler: (chunk: Uint8Array) => void): void;
  onClose(handler: (error?: Error) => void): void;
  /** Closes the sending side and stops reading. */
  close(): void;
}

export interface ConnectionOptions {
  /** Names the peer in errors, e.g. "executor llvm-jitlink-executor (pid 1234)". */
  peer: string;
  maxMessageSize?: number;
  /**
   * Explains why the channel closed (e.g. "killed by SIGKILL"), awaited
   * before pending calls are rejected so the error says what happened.
   */
  describeClose?: () => Promise<string | undefined>;
  /** Shared secret for the executor's challenge (see docs/executor-protocol.md). */
  secret?: Uint8Array;
}

/** What an executor with a shared secret sends before anything else: magic, then a 32-byte nonce. */
export const AUTH_MAGIC = new TextEncoder().encode('JLAUTH01');
export const AUTH_CONTEXT = new TextEncoder().encode('jitlink-executor challenge v1');
const AUTH_CHALLENGE_SIZE = AUTH_MAGIC.length + 32;

/** The answer to a challenge: HMAC-SHA256(secret, nonce || context). */
export function answerChallenge(secret: Uint8Array, nonce: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update(nonce).update(AUTH_CONTEXT).digest());
}

interface Pending {
  what: string;
  resolve: (body: Uint8Array) => void;
  reject: (error: Error) => void;
}

export class EPCConnection {
  readonly peer: string;
  private readonly decoder: MessageDecoder;
  private readonly pending = new Map<bigint, Pending>();
  private nextSeqNo = 1n;
  /** Bytes written to and read from the peer so far (for measurements). */
  bytesSent = 0;
  bytesReceived = 0;
  private failure: Error | undefined;
  private closing = false;
  private setup: { resolve: (info: ExecutorInfo) => void; reject: (e: Error) => void } | undefined;
  private readonly setupPromise: Promise<ExecutorInfo>;
  private failing: Promise<void> | undefined;
  /** Bytes received before the first message, while looking for a challenge. */
  private preamble: Uint8Array | undefined = new Uint8Array(0);
  private answeredChallenge = false;

  constructor(
    private readonly channel: ByteChannel,
    private readonly options: ConnectionOptions,
  ) {
    this.peer = options.peer;
    this.decoder = new MessageDecoder(options.peer, options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
    this.setupPromise = new Promise<ExecutorInfo>((resolve, reject) => {
      this.setup = { resolve, reject };
    });
    // Unobserved until waitForSetup: avoid an unhandled rejection if the peer dies first.
    this.setupPromise.catch(() => {});
    channel.onData((chunk) => this.receive(chunk));
    channel.onClose((error) => {
      if (this.closing && !error) {
        this.fail(new JITLinkError('LinkFailed', `${this.peer}: connection closed`));
        return;
      }
      // A write into a connection the peer has closed is the peer closing it.
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      const closed = !error || code === 'EPIPE' || code === 'ECONNRESET';
      void this.failAfterDescribing(closed ? 'closed the connection' : `connection failed: ${error.message}`);
    });
  }

  /** The executor's setup message (the first message it sends). */
  waitForSetup(): Promise<ExecutorInfo> {
    return this.setupPromise;
  }

  /** Set once the connection is unusable. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Calls the wrapper function at `tag` with an SPS argument buffer; resolves to its SPS result buffer. */
  callWrapper(tag: TargetAddress, args: Uint8Array, what: string): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new JITLinkError('LinkFailed', `${this.peer}: ${what} after the connection was closed`));
    const seqNo = this.nextSeqNo++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(seqNo, { what, resolve, reject });
      const message = encodeMessage(Opcode.CallWrapper, seqNo, tag, args);
      this.bytesSent += message.length;
      this.channel.write(message);
    });
  }

  /** Sends a hangup (success) and closes the sending side. Pending calls fail. */
  hangup(): void {
    if (this.closing) return;
    this.closing = true;
    if (!this.failure) {
      try {
        this.channel.write(encodeMessage(Opcode.Hangup, 0, 0, encodeHangup()));
      } catch {
        // The peer is already gone; close() below is all that is left to do.
      }
    }
    this.channel.close();
  }

  /** Answers the executor's challenge if it sends one; returns the bytes after it, or undefined while undecided. */
  private challenge(chunk: Uint8Array): Uint8Array | undefined {
    const joined = new Uint8Array(this.preamble!.length + chunk.length);
    joined.set(this.preamble!);
    joined.set(chunk, this.preamble!.length);
    const magicBytes = Math.min(joined.length, AUTH_MAGIC.length);
    const isChallenge = AUTH_MAGIC.subarray(0, magicBytes).every((b, i) => joined[i] === b);
    if (!isChallenge) {
      this.preamble = undefined;
      return joined;
    }
    if (joined.length < AUTH_CHALLENGE_SIZE) {
      this.preamble = joined;
      return undefined;
    }
    this.preamble = undefined;
    if (!this.options.secret) {
      throw new JITLinkError('LinkFailed', `${this.peer} requires a shared secret (set JITLINK_EXECUTOR_SECRET or JITLINK_EXECUTOR_SECRET_FILE)`);
    }
    this.channel.write(answerChallenge(this.options.secret, joined.subarray(AUTH_MAGIC.length, AUTH_CHALLENGE_SIZE)));
    this.answeredChallenge = true;
    return joined.subarray(AUTH_CHALLENGE_SIZE);
  }

  private receive(chunk: Uint8Array): void {
    if (this.failure) return;
    this.bytesReceived += chunk.length;
    if (this.preamble) {
      try {
        const rest = this.challenge(chunk);
        if (rest === undefined) return;
        chunk = rest;
      } catch (e) {
        this.protocolError(toError(e));
        return;
      }
    }
    let messages: Message[];
    try {
      messages = this.decoder.push(chunk);
    } catch (e) {
      this.protocolError(toError(e));
      return;
    }
    for (const message of messages) {
      try {
        this.dispatch(message);
      } catch (e) {
        this.protocolError(toError(e));
        return;
      }
      if (this.failure) return;
    }
  }

  private dispatch(message: Message): void {
    const source = { peer: this.peer, what: `${Opcode[message.opcode]} message` };
    if (this.setup) {
      if (message.opcode !== Opcode.Setup) {
        throw new JITLinkError('MalformedObject', `expected a setup message first, got ${Opcode[message.opcode]}`, { file: this.peer, section: 'message header', offset: 0 });
      }
      const info = decodeSetup(message.body, this.peer);
      const setup = this.setup;
      this.setup = undefined;
      setup.resolve(info);
      return;
    }
    switch (message.opcode) {
      case Opcode.Setup:
        throw new JITLinkError('MalformedObject', 'second setup message', { file: this.peer, section: 'setup message' });
      case Opcode.Result: {
        const pending = this.pending.get(message.seqNo);
        if (!pending) {
          throw new JITLinkError('MalformedObject', `result for unknown sequence number ${message.seqNo}`, { file: this.peer, section: 'Result message' });
        }
        this.pending.delete(message.seqNo);
        pending.resolve(message.body);
        return;
      }
      case Opcode.CallWrapper:
        // The controller offers no functions to JIT'd code: answer with an
        // empty result, which a caller decodes as an error.
        this.channel.write(encodeMessage(Opcode.Result, message.seqNo, 0, new Uint8Array(0)));
        return;
      case Opcode.Hangup: {
        const error = decodeHangup(message.body, source);
        this.closing = true;
        this.fail(new JITLinkError('LinkFailed', `${this.peer} hung up${error ? `: ${error}` : ''}`));
        this.channel.close();
        return;
      }
    }
  }

  /** Gives up on the peer (e.g. it sent a result that does not decode): every pending and later call fails with `error`. */
  abort(error: Error): void {
    this.protocolError(error);
  }

  private protocolError(error: Error): void {
    this.fail(error);
    this.channel.close();
  }

  private async failAfterDescribing(what: string): Promise<void> {
    if (this.failure || this.failing) return;
    this.failing = (async () => {
      let why: string | undefined;
      try {
        why = await this.options.describeClose?.();
      } catch {
        why = undefined;
      }
      const during = [...this.pending.values()].map((p) => p.what)[0] ?? (this.setup ? 'setup' : undefined);
      if (this.setup && this.answeredChallenge) why = `${why ? `${why}; ` : ''}it did not accept the shared secret`;
      this.fail(
        new JITLinkError('LinkFailed', `${this.peer} ${what}${why ? ` (${why})` : ''}${during ? ` during ${during}` : ''}`),
      );
    })();
    await this.failing;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.setup?.reject(error);
    this.setup = undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}
