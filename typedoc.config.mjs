/**
 * The API reference (`npm run docs:api` → docs/api/): every published
 * package's entry points, as their package.json "exports" name them, with
 * their doc comments. `@internal` declarations (and `@jitlink/core/internal`)
 * are left out, as they are from the published declarations.
 */
/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'jitlink-ts',
  entryPointStrategy: 'packages',
  entryPoints: [
    'packages/core',
    'packages/elf',
    'packages/macho',
    'packages/coff',
    'packages/arch-x86-64',
    'packages/arch-arm64',
    'packages/orc',
    'packages/executor',
    'packages/executor-remote',
    'packages/cli',
  ],
  packageOptions: {
    // The build's settings: rootDir src, outDir dist, so "exports" map back to sources.
    tsconfig: 'tsconfig.lib.json',
    excludePrivate: true,
    excludeInternal: true,
    // No links to a hosted repository: a clone's remote (or none) is not one typedoc can link to.
    disableSources: true,
    // Types a package's public declarations mention but intentionally does not
    // export are listed in that package's typedoc.json (intentionallyNotExported).
  },
  readme: 'none',
  disableSources: true,
  out: 'docs/api',
};
