/**
 * Starting or reaching an executor: a child process given two inherited
 * descriptors (`filedescs=<in>,<out>`, as llvm-jitlink passes them), or a
 * TCP connection to an executor started with `listen=<host>:<port>`.
 */
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { JITLinkError, type BackendRegistry } from '@jitlink/core';
import { EPCConnection, type ByteChannel } from './connection.js';
import { RemoteExecutorProcessControl } from './remote-control.js';

/** Descriptor numbers the child sees: it reads requests from 3 and writes replies to 4. */
export const CHILD_IN_FD = 3;
export const CHILD_OUT_FD = 4;

export interface ConnectExecutorOptions {
  /** Executor program (or a wrapper script, e.g. running qemu-aarch64). Started with `filedescs=3,4`. */
  path?: string;
  /** Extra arguments placed before `filedescs=`. */
  args?: readonly string[];
  /** `<host>:<port>` of an executor started with `listen=`. */
  connect?: string;
  /** What the child's stdout and stderr are connected to (default: this process's). */
  stdio?: 'inherit' | 'pipe';
  /** Environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Bound on waiting for the executor's setup message, in ms (default 60 s). */
  setupTimeoutMs?: number;
  /** Bound on one message body (default 1 GiB). */
  maxMessageSize?: number;
  /**
   * Shared secret the executor may challenge for. Default: JITLINK_EXECUTOR_SECRET,
   * or the contents of the file JITLINK_EXECUTOR_SECRET_FILE names (trailing newlines dropped).
   */
  secret?: string | Uint8Array;
  /** -use-shared-memory: the linker writes into pages it shares with the executor (same machine only). */
  useSharedMemory?: boolean;
  /** Backends for linking the executor runtime (see RemoteControlOptions.registry). */
  registry?: BackendRegistry;
}

export interface ConnectedExecutor {
  control: RemoteExecutorProcessControl;
  /** The child process, when one was started. */
  child?: ChildProcess;
}

function socketChannel(readSide: Socket, writeSide: Socket): ByteChannel {
  let closeHandler: ((error?: Error) => void) | undefined;
  let closed = false;
  let firstError: Error | undefined;
  const done = (error?: Error) => {
    if (closed) return;
    closed = true;
    closeHandler?.(error ?? firstError);
  };
  for (const s of new Set([readSide, writeSide])) {
    s.on('error', (e) => {
      firstError ??= e;
      done(e);
    });
  }
  readSide.on('end', () => done());
  readSide.on('close', () => done());
  return {
    write(bytes) {
      if (!writeSide.destroyed) writeSide.write(bytes);
    },
    onData(handler) {
      readSide.on('data', (chunk: Buffer) => handler(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    },
    onClose(handler) {
      closeHandler = handler;
    },
    close() {
      writeSide.end();
      if (readSide !== writeSide) readSide.destroy();
      // A socket whose peer never reads or closes must not keep this process alive.
      setTimeout(() => {
        readSide.destroy();
        writeSide.destroy();
      }, 2000).unref();
    },
  };
}

function describeExit(child: ChildProcess, waitMs: number): Promise<string | undefined> {
  const describe = () =>
    child.signalCode ? `killed by ${child.signalCode}` : child.exitCode !== null ? `exit status ${child.exitCode}` : undefined;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(describe());
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(describe());
    });
  });
}

/** Waits for the child to exit; after `graceMs`, kills it. */
function reap(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function withSetupTimeout<T>(promise: Promise<T>, ms: number, peer: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new JITLinkError('LinkFailed', `${peer} sent no setup message within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The secret from the options or the environment, if any. */
export function resolveSecret(options: ConnectExecutorOptions, env: NodeJS.ProcessEnv = process.env): Uint8Array | undefined {
  if (options.secret !== undefined) return typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  if (env.JITLINK_EXECUTOR_SECRET) return new TextEncoder().encode(env.JITLINK_EXECUTOR_SECRET);
  const file = env.JITLINK_EXECUTOR_SECRET_FILE;
  if (!file) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new JITLinkError('InvalidArgument', `cannot read the secret file ${file}: ${(e as Error).message}`);
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  if (end === 0) throw new JITLinkError('InvalidArgument', `the secret file ${file} is empty`);
  return bytes.subarray(0, end);
}

/** Parses `<host>:<port>` (IPv6 hosts in brackets). */
export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new JITLinkError('InvalidArgument', `"${value}" is not <host>:<port>`);
  return { host: m[1] ?? (m[2] || 'localhost'), port };
}

export async function spawnExecutor(path: string, options: ConnectExecutorOptions = {}): Promise<ConnectedExecutor> {
  const stdio: StdioOptions = ['ignore', options.stdio ?? 'inherit', options.stdio ?? 'inherit', 'pipe', 'pipe'];
  // A process group of its own: a Ctrl-C at the terminal reaches the controller only, which decides what
  // the program does (runs its exit handlers, under jitlink --watch). The executor ends when the connection closes.
  const child = spawn(path, [...(options.args ?? []), `filedescs=${CHILD_IN_FD},${CHILD_OUT_FD}`], { stdio, env: options.env, detached: true });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const peer = `executor ${path}${child.pid !== undefined ? ` (pid ${child.pid})` : ''}`;
  const toChild = child.stdio[CHILD_IN_FD] as Socket;
  const fromChild = child.stdio[CHILD_OUT_FD] as Socket;
  const connection = new EPCConnection(socketChannel(fromChild, toChild), {
    peer,
    maxMessageSize: options.maxMessageSize,
    secret: resolveSecret(options, options.env ?? process.env),
    describeClose: async () => {
      const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(r, 0))]);
      return failed ? failed.message : describeExit(child, 2000);
    },
  });
  try {
    const control = await withSetupTimeout(
      RemoteExecutorProcessControl.create(connection, { registry: options.registry, memory: options.useSharedMemory ? 'shared' : 'copy', onDispose: () => reap(child, 5000) }),
      options.setupTimeoutMs ?? 60_000,
      peer,
      () => child.kill('SIGKILL'),
    );
    return { control, child };
  } catch (e) {
    connection.hangup();
    child.kill('SIGKILL');
    await reap(child, 1000);
    throw e;
  }
}

export async function connectTcp(hostPort: string, options: ConnectExecutorOptions = {}): Promise<ConnectedExecutor> {
  const { host, port } = parseHostPort(hostPort);
  const socket = netConnect({ host, port });
  socket.setNoDelay(true);
  const peer = `executor at ${hostPort}`;
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (e) => reject(new JITLinkError('LinkFailed', `cannot connect to ${peer}: ${e.message}`)));
  });
  await connected;
  const connection = new EPCConnection(socketChannel(socket, socket), {
    peer,
    maxMessageSize: options.maxMessageSize,
    secret: resolveSecret(options),
  });
  try {
    const control = await withSetupTimeout(RemoteExecutorProcessControl.create(connection, { registry: options.registry, memory: options.useSharedMemory ? 'shared' : 'copy' }), options.setupTimeoutMs ?? 60_000, peer, () =>
      socket.destroy(),
    );
    return { control };
  } catch (e) {
    connection.hangup();
    socket.destroy();
    throw e;
  }
}

/**
 * The CLI's entry point: `-oop-executor[=path]` gives `path`,
 * `-oop-executor-connect=host:port` gives `connect`.
 */
export async function connectExecutor(options: ConnectExecutorOptions): Promise<RemoteExecutorProcessControl> {
  if (options.connect !== undefined && options.path !== undefined) {
    throw new JITLinkError('InvalidArgument', 'give an executor to start or one to connect to, not both');
  }
  if (options.connect !== undefined) return (await connectTcp(options.connect, options)).control;
  if (options.path === undefined) throw new JITLinkError('InvalidArgument', 'no executor to start or connect to');
  return (await spawnExecutor(options.path, options)).control;
}
