/**
 * The shared-secret handshake of jitlink-executor
 * (docs/executor-protocol.md): the executor sends "JLAUTH01" and a 32-byte
 * nonce, and reads HMAC-SHA256(secret, nonce || "jitlink-executor challenge v1").
 *
 * handshake-executor: a controller's answer as the executor (sanitized, with
 * a secret) reads it. The input is a plan (answer length, how the bytes are
 * split, whether a session follows, an answer byte changed), the secret and the context string the
 * answer is computed with, then a scripted session of the executor target.
 * The answer the executor must accept is known exactly (the first 32 bytes
 * sent after the challenge are the right HMAC or not): a right one must give
 * the setup message and the session the executor target's oracle judges; a
 * wrong, short or late one must end the executor with status 1 and an error,
 * nothing sent after the challenge, and no crash or sanitizer report.
 *
 * handshake-controller: a server's challenge as the controller
 * (`connectTcp`) reads it. The input is a plan (the controller's secret:
 * right, wrong or none; write sizes; whether the server checks the answer and
 * waits for it), the challenge bytes, then an executor's setup message and
 * its answer to the controller's first call. Oracle: the controller answers
 * exactly when the first 40 bytes it receives are a challenge (and it has a
 * secret), with the right HMAC; `connectTcp` settles with a controller or a
 * JITLinkError (one naming the refused secret when the server closed on a
 * wrong answer), never another error, never waiting once the server has
 * closed.
 */
import { createHmac } from 'node:crypto';
import * as net from 'node:net';
import { JITLinkError } from '@jitlink/core';
import { AUTH_CONTEXT, AUTH_MAGIC, connectTcp } from '@jitlink/executor-remote';
import { field } from './mutate.mjs';
import { OracleFailure } from './targets.mjs';
import { buildSanitizedExecutor, executorSeeds, ExecutorFailure, runExecutor } from './executor.mjs';
import { scriptedExecutor } from './protocol.mjs';

const encoder = new TextEncoder();
const SECRET = encoder.encode('correct horse battery staple');
const CHALLENGE_SIZE = AUTH_MAGIC.length + 32;
const ANSWER_SIZE = 32;

const hmac = (secret, nonce, context) => new Uint8Array(createHmac('sha256', secret).update(nonce).update(context).digest());
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const u16 = (n) => Uint8Array.of(n & 0xff, n >> 8);
const pause = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A plan of u8 fields, each listed three times (they steer everything after them), and where it ends. */
function planFields(count) {
  return Array.from({ length: count }, (_, i) => [field(i, 1), field(i, 1), field(i, 1)]).flat();
}

/** Reads a u16-length-prefixed region at `at`, clamped to the input. */
function region(bytes, at) {
  const length = at + 2 <= bytes.length ? bytes[at] | (bytes[at + 1] << 8) : 0;
  const start = Math.min(at + 2, bytes.length);
  const end = Math.min(start + length, bytes.length);
  return { bytes: bytes.subarray(start, end), end };
}

// ---- the executor reading an answer -------------------------------------------------

// Plan: answer length, bytes in the first write, flags (1: no session after the handshake;
// 2: the stream stays open after a refused answer), which answer byte to change (1-based; 0: none).
const EXECUTOR_PLAN = 4;

function executorHandshakeSeed(name, { answerLength = 32, firstWrite = 255, flags = 0, changed = 0, secret = SECRET, context = AUTH_CONTEXT, session }) {
  const head = Uint8Array.of(answerLength, firstWrite, flags, changed);
  const secretAt = head.length;
  const contextAt = secretAt + 2 + secret.length;
  const sessionAt = contextAt + 2 + context.length;
  const bytes = concat(head, u16(secret.length), secret, u16(context.length), context, session.bytes);
  const fields = [...planFields(EXECUTOR_PLAN), field(secretAt, 2), field(secretAt, 2), field(contextAt, 2), field(contextAt, 2)];
  // The session's message headers (sizes, opcodes, tags): the executor target mutates the rest.
  fields.push(...session.fields.filter((f) => f.width === 8).slice(0, 24).map((f) => field(sessionAt + f.at, f.width)));
  const strings = [[secretAt + 2, contextAt], [contextAt + 2, sessionAt]];
  return { name, bytes, fields, strings };
}

function executorHandshakeSeeds() {
  if (buildSanitizedExecutor() !== undefined) return [];
  const sessions = executorSeeds();
  const symbols = sessions.find((s) => s.name.startsWith('symbols'));
  const copying = sessions.find((s) => s.name.startsWith('copying'));
  return [
    executorHandshakeSeed('the right answer, then a session', { session: symbols }),
    executorHandshakeSeed('the right answer in two writes, then a session', { firstWrite: 13, session: copying }),
    executorHandshakeSeed('the right answer, then the end of the stream', { flags: 1, session: symbols }),
    executorHandshakeSeed('an answer with another secret', { secret: encoder.encode('Tr0ub4dor&3'), session: symbols }),
    executorHandshakeSeed('an answer for another version', { context: encoder.encode('jitlink-executor challenge v2'), session: copying }),
    executorHandshakeSeed('a short answer', { answerLength: 31, flags: 1, session: symbols }),
    executorHandshakeSeed('a long answer', { answerLength: 40, session: symbols }),
    executorHandshakeSeed('the right answer with its last byte changed', { changed: 32, session: symbols }),
    executorHandshakeSeed('a short answer, the stream left open', { answerLength: 20, flags: 2, session: symbols }),
  ];
}

/** Plays the plan's answer to the executor's challenge; returns whether the executor must accept it. */
async function answerAsPlanned(plan, challenge, stream) {
  if (challenge.length !== CHALLENGE_SIZE || !equal(challenge.subarray(0, AUTH_MAGIC.length), AUTH_MAGIC)) {
    throw new ExecutorFailure('BadChallenge', `the executor's challenge was ${challenge.length} bytes starting ${Buffer.from(challenge.subarray(0, 8)).toString('hex')}`);
  }
  const nonce = challenge.subarray(AUTH_MAGIC.length);
  const mac = hmac(plan.secret, nonce, plan.context);
  // Past 32 bytes the answer repeats the HMAC: what the executor reads next as a message header.
  const answer = Uint8Array.from({ length: plan.answerLength }, (_, i) => mac[i % mac.length]);
  if (plan.changed > 0 && plan.changed <= answer.length) answer[plan.changed - 1] ^= 1;
  const split = Math.min(plan.firstWrite, answer.length);
  if (split > 0) stream.write(answer.subarray(0, split));
  if (split < answer.length) {
    await pause(1);
    stream.write(answer.subarray(split));
  }
  return answer.length >= ANSWER_SIZE && equal(answer.subarray(0, ANSWER_SIZE), hmac(SECRET, nonce, AUTH_CONTEXT));
}

async function runExecutorHandshake(bytes) {
  const plan = { answerLength: bytes[0] ?? 0, firstWrite: bytes[1] ?? 0, flags: bytes[2] ?? 0, changed: bytes[3] ?? 0 };
  const secret = region(bytes, EXECUTOR_PLAN);
  const context = region(bytes, secret.end);
  plan.secret = secret.bytes;
  plan.context = context.bytes;
  const session = plan.flags & 1 ? new Uint8Array(0) : bytes.subarray(context.end);
  return runExecutor(session, {
    secret: new TextDecoder().decode(SECRET),
    handshake: async (reader, stream) => answerAsPlanned(plan, await reader.raw(CHALLENGE_SIZE), stream),
    keepOpen: (plan.flags & 2) !== 0,
  });
}

// ---- the controller reading a challenge ---------------------------------------------

// Plan: the controller's secret (0 right, 1 wrong, 2 none), write size (0: one write),
// flags (1: the server checks the answer and closes on a wrong one; 2: the server waits for the
// answer before sending the rest).
const CONTROLLER_PLAN = 3;
const WRONG_SECRET = encoder.encode('Tr0ub4dor&3');
/** How long the server waits for the controller's first call before sending the rest (a liveness bound). */
const CALL_WAIT_MS = 200;
/** How long the controller may take to settle once the server has closed (a failure bound). */
const SETTLE_MS = 5000;

function controllerHandshakeSeed(name, { secretChoice = 0, chunk = 0, flags = 3, challenge, variant = 1 }) {
  const script = scriptedExecutor(variant);
  // The setup message and the executor's answer to the controller's first call (opening the process).
  const stream = script.bytes.subarray(0, script.ends[1]);
  const head = Uint8Array.of(secretChoice, chunk, flags, challenge.length);
  const streamAt = head.length + challenge.length;
  const bytes = concat(head, challenge, stream);
  const fields = [...planFields(head.length)];
  for (let at = head.length + AUTH_MAGIC.length; at + 8 <= streamAt; at += 8) fields.push(field(at, 8));
  // The setup message's size: the protocol target mutates the rest of the stream.
  fields.push(field(streamAt, 8));
  const strings = [[head.length, head.length + Math.min(AUTH_MAGIC.length, challenge.length)]];
  return { name, bytes, fields, strings };
}

function controllerHandshakeSeeds() {
  const nonce = Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 11) & 0xff);
  const challenge = concat(AUTH_MAGIC, nonce);
  return [
    controllerHandshakeSeed('a challenge answered with the right secret', { challenge }),
    controllerHandshakeSeed('a challenge answered with a wrong secret', { secretChoice: 1, challenge }),
    controllerHandshakeSeed('a challenge to a controller without a secret', { secretChoice: 2, challenge }),
    controllerHandshakeSeed('a challenge and setup in one write, in 7-byte pieces', { chunk: 7, flags: 1, challenge, variant: 0 }),
    controllerHandshakeSeed('a server that does not check the answer', { secretChoice: 1, flags: 2, challenge }),
    controllerHandshakeSeed('another version of the challenge', { challenge: concat(encoder.encode('JLAUTH02'), nonce) }),
    controllerHandshakeSeed('no challenge (an executor without a secret)', { challenge: new Uint8Array(0), variant: 0 }),
  ];
}

async function runControllerHandshake(bytes) {
  // "No secret" must mean none: not one the controller would take from this process's environment.
  delete process.env.JITLINK_EXECUTOR_SECRET;
  delete process.env.JITLINK_EXECUTOR_SECRET_FILE;
  const secretChoice = (bytes[0] ?? 0) % 3;
  const chunk = bytes[1] ?? 0;
  const flags = bytes[2] ?? 0;
  const challengeLength = Math.min(bytes[3] ?? 0, Math.max(0, bytes.length - CONTROLLER_PLAN - 1));
  const challenge = bytes.subarray(CONTROLLER_PLAN + 1, CONTROLLER_PLAN + 1 + challengeLength);
  const stream = bytes.subarray(CONTROLLER_PLAN + 1 + challengeLength);
  const controllerSecret = [SECRET, WRONG_SECRET, undefined][secretChoice];
  // What the controller receives first decides whether it answers: magic, then a nonce.
  const all = concat(challenge, stream);
  const challenged = all.length >= CHALLENGE_SIZE && equal(all.subarray(0, AUTH_MAGIC.length), AUTH_MAGIC);
  const nonce = all.subarray(AUTH_MAGIC.length, CHALLENGE_SIZE);
  const answers = challenged && controllerSecret !== undefined;
  const rightAnswer = answers && equal(controllerSecret, SECRET);
  // Where the bytes after a challenge start, and the end of the setup message among them.
  const afterChallenge = challenged ? CHALLENGE_SIZE : 0;
  const setupEnd = afterChallenge + setupEndIn(all.subarray(afterChallenge));

  let received = new Uint8Array(0);
  let controllerEnded = false;
  const waiters = new Set();
  const wakeAll = () => {
    for (const w of waiters) w();
    waiters.clear();
  };
  const waitFor = async (done, ms) => {
    const deadline = Date.now() + ms;
    while (!done() && !controllerEnded && Date.now() < deadline) {
      await new Promise((resolve) => {
        waiters.add(resolve);
        setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
      });
    }
  };
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  let closedAt;
  const serve = new Promise((resolve) => {
    server.once('connection', async (socket) => {
      server.close();
      socket.setNoDelay(true);
      socket.on('data', (data) => {
        received = concat(received, data);
        wakeAll();
      });
      const ended = () => {
        controllerEnded = true;
        wakeAll();
      };
      socket.on('end', ended);
      socket.on('close', ended);
      socket.on('error', ended);
      let sent = 0;
      const sendUpTo = async (end) => {
        const data = all.subarray(sent, Math.max(sent, end));
        sent = Math.max(sent, end);
        for (let at = 0; at < data.length && !socket.destroyed; at += chunk || data.length) {
          socket.write(data.subarray(at, at + (chunk || data.length)));
          if (chunk) await pause();
        }
      };
      // The challenge; with flag 2 the server waits for the answer before sending more.
      await sendUpTo(flags & 2 ? challenge.length : all.length);
      if (flags & 2 && sent >= CHALLENGE_SIZE && challenged) await waitFor(() => received.length >= ANSWER_SIZE, SETTLE_MS);
      // With flag 1 it closes on a wrong (or missing) answer, as jitlink-executor does.
      const refused = flags & 1 && challenged && sent >= CHALLENGE_SIZE && !(rightAnswer && received.length >= ANSWER_SIZE);
      if (!refused) {
        // The setup message, then the answer to the controller's first call once that comes.
        await sendUpTo(setupEnd);
        const expected = answers ? ANSWER_SIZE : 0;
        if (setupEnd - afterChallenge >= 32) await waitFor(() => received.length > expected, CALL_WAIT_MS);
        await sendUpTo(all.length);
      }
      socket.end();
      closedAt = Date.now();
      wakeAll();
      await waitFor(() => false, SETTLE_MS);
      socket.destroy();
      resolve();
    });
  });
  const outcome = connectTcp(`127.0.0.1:${port}`, { secret: controllerSecret, setupTimeoutMs: 30_000 }).then(
    (value) => ({ value }),
    (error) => ({ error }),
  );
  // Settled, or the server closed: then the controller has SETTLE_MS to settle.
  let settled;
  void outcome.then((r) => {
    settled = r;
    wakeAll();
  });
  while (settled === undefined && closedAt === undefined) await new Promise((resolve) => waiters.add(resolve));
  if (settled === undefined) await Promise.race([outcome, pause(SETTLE_MS)]);
  const result = settled ?? (await outcome);
  const late = settled === undefined;
  const control = result.value?.control;
  try {
    if (late) throw new OracleFailure('connectTcp', Object.assign(new Error(`did not settle within ${SETTLE_MS} ms of the server closing`), { name: 'Hang' }));
    if (result.error !== undefined && !(result.error instanceof JITLinkError)) throw new OracleFailure('connectTcp', result.error);
    // Everything the controller sent reaches the server before its end.
    if (control) await control.dispose().catch(() => {});
    await waitFor(() => false, SETTLE_MS);
    if (answers) {
      if (received.length < ANSWER_SIZE) throw new OracleFailure('challenge', Object.assign(new Error(`the controller sent ${received.length} bytes, not an answer, to a challenge`), { name: 'NoAnswer' }));
      if (!equal(received.subarray(0, ANSWER_SIZE), hmac(controllerSecret, nonce, AUTH_CONTEXT))) throw new OracleFailure('challenge', Object.assign(new Error('the controller answered with the wrong HMAC'), { name: 'WrongAnswer' }));
    } else if (received.length >= 16 && ![1, 2, 3].includes(received[8])) {
      throw new OracleFailure('challenge', Object.assign(new Error(`the controller sent ${received.length} bytes that are not a message, unchallenged`), { name: 'WrongAnswer' }));
    }
    // A server that waited for the answer after exactly a challenge, and closed on a wrong one.
    if (flags & 1 && flags & 2 && challenge.length === CHALLENGE_SIZE && answers && !rightAnswer) {
      if (control) throw new OracleFailure('connectTcp', Object.assign(new Error('connected although the server closed on a wrong answer'), { name: 'Accepted' }));
      if (!/did not accept the shared secret/.test(result.error?.message ?? '')) throw new OracleFailure('connectTcp', Object.assign(new Error(`a refused secret gave: ${result.error?.message}`), { name: 'Message' }));
    }
    return control ? 'linked' : 'rejected';
  } finally {
    controllerEnded = true;
    wakeAll();
    await serve;
    server.close();
  }
}

/** Where the first message of an executor stream ends: its size field, clamped to the stream. */
function setupEndIn(stream) {
  if (stream.length < 8) return stream.length;
  const size = new DataView(stream.buffer, stream.byteOffset, 8).getBigUint64(0, true);
  return size < BigInt(stream.length) ? Number(size) : stream.length;
}

export const handshakeTargets = {
  'handshake-executor': {
    description: "answers to jitlink-executor's shared-secret challenge over TCP or pipes (secret, version, lengths, splits), read by the sanitized executor",
    seeds: executorHandshakeSeeds,
    missing: buildSanitizedExecutor,
    run: runExecutorHandshake,
  },
  'handshake-controller': {
    description: 'shared-secret challenges read by the controller (connectTcp): magic, version, nonce, lengths, splits, servers that refuse',
    seeds: controllerHandshakeSeeds,
    run: runControllerHandshake,
  },
};
