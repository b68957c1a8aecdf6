/**
 * jitlink-executor against a hostile controller: every malformed message
 * ends the session with an error message and exit status 1 — never a crash,
 * never a write outside a reservation, never a jump to an address that is
 * not one of its functions.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
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
  pid: number;
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
  return { info: decodeSetup(setup!.body, 'test executor'), send: (b) => toChild.write(b), next, exit, pid: child.pid! };
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

/** Reserves 3 pages and finalizes them: code (ret), read-only data (an eh-frame's terminator), read-write data. */
async function finalized(s: Session, actions: (w: SPSWriter, base: number) => void = (w) => void w.u64(0)): Promise<{ base: number; result: string }> {
  call(s, BootstrapNames.memoryReserve, new SPSWriter().u64(0).u64(3 * 4096).finish(), 1);
  const reserved = await s.next();
  const base = Number(new DataView(reserved!.body.buffer, reserved!.body.byteOffset).getBigUint64(1, true));
  const w = new SPSWriter().u64(0).u64(3);
  w.u8(5).addr(base).u64(4096).bytes(new Uint8Array([0xc3]));
  w.u8(1).addr(base + 4096).u64(4096).bytes(new Uint8Array(16));
  w.u8(3).addr(base + 8192).u64(4096).bytes(new Uint8Array(8));
  actions(w, base);
  call(s, BootstrapNames.memoryFinalize, w.finish(), 2);
  return { base, result: new TextDecoder().decode((await s.next())!.body) };
}

async function hangUp(s: Session): Promise<number | null> {
  s.send(encodeMessage(Opcode.Hangup, 0, 0, new Uint8Array([0])));
  return (await s.exit).code;
}

needs(ok).describe('jitlink-executor writes, runs and registers only what its memory allows', () => {
  const writes: [string, (base: number) => number][] = [
    ['finalized read-only data', (base) => base + 4096],
    ['finalized code', (base) => base],
    ['past the end of the reservation', (base) => base + 3 * 4096 - 4],
  ];
  it.each(writes)('a 64-bit write into %s ends the session', async (_, where) => {
    const s = await session();
    const { base } = await finalized(s);
    call(s, BootstrapNames.writeUInt64s, new SPSWriter().u64(1).addr(where(base)).u64(1).finish(), 3);
    const { code, signal, stderr } = await s.exit;
    expect([code, signal]).toEqual([1, null]);
    expect(stderr).toContain('memory write outside every reservation, or to memory that is not writable');
  });

  it('a write into finalized read-write data is made', async () => {
    const s = await session();
    const { base, result } = await finalized(s);
    expect(result).toBe('\0');
    call(s, BootstrapNames.writeUInt64s, new SPSWriter().u64(1).addr(base + 8192).u64(7).finish(), 3);
    expect((await s.next())?.opcode).toBe(Opcode.Result);
    expect(await hangUp(s)).toBe(0);
  });

  it('a run of an address that is not code (read-write data) ends the session; a run of finalized code returns', async () => {
    const s = await session();
    const { base } = await finalized(s);
    call(s, BootstrapNames.runAsIntFunction, new SPSWriter().addr(base).i32(5).finish(), 3);
    expect((await s.next())?.opcode).toBe(Opcode.Result);
    call(s, BootstrapNames.runAsVoidFunction, new SPSWriter().addr(base + 8192).finish(), 4);
    const { code, signal, stderr } = await s.exit;
    expect([code, signal]).toEqual([1, null]);
    expect(stderr).toContain(`run of 0x${(base + 8192).toString(16)}, which is not code`);
  });

  it('run-as-main of a data address is refused before a thread starts', async () => {
    const s = await session();
    const { base } = await finalized(s);
    call(s, BootstrapNames.runAsMain, new SPSWriter().addr(base + 4096).u64(0).finish(), 3);
    const { code, stderr } = await s.exit;
    expect(code).toBe(1);
    expect(stderr).toContain(`run of 0x${(base + 4096).toString(16)}, which is not code`);
  });

  it('an allocation action that is not an action function (run-as-void of the code) fails the finalize', async () => {
    const s = await session();
    const runVoid = s.info.bootstrapSymbols.get(BootstrapNames.runAsVoidFunction)!;
    const { result } = await finalized(s, (w, base) => void w.u64(1).addr(runVoid).bytes(new SPSWriter().addr(base).finish()).addr(0).bytes(new Uint8Array(0)));
    expect(result).toContain(`allocation action calls 0x${runVoid.toString(16)}, which is not one of this executor's allocation-action functions`);
    expect(await hangUp(s)).toBe(0);
  });

  it('a session ended by an error leaves no shared memory name behind', async () => {
    const s = await session();
    call(s, BootstrapNames.sharedMemoryReserve, new SPSWriter().u64(0).u64(4096).finish(), 1);
    const reserved = (await s.next())!.body;
    const name = new TextDecoder().decode(reserved.subarray(17));
    expect(name).toBe(`/jitlink-executor-${s.pid}-0`);
    expect(existsSync(`/dev/shm${name}`)).toBe(true);
    s.send(encodeMessage(7 as Opcode, 2, 0, new Uint8Array(0)));
    expect((await s.exit).code).toBe(1);
    expect(existsSync(`/dev/shm${name}`)).toBe(false);
  });

  it('a shared memory name a killed process of the same pid left is skipped', async () => {
    const s = await session();
    const stale = `/dev/shm/jitlink-executor-${s.pid}-0`;
    writeFileSync(stale, '');
    try {
      call(s, BootstrapNames.sharedMemoryReserve, new SPSWriter().u64(0).u64(4096).finish(), 1);
      const reserved = (await s.next())!.body;
      expect(reserved[0]).toBe(1);
      expect(new TextDecoder().decode(reserved.subarray(17))).toBe(`/jitlink-executor-${s.pid}-1`);
      expect(await hangUp(s)).toBe(0);
    } finally {
      rmSync(stale, { force: true });
    }
  });

  it('eh-frames: deregistering one never registered is an error, not an abort; unreadable memory is refused', async () => {
    const s = await session();
    const { base } = await finalized(s);
    const range = (start: number) => new SPSWriter().addr(start).addr(start + 16).finish();
    call(s, BootstrapNames.deregisterEHFrame, range(base + 4096), 3);
    expect(new TextDecoder().decode((await s.next())!.body)).toContain('deregistration of an eh-frame that is not registered');
    call(s, BootstrapNames.registerEHFrame, range(base + 4096), 4);
    expect((await s.next())!.body).toEqual(new Uint8Array([0]));
    call(s, BootstrapNames.registerEHFrame, range(base + 4096), 5);
    expect(new TextDecoder().decode((await s.next())!.body)).toContain('eh-frame registered twice');
    call(s, BootstrapNames.deregisterEHFrame, range(base + 4096), 6);
    expect((await s.next())!.body).toEqual(new Uint8Array([0]));
    // Shared memory, reserved but not initialized: no access.
    call(s, BootstrapNames.sharedMemoryReserve, new SPSWriter().u64(0).u64(4096).finish(), 7);
    const shared = (await s.next())!.body;
    const sharedBase = Number(new DataView(shared.buffer, shared.byteOffset).getBigUint64(1, true));
    call(s, BootstrapNames.registerEHFrame, range(sharedBase), 8);
    expect(new TextDecoder().decode((await s.next())!.body)).toContain('in memory that is not readable');
    call(s, BootstrapNames.sharedMemoryRelease, new SPSWriter().u64(0).u64(1).addr(sharedBase).finish(), 9);
    expect((await s.next())!.body).toEqual(new Uint8Array([0]));
    expect(await hangUp(s)).toBe(0);
  });
});
