import {
  edgeKindInfo,
  EdgeKinds,
  edgeKindTable,
  eitherRange,
  fitsRange,
  JITLinkError,
  RANGE_64,
  relocationTypeNamer,
  renderEdgeKindTable,
  signedRange,
  unsignedRange,
  type EdgeKindInfo,
} from '../src/index.js';

const F = EdgeKinds.FirstRelocation;
const Kinds = { Ptr: F, Rel: F + 1 } as const;
const rows: EdgeKindInfo[] = [
  { kind: F, name: 'Ptr', width: 8, range: RANGE_64, formula: 0, value: 'T + A' },
  { kind: F + 1, name: 'Rel', width: 4, range: signedRange(32), formula: 1, value: 'T − P + A' },
];

describe('edge-kind tables', () => {
  it('indexes rows by kind', () => {
    const table = edgeKindTable(Kinds, rows);
    expect(edgeKindInfo(table, Kinds.Rel)?.name).toBe('Rel');
    expect(edgeKindInfo(table, EdgeKinds.KeepAlive)).toBeUndefined();
    expect(edgeKindInfo(table, F + 2)).toBeUndefined();
  });

  it('rejects a kind without a row, a repeated row and a misnamed one', () => {
    expect(() => edgeKindTable({ ...Kinds, Extra: F + 2 }, rows)).toThrow(/no row for Extra/);
    expect(() => edgeKindTable(Kinds, [...rows, rows[0]!])).toThrow(JITLinkError);
    expect(() => edgeKindTable(Kinds, [rows[0]!, { ...rows[1]!, name: 'Ptr' }])).toThrow(
      /bad or repeated row for Ptr/,
    );
  });

  it('gives ranges exact bounds', () => {
    expect(signedRange(32)).toMatchObject({ min: -0x8000_0000, max: 0x7fff_ffff, name: 'int32' });
    expect(unsignedRange(32)).toMatchObject({ min: 0, max: 0xffff_ffff, name: 'uint32' });
    expect(eitherRange(16)).toMatchObject({ min: -0x8000, max: 0xffff, name: 'int16 or uint16' });
    expect(fitsRange(signedRange(8), 127)).toBe(true);
    expect(fitsRange(signedRange(8), 128)).toBe(false);
    expect(fitsRange(signedRange(8), -129)).toBe(false);
    expect(fitsRange(RANGE_64, 2 ** 53)).toBe(true);
    expect(fitsRange(RANGE_64, 2 ** 53 + 2)).toBe(false);
    expect(fitsRange(RANGE_64, NaN)).toBe(false);
    // An AArch64 branch: a 26-bit field of offsets / 4.
    const branch = signedRange(28, 4);
    expect(branch.name).toBe('int28, multiple of 4');
    expect(fitsRange(branch, 0x7ff_fffc)).toBe(true);
    expect(fitsRange(branch, -0x800_0000)).toBe(true);
    expect(fitsRange(branch, 0x800_0000)).toBe(false);
    expect(fitsRange(branch, 6)).toBe(false);
    expect(fitsRange(unsignedRange(15, 8), 0x7ff8)).toBe(true);
    expect(fitsRange(unsignedRange(15, 8), 0x7ff4)).toBe(false);
  });

  it('renders a padded Markdown table', () => {
    expect(renderEdgeKindTable(rows)).toBe(
      [
        '| Kind | Bytes | Value     | Range   |',
        '| ---- | ----- | --------- | ------- |',
        '| Ptr  | 8     | T + A     | 64 bits |',
        '| Rel  | 4     | T − P + A | int32   |',
      ].join('\n'),
    );
  });
});

describe('relocationTypeNamer', () => {
  it('names the numbers of its table with the prefix, and says which numbers it lacks', () => {
    const name = relocationTypeNamer('ARM64_RELOC_', { UNSIGNED: 0, SUBTRACTOR: 1, ADDEND: 10 });
    expect(name(1)).toBe('ARM64_RELOC_SUBTRACTOR');
    expect(name(10)).toBe('ARM64_RELOC_ADDEND');
    expect(name(5)).toBe('unknown relocation type 5');
    expect(name(-1)).toBe('unknown relocation type -1');
  });
});
