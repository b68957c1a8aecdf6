/**
 * The command's backends, each built when first needed, and the two lists of
 * architecture targets (arch-targets.ts, and arch-targets.cjs which the bundle
 * uses to require each package only when a link needs it).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createDefaultRegistry } from '../src/backends.js';
import { archTargets } from '../src/arch-targets.js';
import { REPO_ROOT } from './corpus.js';

const require = createRequire(__filename);

test('arch-targets.cjs gives under each name the same target as arch-targets.ts', () => {
  const bundled = (
    require(join(REPO_ROOT, 'packages/cli/src/arch-targets.cjs')) as {
      archTargets: Record<string, () => unknown>;
    }
  ).archTargets;
  expect(Object.keys(bundled)).toEqual(Object.keys(archTargets));
  for (const [name, target] of Object.entries(archTargets))
    expect([name, bundled[name]!()]).toEqual([name, target()]);
});

test('every backend is registered under the format and architecture it builds as, and MachO spells main _main', () => {
  const registry = createDefaultRegistry();
  expect(registry.spellingsOf('main')).toEqual(['main', '_main']);
  // list() builds each deferred backend; one built as another pair would throw.
  expect(
    registry
      .list()
      .map((b) => b.name)
      .sort(),
  ).toEqual(
    [
      'COFF/aarch64',
      'COFF/x86_64',
      'ELF/aarch64',
      'ELF/aarch64_be',
      'ELF/x86_64',
      'MachO/arm64',
      'MachO/x86_64',
    ].sort(),
  );
});
