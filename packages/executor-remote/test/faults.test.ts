/**
 * Faults: an executor that dies, lies or speaks another protocol gives one
 * clear error; the controller frees its side and nothing hangs. Bounds here
 * limit how long a child may take to fail, never how fast the linker is.
 */
import path from 'node:path';
import { JITLinkError, LinkGraph, Linkage, MemProt, Scope } from '@jitlink/core';
import { X86_64EdgeKinds } from '@jitlink/arch-x86-64';
import { x86_64Elf } from '@jitlink/arch-x86-64/elf';
import { ExecutionSession, ObjectLinkingLayer, type MaterializationResponsibility } from '@jitlink/orc';
import { createServer, type Server } from 'node:net';
import { connectTcp, spawnExecutor, type RemoteExecutorProcessControl } from '../src/index.js';
import { corpusProgram, haveLlvmExecutor, isX64Linux, LLVM_EXECUTOR, OUR_EXECUTOR, requirement, runCorpusProgram, startExecutor, x86Registry } from './helpers.js';
import { needs, have, file } from '@jitlink/test-support';

const hostile = path.join(__dirname, 'fixtures/hostile-executor.cjs');

/** Rejects if `promise` has not settled within `ms` (a hang). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
    }),
  ]);
}

async function startHostile(mode: string, options: { setupTimeoutMs?: number; maxMessageSize?: number } = {}) {
  return spawnExecutor(process.execPath, { args: [hostile, mode], stdio: 'pipe', ...options });
}

const describeLinux = needs(requirement(process.platform === 'linux', 'needs Linux')).describe;

describeLinux('a malformed or hostile executor', () => {
  it.each([
    ['truncated', /executor .*node.* closed the connection \(exit status 0\) during setup/],
    ['oversized', /section message header, offset 0x0: message size 1099511627776 exceeds the limit/],
    ['bad-opcode', /unknown opcode 9 \(not the simple remote EPC protocol\?\)/],
    ['not-epc', /message header, offset 0x0: (message size|unknown opcode)/],
    ['exit-after-setup', /closed the connection \(exit status 3\) during open of ""/],
  ])('%s: one clear error', async (mode, message) => {
    const error = await within(startHostile(mode), 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JITLinkError);
    expect((error as Error).message).toMatch(message);
  });

  it('silent: no setup message within the bound, and the child is killed', async () => {
    const error = await within(startHostile('silent', { setupTimeoutMs: 500 }), 10_000).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/sent no setup message within 500 ms/);
  });

  it('a malformed result fails the call, names the call, and later calls fail with the same error', async () => {
    const { control, child } = await within(startHostile('bad-reserve-result'), 10_000);
    const error = await within(control.reserve(4096), 10_000).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/section result of reserve of 0x1000 bytes, offset 0x1: truncated reserved address: needs 8 bytes, 2 left/);
    await within(control.dispose(), 10_000);
    expect(child!.exitCode !== null || child!.signalCode !== null).toBe(true);
  });

  it('a hangup with an error fails pending calls with its reason', async () => {
    const { control } = await within(startHostile('hangup-error'), 10_000);
    const error = await within(control.reserve(4096), 10_000).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/hung up: out of patience/);
    await expect(control.lookupSymbols(['x'])).rejects.toBe(error);
    await within(control.dispose(), 10_000);
  });
});

/** A TCP server that greets each connection with `greeting` (or says nothing). */
async function server(greeting: string | undefined): Promise<{ server: Server; port: number }> {
  const srv = createServer((socket) => {
    socket.on('error', () => {});
    if (greeting !== undefined) socket.write(greeting);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { server: srv, port: (srv.address() as { port: number }).port };
}

describe('a TCP peer that is not an executor', () => {
  it('another protocol: one clear error', async () => {
    const { server: srv, port } = await server('220 smtp.example.com ESMTP Postfix\r\n'.repeat(4));
    try {
      const error = await within(connectTcp(`127.0.0.1:${port}`), 10_000).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(new RegExp(`executor at 127.0.0.1:${port}, section message header, offset 0x0: (message size \\d+ exceeds|unknown opcode)`));
    } finally {
      srv.close();
    }
  });

  it('a silent peer: the setup wait is bounded', async () => {
    const { server: srv, port } = await server(undefined);
    try {
      const error = await within(connectTcp(`127.0.0.1:${port}`, { setupTimeoutMs: 300 }), 10_000).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/sent no setup message within 300 ms/);
    } finally {
      srv.close();
    }
  });
});

const describeLlvm = needs(requirement(isX64Linux && haveLlvmExecutor, `needs x86-64 Linux and ${LLVM_EXECUTOR}`)).describe;

describeLlvm('the executor killed', () => {
  it('mid-link: the link fails with one error naming the signal, and the controller lets go', async () => {
    const started = await startExecutor(LLVM_EXECUTOR);
    const control: RemoteExecutorProcessControl = started.control;
    const finalize = control.finalizeMemory.bind(control);
    control.finalizeMemory = async (...args) => {
      if (args[1].includes('sqlite_driver')) started.child!.kill('SIGKILL');
      return finalize(...args);
    };
    const error = await within(runCorpusProgram(control, corpusProgram('sqlite_driver'), 'clang-19/O2-pic-small'), 20_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/closed the connection \(killed by SIGKILL\) during (finalize|reserve|lookup|deallocate)/);
    expect(started.child!.signalCode).toBe('SIGKILL');
  });

  it.each([
    ['llvm-jitlink-executor', LLVM_EXECUTOR],
    ['jitlink-executor', OUR_EXECUTOR],
  ])('mid-run (%s): the running call fails with one error naming the signal', async (_, executorPath) => {
    if (!have(file(executorPath))) return;
    const { control, child } = await startExecutor(executorPath);
    const sleep = (await control.lookupSymbols(['sleep'])).get('sleep')!;
    const running = control.runAsIntFunction(sleep, 60);
    setTimeout(() => child!.kill('SIGKILL'), 200);
    const error = await within(running, 20_000).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/closed the connection \(killed by SIGKILL\) during call of 0x/);
    await within(control.dispose(), 10_000);
  });

  it('in a session: the unit being finalized fails once, the lookups that need it fail, later links fail at once, and the session ends', async () => {
    const started = await startExecutor(LLVM_EXECUTOR);
    const control: RemoteExecutorProcessControl = started.control;
    const finalize = control.finalizeMemory.bind(control);
    control.finalizeMemory = async (...args) => {
      if (args[1] === 'bad.o') started.child!.kill('SIGKILL');
      return finalize(...args);
    };
    const session = new ExecutionSession(control);
    const reported: Error[] = [];
    session.errorReporter = (e) => reported.push(e);
    const layer = new ObjectLinkingLayer(session, { memoryManager: control.memoryManager, registry: x86Registry() });
    const failed: string[] = [];
    layer.addPlugin({
      notifyFailed: (mr: MaterializationResponsibility) => void failed.push(mr.record.unit.name),
      notifyRemovingResources: () => {},
      notifyTransferringResources: () => {},
    });
    const dylib = session.createJITDylib('main');
    const graph = (name: string, refs: string[]) => {
      const g = new LinkGraph({ name, triple: 'x86_64-unknown-linux-gnu', pointerSize: 8, endianness: 'little', getEdgeKindName: x86_64Elf.getEdgeKindName });
      const data = g.createSection('.data', MemProt.Read | MemProt.Write);
      const table = g.createContentBlock(data, new Uint8Array(8 * Math.max(1, refs.length)), 0, 8, 0);
      g.addDefinedSymbol(table, 0, `t_${name}`, table.size, Linkage.Strong, Scope.Default, false, false);
      refs.forEach((r, k) => table.addEdge(X86_64EdgeKinds.Pointer64, 8 * k, g.addExternalSymbol(r, 0), 0));
      return g;
    };
    layer.add(dylib, graph('bad.o', []));
    layer.add(dylib, graph('dependent.o', ['t_bad.o']));
    const lookups = await Promise.allSettled(['t_bad.o', 't_dependent.o'].map((n) => within(session.lookup([dylib], [n]), 20_000)));
    for (const l of lookups) {
      expect(l.status).toBe('rejected');
      expect((l as PromiseRejectedResult).reason).toBeInstanceOf(JITLinkError);
    }
    // The connection's error names the call in flight when the executor died: bad.o's finalize, or the
    // reserve dependent.o's link had sent meanwhile.
    expect((lookups[0] as PromiseRejectedResult).reason.message).toMatch(
      /closed the connection \(killed by SIGKILL\) during (finalize of bad\.o|reserve of 0x[0-9a-f]+ bytes)/,
    );
    expect(failed.filter((n) => n === 'bad.o')).toEqual(['bad.o']);
    expect(failed.length).toBe(new Set(failed).size);
    // The next link fails at once with the connection's error; nothing hangs.
    layer.add(dylib, graph('after.o', []));
    const after = await within(session.lookup([dylib], ['t_after.o']), 10_000).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(JITLinkError);
    expect((after as Error).message).toMatch(/killed by SIGKILL/);
    await within(session.endSession().catch(() => undefined), 10_000);
    await within(control.dispose(), 10_000);
  });
});
