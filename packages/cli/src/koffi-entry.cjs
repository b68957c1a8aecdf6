// The command's bundle loads koffi through this file (esbuild --alias:koffi=...).
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
module.exports = loadNative() ?? require('koffi');
