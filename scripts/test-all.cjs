#!/usr/bin/env node
// `npm test`: builds every package, then runs every package's tests one
// package at a time, as `nx run-many` does. The output is passed through as
// it comes; when a run fails, the failing tests' own messages are printed
// again at the very end, so that they are in the last lines of a long log
// (the lines a CI summary shows) and not only where their package ran.
'use strict';
const { spawn } = require('node:child_process');

/** Most lines of failure text printed in the digest. */
const DIGEST_LINE_LIMIT = 400;

// Terminal colour and style sequences, which jest and nx write even to pipes when asked.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * The failures in a test log: for each failing task its name, then jest's
 * `●` blocks (a failing test's title, message and stack) and node:test's
 * `not ok` lines with their YAML detail. Returns '' when there is none.
 */
function failureDigest(log) {
  const lines = log.replace(ANSI, '').split('\n');
  const out = [];
  let inJestBlock = false; // inside a "  ● title" block, until jest's summary or the next task
  let inTapDetail = false; // inside the YAML block that follows a "not ok" line
  let skipping = false; // inside a block already printed (jest repeats failures in its summary)
  const seen = new Set();
  for (const line of lines) {
    if (/^\s*> nx run /.test(line)) {
      inJestBlock = false;
      inTapDetail = false;
      continue;
    }
    if (/^\s*●\s/.test(line) && !/●\s+Console\s*$/.test(line)) {
      inJestBlock = true;
      skipping = seen.has(line.trim());
      seen.add(line.trim());
      if (!skipping) out.push(line);
      continue;
    }
    if (inJestBlock) {
      if (
        /^(Test Suites:|Tests:|Snapshots:|Time:|Ran all test suites|Summary of all failing tests)/.test(
          line.trim(),
        ) ||
        /^\s*(PASS|FAIL)\s/.test(line)
      ) {
        inJestBlock = false;
      } else {
        if (!skipping) out.push(line);
        continue;
      }
    }
    if (/^\s*not ok \d+/.test(line)) {
      inTapDetail = true;
      out.push(line);
      continue;
    }
    if (inTapDetail) {
      out.push(line);
      if (/^\s*\.\.\.\s*$/.test(line)) inTapDetail = false;
      continue;
    }
    if (/^\s*-\s+\S+:test\s*$/.test(line) || /Failed tasks:/.test(line)) out.push(line.trim());
  }
  if (out.length === 0) return '';
  const kept =
    out.length > DIGEST_LINE_LIMIT
      ? [
          ...out.slice(0, DIGEST_LINE_LIMIT),
          `… ${out.length - DIGEST_LINE_LIMIT} more lines above in the log`,
        ]
      : out;
  return kept.join('\n');
}

/** Runs a command, passing its output through and keeping a copy. Resolves with its exit code and output. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
    const chunks = [];
    const keep = (stream) => (chunk) => {
      stream.write(chunk);
      chunks.push(chunk);
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    child.on('error', (error) => resolve({ code: 127, output: `${command}: ${error.message}\n` }));
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

async function main() {
  const build = await run('npx', ['nx', 'run-many', '-t', 'build']);
  if (build.code !== 0) process.exit(build.code);
  const test = await run('npx', ['nx', 'run-many', '-t', 'test', '--parallel=1']);
  if (test.code !== 0) {
    const digest = failureDigest(test.output);
    process.stdout.write(
      `\n==== failures (repeated from above) ====\n${digest || '(no test failure found in the output; see the failed tasks above)'}\n`,
    );
  }
  process.exit(test.code);
}

module.exports = { failureDigest };
if (require.main === module) void main();
