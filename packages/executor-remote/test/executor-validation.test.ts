/**
 * jitlink-executor against a hostile controller: every malformed message
 * ends the session with an error message and exit status 1 — never a crash,
 * never a write outside a reservation, never a jump to an address that is
 * not one of its functions.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { BootstrapNames, MessageDecoder, Opcode, SPSWriter, decodeSetup, encodeMessage, type ExecutorInfo } from '../src/index.js';
import { haveOurExecutor, isX64Linux, OUR_EXECUTOR, requirement } from './helpers.js';
import { needs } from '@jitlink/test-support';

interface Session {
  info: ExecutorInfo;
  send: (bytes: Uint8Array) => void;
  /** Resolves with the next message's body (e.g. a result), or undefined at end of stream. */
  next: () => Promise<{ opcode: Opcode; body: Uint8Array } | undefined>;
  exit: Promise<{ code: number | null; signal: string | null; stderr: string }>;
}

async function session(): Promise<Session> {
  const child = spawn(OUR_EXECUTOR, ['filedescs=3,4'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const toChild = child.stdio[3] as Socket;
  const fromChild = child.stdio[4] as Socket;
  toChild.on('error', () => {});
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => setTimeout(() => resolve({ code, signal, stderr }), 50)),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  void exit.then(() => clearTimeout(timer));
  const decoder = new MessageDecoder('test executor');
  const queue: { opcode: Opcode; body: Uint8Array }[] = [];
  const waiters: ((m: { opcode: Opcode; body: Uint8Array } | undefined) => void)[] = [];
  fromChild.on('data', (c: Buffer) => {
    for (const m of decoder.push(new Uint8Array(c))) {
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    }
  });
  fromChild.on('close', () => waiters.splice(0).forEach((w) => w(undefined)));
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise<{ opcode: Opcode; body: Uint8Array } | undefined>((r) => waiters.push(r)));
  const setup = await next();
  return { info: decodeSetup(setup!.body, 'test executor'), send: (b) => toChild.write(b), next, exit };
}

function call(s: Session, name: string, args: Uint8Array, seq = 1): void {
  s.send(encodeMessage(Opcode.CallWrapper, seq, s.info.bootstrapSymbols.get(name)!, args));
}

const ok = requirement(isX64Linux && haveOurExecutor, `needs ${OUR_EXECUTOR} (npm run build)`);

needs(ok).describe('jitlink-executor validates every message', () => {
  const cases: [string, (s: Session) => void, RegExp][] = [
    ['a size below the header', (s) => s.send(new Uint8Array(32).fill(0)), /message size out of range/],
    ['an oversized message', (s) => s.send(encodeMessage(Opcode.CallWrapper, 1, 0, new Uint8Array(0)).map((b, i) => (i === 5 ? 0x7f : b))), /message size out of range/],
    ['an unknown opcode', (s) => s.send(encodeMessage(7 as Opcode, 1, 0, new Uint8Array(0))), /unknown opcode/],
    ['a result from the controller', (s) => s.send(encodeMessage(Opcode.Result, 1, 0, new Uint8Array(0))), /unexpected message/],
    ['a tag that is not one of its functions', (s) => s.send(encodeMessage(Opcode.CallWrapper, 1, 0x4141_4141, new Uint8Array(0))), /not one of this executor's functions/],
    ['truncated arguments', (s) => call(s, BootstrapNames.memoryReserve, new Uint8Array(12)), /malformed arguments/],
    ['trailing bytes', (s) => call(s, BootstrapNames.memoryReserve, new SPSWriter().u64(0).u64(4096).u8(0).finish()), /malformed arguments/],
    [
      'a lookup count beyond the message',
      (s) => call(s, BootstrapNames.dylibLookup, new SPSWriter().u64(0).u64(0).u64(1n << 60n).finish()),
      /malformed arguments/,
    ],
    [
      'a memory write outside every reservation',
      (s) => call(s, BootstrapNames.writeBuffers, new SPSWriter().u64(1).addr(s.info.bootstrapSymbols.get(BootstrapNames.runAsMain)!).bytes(new Uint8Array([0xcc])).finish()),
      /memory write outside every reservation/,
    ],
  ];

  it.each(cases)('%s: an error and exit status 1', async (_, attack, message) => {
    const s = await session();
    attack(s);
    const { code, signal, stderr } = await s.exit;
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });

  it('a finalize of a segment outside its reservation is refused and nothing is written', async () => {
    const s = await session();
    call(s, BootstrapNames.memoryReserve, new SPSWriter().u64(0).u64(4096).finish(), 1);
    const reserved = await s.next();
    const base = Number(new DataView(reserved!.body.buffer, reserved!.body.byteOffset).getBigUint64(1, true));
    // One segment of 4096 bytes starting a page later: past the reservation's end.
    const w = new SPSWriter().u64(0).u64(2).u8(3).addr(base).u64(16).bytes(new Uint8Array(16)).u8(3).addr(base + 4096).u64(4096).bytes(new Uint8Array(8)).u64(0);
    call(s, BootstrapNames.memoryFinalize, w.finish(), 2);
    const result = await s.next();
    expect(new TextDecoder().decode(result!.body)).toMatch(/segment lies outside its reservation/);
    s.send(encodeMessage(Opcode.Hangup, 0, 0, new Uint8Array([0])));
    expect((await s.exit).code).toBe(0);
  });
});
