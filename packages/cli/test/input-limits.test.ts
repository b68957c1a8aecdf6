/**
 * -max-input-size, -max-sections, -max-relocations, -max-archive-members and
 * -max-reserved-memory: each refuses a real input just over it with the
 * error that names the file, and lets it through at exactly its size.
 */
import { join } from 'node:path';
import { file, needs } from '@jitlink/test-support';
import { parseOptions } from '../src/options.js';
import { CLI, REPO_ROOT } from './corpus.js';
import { runCli } from './run-cli.js';

// hello.o (clang-19 -O2 -fPIC): 1232 bytes, 11 sections, 3 relocations, 99 bytes of content to allocate.
const HELLO = join(REPO_ROOT, 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o');
// mingw ar: archive_square.obj (668 bytes, header at 0xe0), archive_greet.obj (798, 0x3b8), archive_unused.obj (715, 0x712).
const ARCHIVE = join(REPO_ROOT, 'test-corpus/obj/archive-coff/mingw-x86_64.a');
// MachO x86-64: multi_main.o (4 sections) calls into libmulti_util.a's multi_util.o (6 sections).
const MULTI = join(REPO_ROOT, 'test-corpus/obj-macho/x86_64/O2/multi');

describe('limit options', () => {
  test('parsed into the limits, sizes with suffixes, counts as numbers', () => {
    const o = parseOptions(['-max-input-size=2Mb', '-max-sections', '100', '--max-relocations=0x40', '-max-archive-members=0', '-slab-allocate=1Mb', '-max-reserved-memory=64Kb', HELLO]);
    expect(o.limits).toEqual({ maxInputBytes: 2 * 1024 * 1024, maxSections: 100, maxRelocations: 64, maxArchiveMembers: 0 });
    expect(o.maxReservedMemory).toBe(64 * 1024);
    expect(parseOptions([HELLO]).limits).toEqual({});
  });

  test('bad values and -max-reserved-memory without a slab are usage errors', () => {
    expect(() => parseOptions(['-max-sections=many', HELLO])).toThrow("invalid section limit 'many' (expected a decimal or 0x-prefixed hex number)");
    expect(() => parseOptions(['-max-input-size=-1', HELLO])).toThrow("invalid input size limit '-1' (expected a number with an optional Kb/Mb/Gb suffix)");
    expect(() => parseOptions(['-max-reserved-memory=1Mb', HELLO])).toThrow(
      "-max-reserved-memory needs -slab-allocate (the executor's own memory managers have caps of their own)",
    );
  });
});

needs(file(CLI, 'npm run build'), file(HELLO), file(ARCHIVE)).describe('the command refuses inputs over the limits', () => {
  test.each([
    ['-max-input-size=1231', `${HELLO}: 1232 input bytes exceed the limit of 1231`],
    ['-max-sections=10', `${HELLO}: 11 sections exceed the limit of 10`],
    ['-max-relocations=2', `${HELLO}: 3 relocations exceed the limit of 2`],
  ])('%s', async (option, message) => {
    const r = await runCli(['-noexec', option, HELLO]);
    expect([r.code, r.stderr]).toEqual([1, `jitlink: error: ${message}\n`]);
  });

  test('at exactly each limit the object links', async () => {
    const r = await runCli(['-noexec', '-max-input-size=1232', '-max-sections=11', '-max-relocations=3', '-slab-allocate=1Mb', '-max-reserved-memory=99', HELLO]);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  test('archives: the member count, and each member against -max-input-size', async () => {
    const count = await runCli(['-noexec', '-max-archive-members=2', ARCHIVE, HELLO]);
    expect([count.code, count.stderr]).toEqual([1, `jitlink: error: ${ARCHIVE}, offset 0x712: 3 archive members exceed the limit of 2\n`]);
    const size = await runCli(['-noexec', '-max-input-size=797', ARCHIVE, HELLO]);
    expect([size.code, size.stderr]).toEqual([1, `jitlink: error: ${ARCHIVE}(archive_greet.obj), offset 0x3b8: 798 input bytes exceed the limit of 797\n`]);
  });

  test('a member loaded from an archive is held to the object limits when its graph is built', async () => {
    const args = [join(MULTI, 'multi_main.o'), join(MULTI, 'libmulti_util.a')];
    expect((await runCli(['-noexec', '-max-sections=6', ...args])).code).toBe(0);
    const r = await runCli(['-noexec', '-max-sections=5', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(MULTI, 'libmulti_util.a')}(multi_util.o): 6 sections exceed the limit of 5`);
  });

  test('-max-reserved-memory: the slab refuses a graph over it before reserving anything', async () => {
    const r = await runCli(['-noexec', '-slab-allocate=1Mb', '-max-reserved-memory=98', HELLO]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${HELLO}: needs 99 bytes of working memory, over the limit of 98 (0 already reserved)`);
  });
});
