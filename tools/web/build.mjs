// Bundles the page for browsers: dist/web.js (src/main.ts and the packages it
// uses, one script) next to dist/index.html, and dist/meta.json, esbuild's
// record of every module and import in the bundle (the test checks that no
// Node built-in is among them).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

mkdirSync('dist', { recursive: true });
const result = await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/web.js',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
writeFileSync('dist/meta.json', JSON.stringify(result.metafile, null, 1));
copyFileSync('index.html', 'dist/index.html');
