import { addressFromHalves, readAddress64 } from '../src/address.js';

describe('64-bit fields as target addresses', () => {
  test.each([
    [0, 0, 0],
    [0, 0x7fff_ffff, 0x7fff_ffff],
    [0, 0xffff_ffff, 0xffff_ffff],
    [1, 0, 0x1_0000_0000],
    [0x1f_ffff, 0xffff_ffff, Number.MAX_SAFE_INTEGER],
    [0xffff_ffff, 0xffff_fffc, -4],
    [0xffff_ffff, 0x8000_0000, -0x8000_0000],
    [0xffff_ffff, 0x7fff_ffff, -0x8000_0001],
    [0xffff_ffff, 0, -0x1_0000_0000],
    [0xffe0_0000, 1, Number.MIN_SAFE_INTEGER],
    [0x20_0000, 0, 2 ** 53],
    [0xffe0_0000, 0, -(2 ** 53)],
  ])('hi 0x%s lo 0x%s', (hi, lo, expected) => {
    expect(addressFromHalves(hi, lo)).toBe(expected);
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, lo, true);
    view.setUint32(4, hi, true);
    expect(readAddress64(view, 0, true)).toBe(expected);
  });

  test.each([
    [0x20_0000, 1],
    [0xffdf_ffff, 0xffff_ffff],
    [0x8000_0000, 0],
  ])('hi 0x%s lo 0x%s is not exact', (hi, lo) => {
    expect(addressFromHalves(hi, lo)).toBeUndefined();
  });
});
