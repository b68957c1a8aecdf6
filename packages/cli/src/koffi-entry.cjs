// The command's bundle loads koffi through this file (build-bundle.mjs redirects its imports here).
// koffi's own entry point also loads its installer tooling (https, zlib,
// crypto), which costs several milliseconds at every start; on the common
// platforms the native module is loaded directly instead, with the same
// version check koffi makes. It is found by walking up to the nearest
// node_modules/koffi, as Node would, but with a few `stat`s: resolving the
// package path through Node's loader (package scopes, exports maps) took as
// long as loading the native module itself. Anything unexpected falls back to
// the package.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

function koffiDirectory() {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'koffi');
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function loadNative() {
  try {
    const platform =
      process.platform === 'linux' && process.arch === 'x64'
        ? 'linux_x64'
        : process.platform === 'linux' && process.arch === 'arm64'
          ? 'linux_arm64'
          : undefined;
    const dir = platform && koffiDirectory();
    if (!dir) return undefined;
    const native = require(join(dir, 'build', 'koffi', platform, 'koffi.node'));
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (native && native.version === version) return native;
  } catch {
    // fall through to the package entry
  }
  return undefined;
}

/**
 * The koffi functions the command's packages call. Each is looked up on first
 * use, so that the native module loads only when something native runs:
 * `-version`, `-help`, a bad option or a `-noexec` link that reaches nothing
 * native never load it, and the bundle can be evaluated in a V8 start-up
 * snapshot, which cannot hold a native module. (A name missing here is
 * undefined in the bundle: test/koffi-entry.test.ts checks the list against
 * the sources.)
 */
const KOFFI_FUNCTIONS = [
  'address',
  'call',
  'decode',
  'encode',
  'errno',
  'introspect',
  'load',
  'pointer',
  'proto',
  'register',
  'struct',
  'unregister',
  'view',
];

let koffi;
const lazyKoffi = {};
for (const name of KOFFI_FUNCTIONS) {
  Object.defineProperty(lazyKoffi, name, {
    configurable: true,
    enumerable: true,
    get() {
      koffi ??= loadNative() ?? require('koffi');
      const value = koffi[name];
      // From now on a plain property: no getter on the calls that follow.
      Object.defineProperty(lazyKoffi, name, { value, enumerable: true });
      return value;
    },
  });
}
module.exports = lazyKoffi;
