#!/usr/bin/env node
/**
 * Rewrites every workspace package's peer range on another @jitlink package
 * to "^<its version> || ^<its next minor>" (e.g. "^0.2.0 || ^0.3.0").
 *
 * Why: in 0.x a caret range covers one minor only, and changesets bumps a
 * package *major* when a peer it depends on leaves the peer range. With
 * `onlyUpdatePeerDependentsWhenOutOfRange` (.changeset/config.json) and ranges
 * that already admit the next minor, a minor release of @jitlink/elf gives
 * @jitlink/arch-x86-64 a minor release too. Run after `changeset version`
 * (`npm run version-packages` does both), so the released ranges admit the
 * version just released and the next one. `--check` only reports ranges that
 * would change, with exit status 1.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const manifests = ['packages', 'examples', 'tools']
  .flatMap((group) =>
    existsSync(path.join(root, group))
      ? readdirSync(path.join(root, group)).map((name) => path.join(root, group, name, 'package.json'))
      : [],
  )
  .filter((file) => existsSync(file))
  .map((file) => ({ file, text: readFileSync(file, 'utf8') }))
  .map((m) => ({ ...m, json: JSON.parse(m.text) }));

const versions = new Map(manifests.map((m) => [m.json.name, m.json.version]));

/** "^0.2.0 || ^0.3.0" for version 0.2.x; "^1.0.0" from 1.0.0 on, where a caret covers every minor. */
export function peerRange(version) {
  const [major, minor] = version.split('.').map(Number);
  if (major > 0) return `^${major}.0.0`;
  return `^0.${minor}.0 || ^0.${minor + 1}.0`;
}

let stale = 0;
for (const m of manifests) {
  const peers = m.json.peerDependencies ?? {};
  let text = m.text;
  for (const [name, range] of Object.entries(peers)) {
    const version = versions.get(name);
    if (!version) continue;
    const wanted = peerRange(version);
    if (range === wanted) continue;
    stale++;
    console.log(`${path.relative(root, m.file)}: peerDependencies ${name}: ${range} -> ${wanted}`);
    // Edit the text, not a re-serialized object, so the file keeps its layout.
    text = text.replace(
      new RegExp(`("peerDependencies"\\s*:\\s*\\{[^}]*?"${name.replace('/', '\\/')}"\\s*:\\s*)"[^"]*"`),
      `$1"${wanted}"`,
    );
  }
  if (!check && text !== m.text) writeFileSync(m.file, text);
}
if (check && stale > 0) process.exit(1);
