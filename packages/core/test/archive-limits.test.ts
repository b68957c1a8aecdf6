import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JITLinkError, parseArchive, type InputLimits } from '../src/index.js';

// mingw ar: archive_square.obj (668 bytes), archive_greet.obj (798), archive_unused.obj (715).
const FILE = 'mingw-x86_64.a';
const bytes = new Uint8Array(readFileSync(join(__dirname, '../../../test-corpus/obj/archive-coff', FILE)));
const members = parseArchive(bytes, FILE).members;
const largest = members.reduce((a, b) => (b.size > a.size ? b : a));

function limitError(limits: InputLimits): JITLinkError {
  try {
    parseArchive(bytes, FILE, { limits });
  } catch (e) {
    expect(e).toBeInstanceOf(JITLinkError);
    return e as JITLinkError;
  }
  throw new Error('expected a LimitExceeded error');
}

describe('archive limits', () => {
  test('the archive reads at exactly its member count and its largest member size', () => {
    expect(members.map((m) => m.name)).toEqual(['archive_square.obj', 'archive_greet.obj', 'archive_unused.obj']);
    expect(parseArchive(bytes, FILE, { limits: { maxArchiveMembers: 3, maxInputBytes: largest.size } }).members).toHaveLength(3);
  });

  test('one member fewer: a LimitExceeded error at the header of the member over the limit', () => {
    const e = limitError({ maxArchiveMembers: 2 });
    expect([e.code, e.file, e.offset, e.message]).toEqual([
      'LimitExceeded',
      FILE,
      members[2]!.headerOffset,
      `${FILE}, offset 0x${members[2]!.headerOffset.toString(16)}: 3 archive members exceed the limit of 2`,
    ]);
  });

  test('a member one byte over the size limit: the error names the member, as archive(member)', () => {
    const e = limitError({ maxInputBytes: largest.size - 1 });
    expect([e.code, e.file, e.offset, e.message]).toEqual([
      'LimitExceeded',
      `${FILE}(${largest.name})`,
      largest.headerOffset,
      `${FILE}(${largest.name}), offset 0x${largest.headerOffset.toString(16)}: ${largest.size} input bytes exceed the limit of ${largest.size - 1}`,
    ]);
  });
});
