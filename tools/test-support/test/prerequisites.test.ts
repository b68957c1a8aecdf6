/** The prerequisite helper: what it reports missing, and what it does under CI=true. */
import { condition, debianLibrary, file, have, missing, platform, tool } from '../src/index.js';

describe('prerequisites', () => {
  test('a tool is available when it answers --version, and named with where it comes from', () => {
    expect(tool(process.execPath).available()).toBe(true);
    const absent = tool('jitlink-no-such-tool-19', 'llvm-19');
    expect(absent.available()).toBe(false);
    expect(absent.what).toBe('jitlink-no-such-tool-19 on PATH (llvm-19)');
  });

  test('files, Debian libraries, platforms and conditions', () => {
    expect(file(__filename).available()).toBe(true);
    expect(debianLibrary('libz.a')).toMatchObject({
      path: '/usr/lib/x86_64-linux-gnu/libz.a',
      what: '/usr/lib/x86_64-linux-gnu/libz.a (apt-get install zlib1g-dev)',
    });
    expect(debianLibrary('/elsewhere/liblua5.4.a').what).toBe('/elsewhere/liblua5.4.a (apt-get install liblua5.4-dev)');
    expect(platform(process.platform, process.arch).available()).toBe(true);
    expect(platform(process.platform === 'linux' ? 'darwin' : 'linux').available()).toBe(false);
    expect(missing(condition('a', true), condition('b', () => false), file('/no/such/file'))).toEqual(['b', '/no/such/file']);
  });

  describe('have, inside a test', () => {
    const saved = process.env.CI;
    afterEach(() => {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    });

    test('true when everything is there', () => {
      expect(have(condition('x', true))).toBe(true);
    });

    test('under CI=true, a missing prerequisite is an error naming it', () => {
      process.env.CI = 'true';
      expect(() => have(condition('the thing', false))).toThrow('missing test prerequisite under CI=true: the thing');
    });

    test('elsewhere, false with the reason printed', () => {
      delete process.env.CI;
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        expect(have(condition('the thing', false))).toBe(false);
        expect(warn.mock.calls[0]![0]).toMatch(/skipped part of ".*elsewhere, false.*": needs the thing/);
      } finally {
        warn.mockRestore();
      }
    });
  });
});
