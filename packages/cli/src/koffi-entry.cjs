// The command's bundle loads koffi through this file (esbuild --alias:koffi=...).
// koffi's own entry point also loads its installer tooling (https, zlib,
// crypto), which costs several milliseconds at every start; on the common
// platforms the native module is loaded directly instead, with the same
// version check koffi makes. Anything unexpected falls back to the package.
'use strict';
function loadNative() {
  try {
    let native;
    if (process.platform === 'linux' && process.arch === 'x64')
      native = require('koffi/build/koffi/linux_x64/koffi.node');
    else if (process.platform === 'linux' && process.arch === 'arm64')
      native = require('koffi/build/koffi/linux_arm64/koffi.node');
    if (native && native.version === require('koffi/package.json').version) return native;
  } catch {
    // fall through to the package entry
  }
  return undefined;
}
module.exports = loadNative() ?? require('koffi');
