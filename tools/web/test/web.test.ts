/**
 * The page in headless Chromium: an object chosen in its file input is linked
 * in the browser into a slab at the address typed in, and the page shows each
 * symbol's final address and the bytes at each fixup's location — the same
 * the packages give in Node for the same object and address. The bundle holds
 * no Node built-in (esbuild's metafile lists every module and import).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { condition, file, needs } from '@jitlink/test-support';
import { linkInSlab } from '../src/link.js';

const root = path.resolve(__dirname, '../../..');
const dist = path.resolve(__dirname, '../dist');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];
const built = condition('the page built (npm run build -w @jitlink/web)', () =>
  existsSync(path.join(dist, 'web.js')),
);

const OBJECTS = [
  ['ELF x86-64', 'test-corpus/obj/clang-19/O2-pic-small/hello/hello.o', '0x10000'],
  ['ELF AArch64', 'test-corpus/obj/clang-19-aarch64/O2-pic-small/hello/hello.o', '0x7f0000000000'],
  ['ELF x86-64, several sections', 'test-corpus/obj/clang-19/O2-pic-small/multi/ops.o', '0x400000'],
] as const;

needs(built).test('the bundle imports no Node built-in', () => {
  const meta = JSON.parse(readFileSync(path.join(dist, 'meta.json'), 'utf8')) as {
    inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  };
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const imports = Object.values(meta.inputs).flatMap((input) => input.imports);
  expect(imports.length).toBeGreaterThan(50);
  expect(imports.filter((i) => i.external || i.path.startsWith('node:') || builtins.has(i.path))).toEqual([]);
  // Only the workspace's own sources are bundled: no polyfills stand in for Node modules.
  expect(
    Object.keys(meta.inputs).filter((p) => p.includes('node_modules/') && !p.includes('@jitlink/')),
  ).toEqual([]);
});

const browser = needs(built, file(CHROMIUM, 'apt-get install chromium'));

browser.describe('the page in Chromium', () => {
  let context: BrowserContext;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(path.join(tmpdir(), 'jitlink-web-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
  });

  test.each(OBJECTS)('%s: %s at %s shows its symbols and relocated bytes', async (_what, object, slab) => {
    const bytes = new Uint8Array(readFileSync(path.join(root, object)));
    const expected = await linkInSlab(bytes, path.basename(object), Number(BigInt(slab)));
    expect(expected.symbols.length).toBeGreaterThan(0);
    expect(expected.fixups.length).toBeGreaterThan(0);

    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(path.join(dist, 'index.html')).href);
    await page.waitForSelector('body[data-state="ready"]');
    await page.fill('#address', slab);
    await page.setInputFiles('#file', path.join(root, object));
    await page.waitForSelector('body[data-state="linked"], body[data-state="failed"]');
    expect(await page.textContent('#error')).toBe('');

    const shown = await page.$$eval('#symbols tr[data-symbol]', (rows) =>
      rows.map((r) => [(r as HTMLElement).dataset.symbol, (r as HTMLElement).dataset.address]),
    );
    expect(shown).toEqual(expected.symbols.map((s) => [s.name, s.address]));
    // main lies in the slab, at the address the packages give it in Node.
    const main = expected.symbols.find(
      (s) => s.name === 'main' || s.name === 'op_add' || s.section === '.text',
    )!;
    const mainAddress = BigInt(main.address);
    expect(mainAddress >= BigInt(slab) && mainAddress < BigInt(slab) + (64n << 20n)).toBe(true);
    expect(await page.getAttribute(`#symbols tr[data-symbol="${main.name}"]`, 'data-address')).toBe(
      main.address,
    );

    const fixups = await page.$$eval('#fixups tr[data-address]', (rows) =>
      rows.map((r) => [(r as HTMLElement).dataset.address, (r as HTMLElement).dataset.bytes]),
    );
    expect(fixups).toEqual(expected.fixups.map((f) => [f.address, f.bytes]));
    if (object.includes('/hello/') && !object.includes('aarch64')) {
      // Checked from the shown rows alone: `lea .Lstr(%rip)` holds .Lstr - 4 - P,
      // `call puts` holds 0 - 4 - P (externals are 0), both little-endian int32.
      const rows = await page.$$eval('#fixups tr[data-address]', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      const int32At = (row: string[]) =>
        Buffer.from(
          row[3]!
            .split(' ')
            .slice(0, 4)
            .map((b) => parseInt(b, 16)),
        ).readInt32LE(0);
      const lea = rows.find((r) => r[1] === 'Delta32' && r[2] === '.Lstr - 4')!;
      const lstr = shown.find(([name]) => name === '.Lstr')![1]!;
      expect(int32At(lea)).toBe(Number(BigInt(lstr) - 4n - BigInt(lea[0]!)));
      const call = rows.find((r) => r[1] === 'BranchPCRel32' && r[2] === 'puts')!;
      expect(int32At(call)).toBe(Number(0n - 4n - BigInt(call[0]!)));
    }
    expect(await page.textContent('#graph')).toContain(`Link graph "${path.basename(object)}"`);
    expect(await page.textContent('#dot')).toMatch(/^digraph /);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a malformed object shows the linker error, not a crash', async () => {
    const page = await context.newPage();
    await page.goto(pathToFileURL(path.join(dist, 'index.html')).href);
    await page.waitForSelector('body[data-state="ready"]');
    const truncated = readFileSync(path.join(root, OBJECTS[0][1])).subarray(0, 100);
    await page.setInputFiles('#file', {
      name: 'truncated.o',
      mimeType: 'application/octet-stream',
      buffer: truncated,
    });
    await page.waitForSelector('body[data-state="failed"]');
    expect(await page.textContent('#error')).toMatch(/truncated\.o/);
    await page.close();
  });
});
