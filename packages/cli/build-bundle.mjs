// Bundles the command into dist/jitlink.cjs (one CommonJS file: faster to load
// than the ES module graph). koffi and the WebAssembly Graphviz stay external;
// the command reaches koffi through src/koffi-entry.cjs.
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const koffiEntry = fileURLToPath(new URL('./src/koffi-entry.cjs', import.meta.url));

await build({
  entryPoints: ['src/bin.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/jitlink.cjs',
  logLevel: 'warning',
  external: ['@viz-js/viz'],
  plugins: [
    {
      name: 'koffi-entry',
      setup(b) {
        // The bundle's own imports of koffi go through the entry file; its require of the package stays external.
        b.onResolve({ filter: /^koffi(\/.*)?$/ }, (args) =>
          args.importer === koffiEntry ? { path: args.path, external: true } : { path: koffiEntry },
        );
      },
    },
  ],
});
chmodSync('dist/jitlink.cjs', 0o755);
