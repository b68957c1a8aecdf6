// The digest `npm test` prints at the end of a failed run: the failing tests' messages, once each.
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { failureDigest } = require(join(__dirname, '../../../scripts/test-all.cjs')) as {
  failureDigest(log: string): string;
};

const JEST_FAILURE = [
  '> nx run @jitlink/executor:test',
  '\u001b[1m PASS \u001b[22m executor test/a.test.ts',
  ' FAIL  executor  test/b.test.ts',
  '  ● suite › does a thing',
  '',
  '    expect(received).toBe(expected)',
  '',
  '      at Object.<anonymous> (test/b.test.ts:10:5)',
  '',
  'Summary of all failing tests',
  ' FAIL  executor  test/b.test.ts',
  '  ● suite › does a thing',
  '',
  '    expect(received).toBe(expected)',
  '',
  'Test Suites: 1 failed, 1 total',
];

const TAP_FAILURE = [
  '> nx run @jitlink/fuzz:test',
  'ok 1 - fine',
  'not ok 2 - elf: fails',
  '  ---',
  "  error: 'boom'",
  '  ...',
  'ok 3 - other',
  ' NX   Running target test for 2 projects failed',
  'Failed tasks:',
  '- @jitlink/executor:test',
  '- @jitlink/fuzz:test',
];

test("a jest failure's title, message and stack are kept once, without colour sequences", () => {
  const digest = failureDigest(JEST_FAILURE.join('\n'));
  expect(digest.split('\n').filter((l) => l.includes('● suite › does a thing'))).toHaveLength(1);
  expect(digest).toContain('expect(received).toBe(expected)');
  expect(digest).toContain('test/b.test.ts:10:5');
  expect(digest).not.toContain('PASS');
  expect(digest).not.toContain('\u001b');
});

test("node:test's not-ok lines keep their detail, and the failed tasks are named", () => {
  const digest = failureDigest(TAP_FAILURE.join('\n'));
  expect(digest.split('\n')).toEqual([
    'not ok 2 - elf: fails',
    '  ---',
    "  error: 'boom'",
    '  ...',
    'Failed tasks:',
    '- @jitlink/executor:test',
    '- @jitlink/fuzz:test',
  ]);
});

test('a passing log has no digest', () => {
  expect(
    failureDigest(
      '> nx run @jitlink/core:test\n PASS  core  test/x.test.ts\nTests: 3 passed, 3 total\nok 1 - fine\n',
    ),
  ).toBe('');
});
